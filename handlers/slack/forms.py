"""Slack modals: the core's capture and answer forms as views, and their values read back."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ContextBlock,
    InputBlock,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from handlers.slack.blocks import (
    PLAIN_INPUT_LIMIT,
    PRIVATE_METADATA_LIMIT,
    clip,
    escape,
    mrkdwn,
    plain,
    quote,
)
from stories.conversation import prompt_texts, texts
from stories.conversation.views import AnswerForm, CaptureForm, FormInput
from stories.models import Emotion

CAPTURE_CALLBACK = "story_capture"
EDIT_CALLBACK = "story_edit_submit"
ANSWER_CALLBACK = "prompt_answer_submit"
STORY_BLOCK, STORY_ACTION = "story", "text"
LABEL_BLOCK, LABEL_ACTION = "customer", "label"
TOUCHPOINT_BLOCK, TOUCHPOINT_ACTION = "touchpoint", "touchpoint"
EMOTION_BLOCK, EMOTION_ACTION = "emotion", "emotion"
SHARE_BLOCK, SHARE_ACTION = "share", "share"
ANSWER_BLOCK, ANSWER_INPUT = "answer", "text"
SHARE_VALUE = "share"
# The core names a form's fields; the modal shows each error beside its own block.
FIELD_BLOCKS = {"text": STORY_BLOCK, "customer_label": LABEL_BLOCK, "touchpoint": TOUCHPOINT_BLOCK}
STORY_EXCERPT = 600


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


def capture_modal(form: CaptureForm) -> View:
    """The capture (or edit) form as a modal; errors point at the block ids above."""
    metadata = dict(form.source)
    if form.story_id is not None:
        metadata["story_id"] = form.story_id
    return View(
        type="modal",
        callback_id=EDIT_CALLBACK if form.story_id is not None else CAPTURE_CALLBACK,
        title=plain(form.title, 24),
        submit=plain(form.submit, 24),
        close=plain("Cancel", 24),
        private_metadata=clip(json.dumps(metadata, separators=(",", ":")), PRIVATE_METADATA_LIMIT),
        blocks=_inputs(form),
    )


def _inputs(form: CaptureForm) -> list[Block]:
    """The form's fields, in the same order and with the same rules as Teams' dialog."""
    blocks: list[Block] = [
        _text_input(
            block_id=STORY_BLOCK,
            action_id=STORY_ACTION,
            label=texts.FORM_STORY,
            initial=form.text,
            multiline=True,
            max_length=PLAIN_INPUT_LIMIT,
            optional=False,
            placeholder=texts.FORM_STORY_PLACEHOLDER,
            hint=texts.FORM_STORY_HINT,
        ),
        _text_input(
            block_id=LABEL_BLOCK,
            action_id=LABEL_ACTION,
            label=texts.FORM_LABEL,
            initial=form.customer_label,
            multiline=False,
            max_length=120,
            optional=True,
            placeholder=texts.FORM_LABEL_PLACEHOLDER,
        ),
        _text_input(
            block_id=TOUCHPOINT_BLOCK,
            action_id=TOUCHPOINT_ACTION,
            label=texts.FORM_TOUCHPOINT,
            initial=form.touchpoint,
            multiline=False,
            max_length=60,
            optional=True,
            placeholder=texts.FORM_TOUCHPOINT_PLACEHOLDER,
        ),
        *_choices(form),
    ]
    return blocks


def _choices(form: CaptureForm) -> list[Block]:
    """The feeling and the Share tick box."""
    emotion_options = [Option(value=key, label=label) for key, label in texts.EMOTIONS.items()]
    chosen = form.emotion.value if form.emotion else None
    initial_emotion = next((o for o in emotion_options if o.value == chosen), None)
    share_option = Option(value=SHARE_VALUE, label=form.share_label)
    return [
        InputBlock(
            block_id=EMOTION_BLOCK,
            label=texts.FORM_EMOTION,
            optional=True,
            element=StaticSelectElement(
                action_id=EMOTION_ACTION,
                placeholder=texts.FORM_EMOTION_PLACEHOLDER,
                options=emotion_options,
                initial_option=initial_emotion,
            ),
        ),
        InputBlock(
            block_id=SHARE_BLOCK,
            label=texts.FORM_SHARE,
            optional=True,
            element=CheckboxesElement(
                action_id=SHARE_ACTION,
                options=[share_option],
                initial_options=[share_option] if form.share else None,
            ),
        ),
    ]


def read_form(view: dict[str, Any]) -> FormInput:
    """The values a person submitted in the capture (or edit) modal."""
    values = view.get("state", {}).get("values", {})

    def typed(block: str, action: str) -> str:
        return (values.get(block, {}).get(action, {}).get("value") or "").strip()

    emotion = values.get(EMOTION_BLOCK, {}).get(EMOTION_ACTION, {}).get("selected_option")
    chosen = emotion.get("value") if emotion else None
    share = values.get(SHARE_BLOCK, {}).get(SHARE_ACTION, {}).get("selected_options") or []
    return FormInput(
        text=typed(STORY_BLOCK, STORY_ACTION),
        customer_label=typed(LABEL_BLOCK, LABEL_ACTION) or None,
        touchpoint=typed(TOUCHPOINT_BLOCK, TOUCHPOINT_ACTION) or None,
        emotion=Emotion(chosen) if chosen in texts.EMOTIONS else None,
        share=any(o.get("value") == SHARE_VALUE for o in share),
    )


def block_errors(errors: dict[str, str]) -> dict[str, str]:
    """The core's per-field errors, keyed by the modal's block ids."""
    return {FIELD_BLOCKS.get(field, STORY_BLOCK): message for field, message in errors.items()}


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    """What the modal carried through Slack (where the story came from, which story)."""
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def answer_modal(form: AnswerForm) -> View:
    quoted, _cut = quote(form.story_text, STORY_EXCERPT)
    blocks: list[Block] = []
    if form.story_text:
        blocks.append(SectionBlock(text=mrkdwn(quoted)))
    blocks += [
        InputBlock(
            block_id=ANSWER_BLOCK,
            label=plain(clip(form.question, 2000), 2000),
            element=PlainTextInputElement(
                action_id=ANSWER_INPUT,
                multiline=True,
                max_length=PLAIN_INPUT_LIMIT,
                placeholder=plain(prompt_texts.ANSWER_PLACEHOLDER, 150),
            ),
        ),
        ContextBlock(elements=[mrkdwn(escape(form.hint))]),
    ]
    return View(
        type="modal",
        callback_id=ANSWER_CALLBACK,
        private_metadata=str(form.delivery_id),
        title=plain(prompt_texts.ANSWER_TITLE, 24),
        submit=plain(prompt_texts.ANSWER_SUBMIT, 24),
        close=plain("Cancel", 24),
        blocks=blocks,
    )


def read_answer(view: dict[str, Any]) -> tuple[int, str]:
    """(delivery id, answer text) from a submitted answer modal."""
    values = view.get("state", {}).get("values", {})
    text = values.get(ANSWER_BLOCK, {}).get(ANSWER_INPUT, {}).get("value") or ""
    return int(view.get("private_metadata") or 0), text
