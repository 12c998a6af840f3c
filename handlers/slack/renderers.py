"""Pure Block Kit renderers: view models in, slack_sdk blocks and views out.

Nothing here talks to Slack or the database, so every payload can be checked against
Slack's limits in plain unit tests. Long text is cut with a visible "…" (and a button to the
full story) instead of being rejected by Slack.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

# Slack's documented limits.
SECTION_TEXT_LIMIT = 3000
HEADER_LIMIT = 150
MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
BUTTON_VALUE_LIMIT = 2000
PRIVATE_METADATA_LIMIT = 3000
CONTEXT_TEXT_LIMIT = 2000
PLAIN_INPUT_LIMIT = 3000

# Block and action ids the listeners read back.
CAPTURE_CALLBACK = "story_capture"
EDIT_CALLBACK = "story_edit_submit"
STORY_BLOCK, STORY_ACTION = "story", "text"
LABEL_BLOCK, LABEL_ACTION = "customer", "label"
TOUCHPOINT_BLOCK, TOUCHPOINT_ACTION = "touchpoint", "touchpoint"
EMOTION_BLOCK, EMOTION_ACTION = "emotion", "emotion"
SHARE_BLOCK, SHARE_ACTION = "share", "share"
EDIT_ACTION = "story_edit"
DELETE_ACTION = "story_delete"
RESONATES_ACTION = "story_resonates"
FULL_STORY_ACTION = "story_full"
MORE_ACTION = "search_more"
SHARE_VALUE = "share"

EMOTIONS = {
    "delighted": "😍 Delighted",
    "happy": "🙂 Happy",
    "neutral": "😐 Neutral",
    "confused": "😕 Confused",
    "frustrated": "😤 Frustrated",
    "angry": "😡 Angry",
    "anxious": "😟 Anxious",
}


@dataclass(frozen=True, kw_only=True)
class StoryCard:
    """What a person sees of one story."""

    id: int
    text: str
    customer_label: str | None = None
    touchpoint: str | None = None
    emotion: str | None = None
    permalink: str | None = None
    author_user_id: str | None = None  # Slack user id, shown as a mention
    department: str | None = None
    redaction_count: int = 0
    created_at: datetime | None = None
    resonates: int = 0
    resonating_departments: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ModalPrefill:
    """Initial values and where the story came from (kept in private_metadata)."""

    text: str = ""
    customer_label: str = ""
    touchpoint: str = ""
    emotion: str | None = None
    share: bool = False
    story_id: int | None = None  # set when editing
    source: dict[str, Any] = field(default_factory=dict)  # channel, ts, permalink, author…


@dataclass(frozen=True, kw_only=True)
class HomeModel:
    own: Sequence[StoryCard] = ()
    latest: Sequence[StoryCard] = ()
    department: str | None = None
    prompts: Sequence[tuple[str, Sequence[str]]] = ()  # (prompt text, answers)


def clip(text: str, limit: int) -> str:
    """Cut to ``limit`` characters with a visible "…" when anything was removed."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def mrkdwn(text: str, limit: int = SECTION_TEXT_LIMIT) -> MarkdownTextObject:
    return MarkdownTextObject(text=clip(text, limit))


def plain(text: str, limit: int) -> PlainTextObject:
    return PlainTextObject(text=clip(text, limit), emoji=True)


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quote(text: str, limit: int) -> tuple[str, bool]:
    body = escape(text)
    cut = len(body) > limit
    body = clip(body, limit)
    return "\n".join(f">{line}" for line in body.splitlines()) or ">", cut


def _meta_line(card: StoryCard) -> str:
    parts = []
    if card.customer_label:
        parts.append(f"*Customer:* {escape(card.customer_label)}")
    if card.touchpoint:
        parts.append(f"*Touchpoint:* `{card.touchpoint}`")
    if card.emotion:
        parts.append(f"*Feeling:* {EMOTIONS.get(card.emotion, card.emotion)}")
    if card.author_user_id:
        parts.append(f"*From:* <@{card.author_user_id}>")
    if card.department:
        parts.append(f"*Dept:* {escape(card.department)}")
    if card.permalink:
        parts.append(f"<{card.permalink}|original message>")
    return "  ·  ".join(parts)


