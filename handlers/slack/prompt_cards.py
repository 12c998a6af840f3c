"""Pure Block Kit renderers for line-of-sight prompts, answers and author notices."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from handlers.slack.renderers import (
    HEADER_LIMIT,
    PLAIN_INPUT_LIMIT,
    clip,
    escape,
    mrkdwn,
    plain,
    quote,
)
from stories.prompts import AuthorNotice, PromptMessage

ANSWER_ACTION = "prompt_answer"
NOT_RELEVANT_ACTION = "prompt_not_relevant"
ANSWER_CALLBACK = "prompt_answer_submit"
ANSWER_BLOCK, ANSWER_INPUT = "answer", "text"
NOTICES_OFF_ACTION = "author_notices_off"
METADATA_EVENT = "sightline_prompt"  # Slack message metadata: finds a post after a crash
STORY_EXCERPT = 600


def prompt_text(message: PromptMessage) -> str:
    """Notification and screen-reader text for the prompt post."""
    return clip(f"A customer story for {message.department_name}: {message.question}", 300)


def prompt_blocks(message: PromptMessage) -> list[Block]:
    quoted, _cut = quote(message.story_text, 2400)
    facts = [
        f"*Customer:* {escape(message.customer_label)}" if message.customer_label else "",
        f"*Touchpoint:* {escape(message.touchpoint)}" if message.touchpoint else "",
        f"<{message.permalink}|Where it was told>" if message.permalink else "",
    ]
    answer_by = (
        f"Answers welcome until {message.answer_by:%a %d %b, %H:%M} UTC."
        if message.answer_by
        else ""
    )
    value = str(message.delivery_id)
    return [
        HeaderBlock(text=plain(f"Line of sight: {message.department_name}", HEADER_LIMIT)),
        SectionBlock(text=mrkdwn(f"A real customer story:\n{quoted}")),
        *(
            [ContextBlock(elements=[mrkdwn(" · ".join(f for f in facts if f))])]
            if any(facts)
            else []
        ),
        SectionBlock(text=mrkdwn(f"*{escape(message.question)}*")),
        ActionsBlock(
            block_id=f"prompt:{message.delivery_id}",
            elements=[
                ButtonElement(text="Answer", action_id=ANSWER_ACTION, value=value, style="primary"),
                ButtonElement(
                    text="Not relevant to us", action_id=NOT_RELEVANT_ACTION, value=value
                ),
            ],
        ),
        *([ContextBlock(elements=[mrkdwn(answer_by)])] if answer_by else []),
    ]


def prompt_metadata(message: PromptMessage) -> dict[str, object]:
    return {"event_type": METADATA_EVENT, "event_payload": {"delivery_id": message.delivery_id}}


def answer_modal(*, delivery_id: int, question: str, story_text: str) -> View:
    quoted, _cut = quote(story_text, STORY_EXCERPT)
    return View(
        type="modal",
        callback_id=ANSWER_CALLBACK,
        private_metadata=str(delivery_id),
        title=plain("Answer", 24),
        submit=plain("Send answer", 24),
        close=plain("Cancel", 24),
        blocks=[
            SectionBlock(text=mrkdwn(quoted)),
            InputBlock(
                block_id=ANSWER_BLOCK,
                label=plain(clip(question, 2000), 2000),
                element=PlainTextInputElement(
                    action_id=ANSWER_INPUT,
                    multiline=True,
                    max_length=PLAIN_INPUT_LIMIT,
                    placeholder=plain("How does your work touch this customer?", 150),
                ),
            ),
            ContextBlock(
                elements=[mrkdwn("Personal details are removed before your answer is stored.")]
            ),
        ],
    )


def answer_posted(*, user_id: str, answer_text: str, edited: bool) -> list[Block]:
    quoted, _cut = quote(answer_text, 2800)
    verb = "updated their answer" if edited else "answered"
    return [SectionBlock(text=mrkdwn(f"<@{user_id}> {verb}:\n{quoted}"))]


def reminder_blocks(text: str) -> list[Block]:
    return [SectionBlock(text=mrkdwn(escape(text)))]


def author_notice_blocks(notice: AuthorNotice) -> list[Block]:
    story, _ = quote(notice.story_excerpt, 400)
    answer, _ = quote(notice.answer_text, 1200)
    return [
        SectionBlock(
            text=mrkdwn(
                f"*{escape(notice.department_name)}* reflected on the customer story you "
                f"shared:\n{story}\n\nWhat they said:\n{answer}"
            )
        ),
        ActionsBlock(
            elements=[
                ButtonElement(text="Stop these messages", action_id=NOTICES_OFF_ACTION, value="off")
            ]
        ),
    ]
