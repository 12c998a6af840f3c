"""Pure Block Kit renderers: the core's neutral view models in, slack_sdk blocks out.

Nothing here talks to Slack or the database. Every text a person or the core wrote is
escaped here, in blocks and in the plain ``text`` fallback alike, so ``<!channel>``,
``<!here>`` or ``<@U…>`` inside a story can never ping anyone. Long text is cut with a
visible "…" (and a button to the full story) instead of being rejected by Slack, and every
message and view leaves through :func:`block_dicts` or :func:`view_dict`, which make its
block ids unique (Slack refuses a view that repeats one).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from stories.conversation import lead_texts, texts
from stories.conversation.views import (
    DepartmentsView,
    HelpView,
    HomeView,
    Notice,
    SearchReply,
    StoryAction,
    StoryReply,
    StoryView,
)

# Slack's documented limits.
SECTION_TEXT_LIMIT = 3000
HEADER_LIMIT = 150
MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
PRIVATE_METADATA_LIMIT = 3000
CONTEXT_TEXT_LIMIT = 2000
PLAIN_INPUT_LIMIT = 3000
FALLBACK_LIMIT = 300
CHUNK = 2900  # under the section limit, with room for an escaped "&"

# Action ids the listeners read back.
EDIT_ACTION = "story_edit"
DELETE_ACTION = "story_delete"
RESONATES_ACTION = "story_resonates"
FULL_STORY_ACTION = "story_full"
MORE_ACTION = "search_more"
ACTION_IDS = {
    StoryAction.RESONATE: RESONATES_ACTION,
    StoryAction.EDIT: EDIT_ACTION,
    StoryAction.DELETE: DELETE_ACTION,
}


def clip(text: str, limit: int) -> str:
    """Cut to ``limit`` characters with a visible "…" when anything was removed."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def escape(text: str) -> str:
    """Escape the three characters Slack treats as control characters (links, mentions)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fallback(text: str, limit: int = FALLBACK_LIMIT) -> str:
    """The plain ``text`` of a message (notifications, screen readers): escaped as well,
    because Slack reads mentions in it just as in blocks."""
    return escape(clip(" ".join(text.split()), limit))


def mrkdwn(text: str, limit: int = SECTION_TEXT_LIMIT) -> MarkdownTextObject:
    return MarkdownTextObject(text=clip(text, limit))


def plain(text: str, limit: int) -> PlainTextObject:
    return PlainTextObject(text=clip(text, limit), emoji=True)


def quote(text: str, limit: int) -> tuple[str, bool]:
    """The text as an escaped block quote, and whether it had to be cut."""
    body = escape(text)
    cut = len(body) > limit
    body = clip(body, limit)
    return "\n".join(f">{line}" for line in body.splitlines()) or ">", cut


def notice(item: Notice | str) -> list[Block]:
    """A one-section message (confirmations, refusals, errors)."""
    if isinstance(item, str):
        return [SectionBlock(text=mrkdwn(escape(item)))]
    title = f"*{escape(item.title)}*\n" if item.title else ""
    return [SectionBlock(text=mrkdwn(title + escape(item.text)))]


def warning(text: str) -> list[Block]:
    return notice(texts.warning(text))


def _meta_line(story: StoryView) -> str:
    parts = []
    if story.customer_label:
        parts.append(f"*{texts.LABELS['customer']}:* {escape(story.customer_label)}")
    if story.touchpoint:
        parts.append(f"*{texts.LABELS['touchpoint']}:* `{escape(story.touchpoint)}`")
    if story.emotion:
        feeling = texts.EMOTIONS.get(story.emotion.value, story.emotion.value)
        parts.append(f"*{texts.LABELS['emotion']}:* {feeling}")
    if story.teller_id:
        parts.append(f"*{texts.LABELS['teller']}:* <@{escape(story.teller_id)}>")
    if story.department:
        parts.append(f"*{texts.LABELS['department']}:* {escape(story.department)}")
    if story.permalink:
        parts.append(f"<{escape(story.permalink)}|{texts.FROM_MESSAGE}>")
    return "  ·  ".join(parts)


def story_blocks(story: StoryView, *, text_limit: int = 2800, prefix: str = "") -> list[Block]:
    """The story: quoted text, its details, a button to read it all if cut, and the actions
    the core offers on it. ``prefix`` keeps block ids apart where a story is shown twice."""
    quoted, cut = quote(story.text, text_limit)
    blocks: list[Block] = [SectionBlock(block_id=f"{prefix}story-{story.id}", text=mrkdwn(quoted))]
    meta = _meta_line(story)
    if meta:
        blocks.append(ContextBlock(elements=[mrkdwn(meta, CONTEXT_TEXT_LIMIT)]))
    buttons = [_action_button(action, story) for action in story.actions]
    if cut:
        buttons.append(
            ButtonElement(text=texts.READ_FULL, action_id=FULL_STORY_ACTION, value=str(story.id))
        )
    if buttons:
        blocks.append(ActionsBlock(block_id=f"{prefix}actions-{story.id}", elements=buttons))
    if story.resonated_with:
        tally = escape(texts.resonated_with(story.resonated_with))
        blocks.append(ContextBlock(elements=[mrkdwn(tally, CONTEXT_TEXT_LIMIT)]))
    return blocks


def _action_button(action: StoryAction, story: StoryView) -> ButtonElement:
    if action == StoryAction.RESONATE:
        label = texts.resonates_label(story.resonates)
        return ButtonElement(text=label, action_id=RESONATES_ACTION, value=str(story.id))
    label = texts.EDIT if action == StoryAction.EDIT else texts.DELETE
    style = "danger" if action == StoryAction.DELETE else None
    return ButtonElement(text=label, action_id=ACTION_IDS[action], value=str(story.id), style=style)


def story_text(story: StoryView) -> str:
    return fallback(f"Customer story: {story.text}")


def story_reply(reply: StoryReply) -> list[Block]:
    """A story with its heading: captured, updated, picked at random."""
    return [SectionBlock(text=mrkdwn(escape(reply.heading))), *story_blocks(reply.story)]


def channel_post(story: StoryView) -> list[Block]:
    """A shareable story in the stories channel, with "This resonates" and its tally."""
    header = HeaderBlock(text=plain(texts.SHARED_STORY, HEADER_LIMIT))
    return [header, *story_blocks(story, text_limit=2600)]


def search_results(reply: SearchReply) -> list[Block]:
    """One page of hits with a "More" button for the next page."""
    if not reply.stories:
        return notice(reply.empty or reply.heading)
    blocks: list[Block] = [SectionBlock(text=mrkdwn(escape(reply.heading)))]
    for story in reply.stories:
        blocks.append(DividerBlock())
        blocks += story_blocks(story, text_limit=600)
    if reply.next_offset is not None:
        value = json.dumps(
            {"q": clip(reply.query, 500), "o": reply.next_offset}, separators=(",", ":")
        )
        more = ButtonElement(text=texts.MORE, action_id=MORE_ACTION, value=value)
        blocks.append(ActionsBlock(block_id="search-more", elements=[more]))
    return blocks[:MESSAGE_BLOCK_LIMIT]


def _list_sections(lines: Sequence[str]) -> list[Block]:
    """Lines over as many sections as their length needs."""
    blocks: list[Block] = []
    chunk: list[str] = []
    for line in (clip(line, CHUNK) for line in lines):
        if chunk and sum(len(x) + 1 for x in chunk) + len(line) > CHUNK:
            blocks.append(SectionBlock(text=mrkdwn("\n".join(chunk))))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(SectionBlock(text=mrkdwn("\n".join(chunk))))
    return blocks


def help_blocks(view: HelpView) -> list[Block]:
    """Everything a person can do, on one screen."""
    lines = [f"*{escape(view.intro)}*", ""]
    lines += [f"• {escape(usage)}: {escape(what)}" for usage, what in view.member]
    if view.lead:
        lines += ["", f"*{lead_texts.LEAD_COMMANDS}*"]
        lines += [f"• {escape(usage)}: {escape(what)}" for usage, what in view.lead]
    if view.footer:
        lines += ["", escape(view.footer)]
    return _list_sections(lines)


def departments(view: DepartmentsView) -> list[Block]:
    """`/cx departments`: one line per department, within one message's limits."""
    if not view.rows:
        return notice(view.empty)
    lines = []
    for row in view.rows:
        where = f"<#{escape(row.channel)}>" if row.channel else "_no channel_"
        state = f" · {escape(row.state)}" if row.state else ""
        lines.append(f"• *{escape(row.name)}* {where} · {escape(row.schedule)}{state}")
    head = SectionBlock(text=mrkdwn(f"*{escape(view.title)}*"))
    return [head, *_list_sections(lines)][:MESSAGE_BLOCK_LIMIT]


