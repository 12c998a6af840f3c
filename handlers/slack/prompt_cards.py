"""Pure Block Kit renderers for line-of-sight prompts, answers and the storyteller's notice."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    SectionBlock,
)

from handlers.slack.blocks import HEADER_LIMIT, escape, fallback, mrkdwn, plain, quote
from stories.conversation import prompt_texts
from stories.conversation.views import AnswerPost, AuthorNoticeView
from stories.prompts import PromptMessage

HARVEST = "harvest"  # PromptMessage.kind of a story-harvest prompt
ANSWER_ACTION = "prompt_answer"
NOT_RELEVANT_ACTION = "prompt_not_relevant"
NOTICES_OFF_ACTION = "author_notices_off"
HARVEST_ACTION = "harvest_tell"  # "Tell one" on a story-harvest prompt
OPEN_PROMPT_ACTION = "prompt_open"  # a link button: Slack still sends the click, to be acked
METADATA_EVENT = "sightline_prompt"  # Slack message metadata: finds a post after a crash


def prompt_text(message: PromptMessage) -> str:
    """Notification and screen-reader text for the prompt post."""
    if message.kind == HARVEST:
        return fallback(prompt_texts.harvest_title(message.department_name))
    return fallback(prompt_texts.prompt_fallback(message.department_name, message.question))


def harvest_blocks(message: PromptMessage) -> list[Block]:
    """A story-harvest prompt: the question and a button opening the capture form."""
    answer_by = prompt_texts.answers_until(message.answer_by) if message.answer_by else ""
    hint = escape(prompt_texts.HARVEST_HINT) + (f" {answer_by}" if answer_by else "")
    return [
        HeaderBlock(text=plain(prompt_texts.harvest_title(message.department_name), HEADER_LIMIT)),
        SectionBlock(text=mrkdwn(f"*{escape(message.question)}*")),
        ActionsBlock(
            block_id=f"harvest:{message.delivery_id}",
            elements=[
                ButtonElement(
                    text=prompt_texts.HARVEST_BUTTON,
                    action_id=HARVEST_ACTION,
                    value=str(message.delivery_id),
                    style="primary",
                )
            ],
        ),
        ContextBlock(elements=[mrkdwn(hint)]),
    ]


def prompt_blocks(message: PromptMessage) -> list[Block]:
    if message.kind == HARVEST:
        return harvest_blocks(message)
    quoted, _cut = quote(message.story_text, 2400)
    facts = [
        f"*Customer:* {escape(message.customer_label)}" if message.customer_label else "",
        f"*Touchpoint:* {escape(message.touchpoint)}" if message.touchpoint else "",
        f"<{escape(message.permalink)}|{prompt_texts.WHERE_TOLD}>" if message.permalink else "",
    ]
    answer_by = prompt_texts.answers_until(message.answer_by) if message.answer_by else ""
    value = str(message.delivery_id)
    title = prompt_texts.prompt_title(message.department_name)
    return [
        HeaderBlock(text=plain(title, HEADER_LIMIT)),
        SectionBlock(text=mrkdwn(f"{prompt_texts.A_REAL_STORY}\n{quoted}")),
        *(
            [ContextBlock(elements=[mrkdwn(" · ".join(f for f in facts if f))])]
            if any(facts)
            else []
        ),
        SectionBlock(text=mrkdwn(f"*{escape(message.question)}*")),
        ActionsBlock(
            block_id=f"prompt:{message.delivery_id}",
            elements=[
                ButtonElement(
                    text=prompt_texts.ANSWER_TITLE,
                    action_id=ANSWER_ACTION,
                    value=value,
                    style="primary",
                ),
                ButtonElement(
                    text=prompt_texts.NOT_RELEVANT_BUTTON,
                    action_id=NOT_RELEVANT_ACTION,
                    value=value,
                ),
            ],
        ),
        *([ContextBlock(elements=[mrkdwn(answer_by)])] if answer_by else []),
    ]


def prompt_metadata(message: PromptMessage) -> dict[str, object]:
    return {"event_type": METADATA_EVENT, "event_payload": {"delivery_id": message.delivery_id}}


def answer_posted(answer: AnswerPost) -> list[Block]:
    quoted, _cut = quote(answer.text, 2800)
    line = escape(prompt_texts.answer_line("{who}", edited=answer.edited))
    who = (
        escape(answer.answerer_name or prompt_texts.SOMEONE)
        if answer.anonymous or not answer.answerer_id
        else f"<@{escape(answer.answerer_id)}>"
    )
    return [SectionBlock(text=mrkdwn(line.replace("{who}", who) + "\n" + quoted))]


def answer_text(answer: AnswerPost) -> str:
    return fallback(
        prompt_texts.answer_line(answer.answerer_name or prompt_texts.SOMEONE, edited=answer.edited)
    )


def reminder_blocks(text: str) -> list[Block]:
    return [SectionBlock(text=mrkdwn(escape(text)))]


def reminder_dm_blocks(text: str, link: str | None) -> list[Block]:
    """A prompt's reminder in a member's direct message, with a link to the prompt."""
    blocks: list[Block] = [SectionBlock(text=mrkdwn(escape(text)))]
    if link:
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text=prompt_texts.OPEN_PROMPT, action_id=OPEN_PROMPT_ACTION, url=link
                    )
                ]
            )
        )
    return blocks


def author_notice_blocks(notice: AuthorNoticeView) -> list[Block]:
    story, _ = quote(notice.story_excerpt, 400)
    said = "\n".join(quote(answer, 1200)[0] for answer in notice.answers)
    intro = escape(prompt_texts.author_notice_intro(notice.department))
    blocks: list[Block] = [
        SectionBlock(
            text=mrkdwn(f"{intro}\n{story}\n\n{escape(prompt_texts.AUTHOR_NOTICE_ANSWERS)}\n{said}")
        )
    ]
    if notice.permalink:
        link = f"<{escape(notice.permalink)}|{prompt_texts.WHERE_YOU_TOLD}>"
        blocks.append(ContextBlock(elements=[mrkdwn(link)]))
    blocks.append(
        ActionsBlock(
            block_id="notices",
            elements=[
                ButtonElement(text=notice.opt_out, action_id=NOTICES_OFF_ACTION, value="off")
            ],
        )
    )
    return blocks
