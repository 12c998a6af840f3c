"""Adaptive Cards for stories, search, Home, help, notices, departments and the capture
form: the core's neutral view models in, JSON-ready cards out (no I/O).

Cards cannot ping anyone: a Teams mention needs an ``msteams.entities`` entry, which no card
here ever carries, so ``<at>…</at>`` inside a story is only text.
"""

from __future__ import annotations

from typing import Any

from handlers.teams.cards import Card, adaptive_card, cut, submit, task, text_block
from stories.capture import MAX_STORY_LENGTH
from stories.conversation import lead_texts, texts
from stories.conversation.dashboard import DashboardLinkReply
from stories.conversation.views import (
    CaptureForm,
    DepartmentsView,
    HelpView,
    HomeView,
    Notice,
    SearchReply,
    StoryAction,
    StoryReply,
    StoryView,
    Tone,
)

COLOURS = {Tone.INFO: "Default", Tone.SUCCESS: "Good", Tone.WARNING: "Attention"}
SEARCH_EXCERPT = 600
HOME_EXCERPT = 500


def story_items(story: StoryView, *, limit: int = 2000) -> list[dict[str, Any]]:
    """The story's text and its details, without actions."""
    facts = []
    if story.customer_label:
        facts.append({"title": texts.LABELS["customer"], "value": story.customer_label})
    if story.touchpoint:
        facts.append({"title": texts.LABELS["touchpoint"], "value": story.touchpoint})
    if story.emotion:
        feeling = texts.EMOTIONS.get(story.emotion.value, story.emotion.value)
        facts.append({"title": texts.LABELS["emotion"], "value": feeling})
    if story.teller_name:
        facts.append({"title": texts.LABELS["teller"], "value": story.teller_name})
    if story.department:
        facts.append({"title": texts.LABELS["department"], "value": story.department})
    items: list[dict[str, Any]] = [text_block(cut(story.text, limit))]
    if facts:
        items.append({"type": "FactSet", "facts": facts})
    tally = f"{story.resonates} resonate{'' if story.resonates == 1 else 's'}"
    if story.resonated_with:
        tally += " · " + texts.resonated_with(story.resonated_with)
    items.append(text_block(tally, isSubtle=True, size="Small"))
    if story.permalink:
        link = f"[{texts.FROM_MESSAGE}]({story.permalink})"
        items.append(text_block(link, isSubtle=True, size="Small"))
    return items


def story_actions(story: StoryView) -> list[dict[str, Any]]:
    """The buttons the core offers on this story."""
    actions = []
    for action in story.actions:
        if action == StoryAction.RESONATE:
            data = {"sightline": "resonate", "story_id": story.id}
            actions.append(submit(texts.resonates_label(story.resonates), data))
        elif action == StoryAction.EDIT:
            actions.append(task(texts.EDIT, {"sightline": "edit", "story_id": story.id}))
        else:
            data = {"sightline": "delete", "story_id": story.id}
            actions.append(submit(texts.DELETE, data, style="destructive"))
    return actions


def story_card(story: StoryView, *, heading: str = texts.SHARED_STORY) -> Card:
    """One story with its heading and its actions."""
    body = [text_block(heading, weight="Bolder", size="Medium"), *story_items(story)]
    return adaptive_card(
        body, story_actions(story), fallback_text=f"{heading}: {cut(story.text, 200)}"
    )


def story_reply(reply: StoryReply) -> Card:
    return story_card(reply.story, heading=reply.heading)


def search_card(reply: SearchReply) -> Card:
    """One page of hits, each in its own container with its actions, and More."""
    body: list[dict[str, Any]] = [text_block(reply.heading, weight="Bolder")]
    for story in reply.stories:
        items = story_items(story, limit=SEARCH_EXCERPT)
        actions = story_actions(story)
        if actions:
            items.append({"type": "ActionSet", "actions": actions})
        body.append({"type": "Container", "separator": True, "items": items})
    more = []
    if reply.next_offset is not None:
        data = {"sightline": "more", "q": cut(reply.query, 500), "o": reply.next_offset}
        more.append(submit(texts.MORE, data))
    return adaptive_card(body, more, fallback_text=reply.heading)


def notice_card(notice: Notice) -> Card:
    """A short message (a confirmation, a refusal, an error) in the style of the rest."""
    body: list[dict[str, Any]] = []
    if notice.title:
        body.append(text_block(notice.title, weight="Bolder"))
    body.append(text_block(notice.text, color=COLOURS[notice.tone]))
    fallback = f"{notice.title}: {notice.text}" if notice.title else notice.text
    return adaptive_card(body, fallback_text=fallback)


def warning_card(text: str) -> Card:
    return notice_card(Notice(text=texts.warning(text), tone=Tone.WARNING))