def home_view(model: HomeView) -> View:
    """The App Home tab: own stories, the latest ones, the department's prompts."""
    blocks: list[Block] = [
        HeaderBlock(text=plain(texts.HOME_TITLE, HEADER_LIMIT)),
        SectionBlock(text=mrkdwn(escape(model.intro))),
    ]

    def section(title: str, stories: Sequence[StoryView], empty: str, prefix: str) -> None:
        blocks.append(DividerBlock())
        blocks.append(HeaderBlock(text=plain(title, HEADER_LIMIT)))
        if not stories:
            blocks.append(SectionBlock(text=mrkdwn(f"_{escape(empty)}_")))
        for story in stories:
            blocks.extend(story_blocks(story, text_limit=500, prefix=prefix))

    section(texts.HOME_OWN, model.own, model.own_empty, "own-")
    section(texts.HOME_LATEST, model.latest, model.latest_empty, "latest-")
    if model.department:
        blocks.append(DividerBlock())
        blocks.append(HeaderBlock(text=plain(texts.home_prompts(model.department), HEADER_LIMIT)))
        if not model.prompts:
            blocks.append(SectionBlock(text=mrkdwn(f"_{escape(model.prompts_empty)}_")))
        for prompt in model.prompts:
            lines = [f"*{escape(prompt.question)}*"] + [f"• {escape(a)}" for a in prompt.answers]
            blocks.append(SectionBlock(text=mrkdwn("\n".join(lines))))
    return View(type="home", blocks=blocks[:VIEW_BLOCK_LIMIT])