def story_blocks(card: StoryCard, *, text_limit: int = 2800) -> list[Block]:
    """The story itself: quoted text, its details, and a button to read it all if cut."""
    quoted, cut = quote(card.text, text_limit)
    blocks: list[Block] = [SectionBlock(block_id=f"story-{card.id}", text=mrkdwn(quoted))]
    meta = _meta_line(card)
    if meta:
        blocks.append(ContextBlock(elements=[mrkdwn(meta, CONTEXT_TEXT_LIMIT)]))
    if cut:
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text="Read the full story",
                        action_id=FULL_STORY_ACTION,
                        value=str(card.id),
                    )
                ]
            )
        )
    return blocks


def captured_message(card: StoryCard, *, created: bool = True) -> list[Block]:
    """The ephemeral answer to a capture: the stored (redacted) story plus Edit / Delete."""
    heading = "✅ Story saved. Thank you!" if created else "ℹ️ That story was already saved."
    if card.redaction_count:
        heading += f" {card.redaction_count} personal detail(s) were masked before saving."
    blocks: list[Block] = [SectionBlock(text=mrkdwn(heading))]
    blocks += story_blocks(card)
    blocks.append(
        ActionsBlock(
            block_id=f"manage-{card.id}",
            elements=[
                ButtonElement(text="Edit", action_id=EDIT_ACTION, value=str(card.id)),
                ButtonElement(
                    text="Delete", action_id=DELETE_ACTION, value=str(card.id), style="danger"
                ),
            ],
        )
    )
    return blocks


def notice(text: str) -> list[Block]:
    """A one-section message (errors, confirmations)."""
    return [SectionBlock(text=mrkdwn(text))]


def _text_input(
    *,
    block_id: str,
    action_id: str,
    label: str,
    initial: str,
    multiline: bool,
    max_length: int,
    optional: bool,
    placeholder: str,
    hint: str | None = None,
) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=plain(label, 2000),
        optional=optional,
        hint=plain(hint, 2000) if hint else None,
        element=PlainTextInputElement(
            action_id=action_id,
            multiline=multiline,
            max_length=max_length,
            initial_value=clip(initial, max_length) if initial else None,
            placeholder=plain(placeholder, 150),
        ),
    )


def capture_modal(prefill: ModalPrefill) -> View:
    """The capture (or edit) modal. Validation errors point at the block ids above."""
    editing = prefill.story_id is not None
    emotion_options = [Option(value=key, label=label) for key, label in EMOTIONS.items()]
    initial_emotion = next((o for o in emotion_options if o.value == prefill.emotion), None)
    share_option = Option(value=SHARE_VALUE, label="Share to the stories channel")
    blocks: list[Block] = [
        _text_input(
            block_id=STORY_BLOCK,
            action_id=STORY_ACTION,
            label="What happened to the customer?",
            initial=prefill.text,
            multiline=True,
            max_length=PLAIN_INPUT_LIMIT,
            optional=False,
            placeholder="A sentence or two: what they tried, what happened, how it felt.",
            hint="Names, emails, phone and card numbers are masked before saving.",
        ),
        _text_input(
            block_id=LABEL_BLOCK,
            action_id=LABEL_ACTION,
            label="Customer or segment",
            initial=prefill.customer_label,
            multiline=False,
            max_length=120,
            optional=True,
            placeholder="e.g. small bakery, enterprise retail",
        ),
        _text_input(
            block_id=TOUCHPOINT_BLOCK,
            action_id=TOUCHPOINT_ACTION,
            label="Touchpoint",
            initial=prefill.touchpoint,
            multiline=False,
            max_length=60,
            optional=True,
            placeholder="e.g. billing, onboarding, refunds",
        ),
        InputBlock(
            block_id=EMOTION_BLOCK,
            label="How did the customer feel?",
            optional=True,
            element=StaticSelectElement(
                action_id=EMOTION_ACTION,
                placeholder="Choose a feeling",
                options=emotion_options,
                initial_option=initial_emotion,
            ),
        ),
        InputBlock(
            block_id=SHARE_BLOCK,
            label="Sharing",
            optional=True,
            element=CheckboxesElement(
                action_id=SHARE_ACTION,
                options=[share_option],
                initial_options=[share_option] if prefill.share else None,
            ),
        ),
    ]
    metadata = dict(prefill.source)
    if editing:
        metadata["story_id"] = prefill.story_id
    return View(
        type="modal",
        callback_id=EDIT_CALLBACK if editing else CAPTURE_CALLBACK,
        title=plain("Edit story" if editing else "Customer story", 24),
        submit=plain("Save", 24),
        close=plain("Cancel", 24),
        private_metadata=clip(json.dumps(metadata, separators=(",", ":")), PRIVATE_METADATA_LIMIT),
        blocks=blocks,
    )