def help_card(view: HelpView) -> Card:
    """The commands a person may use; CX leads also see theirs."""
    body: list[dict[str, Any]] = [
        text_block(view.intro, weight="Bolder"),
        {"type": "FactSet", "facts": [{"title": u, "value": w} for u, w in view.member]},
    ]
    if view.lead:
        body.append(text_block(lead_texts.LEAD_COMMANDS, weight="Bolder", separator=True))
        body.append({"type": "FactSet", "facts": [{"title": u, "value": w} for u, w in view.lead]})
    if view.footer:
        body.append(text_block(view.footer, isSubtle=True))
    form = task(texts.FORM_TITLE + "…", {"sightline": "form"})
    return adaptive_card(body, [form], fallback_text=view.intro)


def departments_card(view: DepartmentsView) -> Card:
    """Departments with their schedule and whether prompts can reach them."""
    body: list[dict[str, Any]] = [text_block(view.title, weight="Bolder", size="Medium")]
    if not view.rows:
        body.append(text_block(view.empty))
    facts = [
        {"title": row.name, "value": row.schedule + (f"; {row.state}" if row.state else "")}
        for row in view.rows
    ]
    if facts:
        body.append({"type": "FactSet", "facts": facts})
    return adaptive_card(body, fallback_text=view.title)


def home_card(view: HomeView) -> Card:
    """What the Slack Home tab shows, as one card in the personal chat."""
    body: list[dict[str, Any]] = [
        text_block(texts.HOME_TITLE, weight="Bolder", size="Medium"),
        text_block(view.intro, isSubtle=True),
    ]
    for title, stories, empty in (
        (texts.HOME_OWN, view.own, view.own_empty),
        (texts.HOME_LATEST, view.latest, view.latest_empty),
    ):
        body.append(text_block(title, weight="Bolder", separator=True))
        if not stories:
            body.append(text_block(empty, isSubtle=True))
        for story in stories:
            items = story_items(story, limit=HOME_EXCERPT)
            actions = story_actions(story)
            if actions:
                items.append({"type": "ActionSet", "actions": actions})
            body.append({"type": "Container", "separator": True, "items": items})
    if view.department:
        body.append(
            text_block(texts.home_prompts(view.department), weight="Bolder", separator=True)
        )
        if not view.prompts:
            body.append(text_block(view.prompts_empty, isSubtle=True))
        for prompt in view.prompts:
            lines = [f"**{prompt.question}**", *(f"- {answer}" for answer in prompt.answers)]
            body.append(text_block("\n".join(lines)))
    return adaptive_card(body, fallback_text=texts.HOME_TITLE)


FORM_FIELDS = ("text", "customer_label", "touchpoint", "emotion", "share")


def capture_form_card(form: CaptureForm) -> Card:
    """The capture (or edit) dialog: the same fields and rules as Slack's modal; errors
    from the core are shown under their fields."""

    def error(field: str) -> list[dict[str, Any]]:
        message = form.errors.get(field)
        return [text_block(message, color="Attention", size="Small")] if message else []

    body: list[dict[str, Any]] = [
        {
            "type": "Input.Text",
            "id": "text",
            "label": texts.FORM_STORY,
            "isMultiline": True,
            "isRequired": True,
            "maxLength": MAX_STORY_LENGTH,
            "placeholder": texts.FORM_STORY_PLACEHOLDER,
            "value": cut(form.text, MAX_STORY_LENGTH),
        },
        *error("text"),
        text_block(texts.FORM_STORY_HINT, isSubtle=True, size="Small"),
        {
            "type": "Input.Text",
            "id": "customer_label",
            "label": texts.FORM_LABEL,
            "maxLength": 120,
            "placeholder": texts.FORM_LABEL_PLACEHOLDER,
            "value": form.customer_label,
        },
        *error("customer_label"),
        {
            "type": "Input.Text",
            "id": "touchpoint",
            "label": texts.FORM_TOUCHPOINT,
            "maxLength": 60,
            "placeholder": texts.FORM_TOUCHPOINT_PLACEHOLDER,
            "value": form.touchpoint,
        },
        *error("touchpoint"),
        {
            "type": "Input.ChoiceSet",
            "id": "emotion",
            "label": texts.FORM_EMOTION,
            "placeholder": texts.FORM_EMOTION_PLACEHOLDER,
            "choices": [{"title": label, "value": key} for key, label in texts.EMOTIONS.items()],
            "value": form.emotion.value if form.emotion else "",
        },
        {
            "type": "Input.Toggle",
            "id": "share",
            "title": form.share_label,
            "label": texts.FORM_SHARE,
            "value": "true" if form.share else "false",
        },
    ]
    data: dict[str, Any] = {"sightline": "save", "source": form.source}
    if form.story_id is not None:
        data["story_id"] = form.story_id
    return adaptive_card(body, [submit(form.submit, data)], fallback_text=form.title)


def dashboard_link_card(reply: DashboardLinkReply) -> Card:
    """A lead's one-time sign-in link, as a button (sent to the lead's personal chat only)."""
    open_url = {"type": "Action.OpenUrl", "title": "Open the dashboard", "url": reply.url}
    body = [text_block(reply.text), text_block(f"[{reply.url}]({reply.url})", size="Small")]
    return adaptive_card(body, [open_url], fallback_text=reply.text)