def full_story_modal(story: StoryView) -> View:
    """Every word of a long story, split across sections of Slack's maximum size."""
    quoted = escape(story.text)
    chunks = [quoted[i : i + CHUNK] for i in range(0, len(quoted), CHUNK)] or [""]
    blocks: list[Block] = [SectionBlock(text=mrkdwn(chunk)) for chunk in chunks]
    meta = _meta_line(story)
    if meta:
        blocks.append(ContextBlock(elements=[mrkdwn(meta, CONTEXT_TEXT_LIMIT)]))
    return View(
        type="modal",
        title=plain(texts.FORM_TITLE, 24),
        close=plain("Close", 24),
        blocks=blocks[:VIEW_BLOCK_LIMIT],
    )


def unique_block_ids(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same blocks with every ``block_id`` unique: a repeat gets "-2", "-3", …

    Slack refuses a message or view that repeats a block id (``invalid_blocks``); a story may
    rightly appear twice in one view (your stories and the latest ones).
    """
    seen: set[str] = set()
    for block in blocks:
        block_id = block.get("block_id")
        if not isinstance(block_id, str):
            continue
        candidate, n = block_id, 1
        while candidate in seen:
            n += 1
            candidate = f"{block_id[:250]}-{n}"
        block["block_id"] = candidate
        seen.add(candidate)
    return blocks


def block_dicts(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    """Blocks as JSON-ready dicts with unique ids (slack_sdk checks Slack's limits here)."""
    return unique_block_ids([block.to_dict() for block in blocks])


def view_dict(view: View) -> dict[str, Any]:
    """A view as a JSON-ready dict with unique block ids."""
    body: dict[str, Any] = view.to_dict()
    unique_block_ids(body.get("blocks", []))
    return body