def full_story_modal(card: StoryCard) -> View:
    """Every word of a long story, split across sections of Slack's maximum size."""
    quoted = escape(card.text)
    chunks = [quoted[i : i + 2900] for i in range(0, len(quoted), 2900)] or [""]
    blocks: list[Block] = [SectionBlock(text=mrkdwn(chunk)) for chunk in chunks]
    meta = _meta_line(card)
    if meta:
        blocks.append(ContextBlock(elements=[mrkdwn(meta, CONTEXT_TEXT_LIMIT)]))
    return View(
        type="modal",
        title=plain("Customer story", 24),
        close=plain("Close", 24),
        blocks=blocks[:VIEW_BLOCK_LIMIT],
    )


def resonates_button(card: StoryCard) -> ButtonElement:
    label = "🙌 This resonates" + (f" ({card.resonates})" if card.resonates else "")
    return ButtonElement(text=label, action_id=RESONATES_ACTION, value=str(card.id))


def channel_post(card: StoryCard) -> list[Block]:
    """A shareable story in the stories channel, with its "This resonates" tally."""
    blocks: list[Block] = [HeaderBlock(text=plain("📣 A customer story", HEADER_LIMIT))]
    blocks += story_blocks(card, text_limit=2600)
    blocks.append(ActionsBlock(block_id=f"engage-{card.id}", elements=[resonates_button(card)]))
    if card.resonating_departments:
        tally = ", ".join(
            f"{escape(name)} {count}"
            for name, count in sorted(card.resonating_departments.items(), key=lambda i: -i[1])
        )
        blocks.append(ContextBlock(elements=[mrkdwn(f"Resonated with: {tally}", 2000)]))
    return blocks


def deleted_post() -> list[Block]:
    return notice("_This story was deleted by its author or a CX lead._")


def story_preview_text(card: StoryCard) -> str:
    """Plain-text fallback for notifications and screen readers."""
    return clip(f"Customer story: {card.text}", 300)


def search_results(
    *, query: str, cards: Sequence[StoryCard], offset: int, has_more: bool, page_size: int
) -> list[Block]:
    """One ephemeral page of search hits with a "More" button for the next page."""
    if not cards:
        text = f"No stories match *{escape(clip(query, 200))}*." if offset == 0 else "No more."
        return notice(text + " Try fewer or different words.")
    first, last = offset + 1, offset + len(cards)
    blocks: list[Block] = [
        SectionBlock(
            text=mrkdwn(f"🔎 Stories matching *{escape(clip(query, 200))}* ({first}–{last})")
        )
    ]
    for card in cards:
        blocks.append(DividerBlock())
        blocks += story_blocks(card, text_limit=600)
    if has_more:
        value = json.dumps({"q": clip(query, 500), "o": offset + page_size}, separators=(",", ":"))
        blocks.append(
            ActionsBlock(elements=[ButtonElement(text="More", action_id=MORE_ACTION, value=value)])
        )
    return blocks[:MESSAGE_BLOCK_LIMIT]


def random_story(card: StoryCard | None) -> list[Block]:
    if card is None:
        return notice("No stories yet. Be the first: `/story <what happened>`.")
    return [SectionBlock(text=mrkdwn("🎲 A customer story")), *story_blocks(card)]


def help_blocks(command: str = "/story") -> list[Block]:
    """Everything a member can do, on one screen."""
    text = (
        f"*Sightline brings real customer stories to everyone.*\n\n"
        f"• `{command} <what happened>` saves a story at once (personal details are masked).\n"
        f"• `{command}` on its own opens a form: customer, touchpoint, feeling, sharing.\n"
        f'• `{command} search <words>` finds stories; `"exact phrase"`, `-exclude`, `or` work.\n'
        f"• `{command} random` shows one story.\n"
        "• On any message: *More actions ⋯ → Save as customer story*.\n"
        "• React with the story emoji on a message to save it for everyone.\n"
        "• Open the *Home* tab for your stories and the latest ones.\n"
        "• Your own stories have *Edit* and *Delete* buttons; CX leads can manage all.\n"
        "Stories from private channels stay private unless you tick *Share*."
    )
    return notice(text)


def home_view(model: HomeModel) -> View:
    """The App Home tab: own stories, the latest ones, the department's prompts."""
    blocks: list[Block] = [
        HeaderBlock(text=plain("Customer stories", HEADER_LIMIT)),
        SectionBlock(
            text=mrkdwn("Save one with `/story <what happened>` or the message shortcut.")
        ),
    ]

    def section(title: str, cards: Sequence[StoryCard], empty: str, budget: int) -> None:
        blocks.append(DividerBlock())
        blocks.append(HeaderBlock(text=plain(title, HEADER_LIMIT)))
        if not cards:
            blocks.append(SectionBlock(text=mrkdwn(empty)))
        for card in cards[:budget]:
            blocks.extend(story_blocks(card, text_limit=500))

    section("Your stories", model.own, "_You have not saved a story yet._", 10)
    section("Latest stories", model.latest, "_No stories yet._", 10)
    if model.department:
        blocks.append(DividerBlock())
        blocks.append(HeaderBlock(text=plain(f"{model.department}: prompts", HEADER_LIMIT)))
        if not model.prompts:
            blocks.append(SectionBlock(text=mrkdwn("_No prompts yet._")))
        for prompt, answers in model.prompts[:5]:
            lines = [f"*{escape(prompt)}*"] + [f"• {escape(a)}" for a in answers[:5]]
            blocks.append(SectionBlock(text=mrkdwn("\n".join(lines))))
    return View(type="home", blocks=blocks[:VIEW_BLOCK_LIMIT])


@dataclass(frozen=True, kw_only=True)
class DepartmentRow:
    name: str
    customer_facing: bool
    channel_id: str | None
    schedule: str  # e.g. "tue 10:00 Europe/London, every week"
    paused: bool


def departments_list(rows: Sequence[DepartmentRow]) -> list[Block]:
    """`/cx departments`: one line per department, within one message's limits."""
    if not rows:
        return notice("No departments yet. Add one: `/cx department add Finance #finance`.")
    lines = []
    for row in rows:
        where = f"<#{row.channel_id}>" if row.channel_id else "_no channel_"
        flags = " · customer-facing" if row.customer_facing else ""
        state = " · ⏸️ paused" if row.paused else ""
        lines.append(f"• *{escape(row.name)}* {where} · {escape(row.schedule)}{flags}{state}")
    blocks: list[Block] = [SectionBlock(text=mrkdwn(f"*Departments* ({len(rows)})"))]
    chunk: list[str] = []
    for line in lines:
        if sum(len(x) + 1 for x in chunk) + len(line) > 2900:
            blocks.append(SectionBlock(text=mrkdwn("\n".join(chunk))))
            chunk = []
        chunk.append(clip(line, 2900))
    blocks.append(SectionBlock(text=mrkdwn("\n".join(chunk))))
    return blocks[:MESSAGE_BLOCK_LIMIT]


def block_dicts(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    """Blocks as JSON-ready dicts (slack_sdk validates Slack's limits here)."""
    return [block.to_dict() for block in blocks]
