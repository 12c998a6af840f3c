"""Adaptive Cards for line-of-sight prompts, answers in their thread, and the storyteller's
notice (no I/O)."""

from __future__ import annotations

from typing import Any

from handlers.teams.cards import Card, adaptive_card, cut, submit, task, text_block
from stories.conversation import prompt_texts, texts
from stories.conversation.views import AnswerPost, AuthorNoticeView
from stories.prompts import PromptMessage

ANSWER_INPUT = "answer"
HARVEST = "harvest"  # PromptMessage.kind of a story-harvest prompt, and its dialog's name


def harvest_card(message: PromptMessage) -> Card:
    """A story-harvest prompt: the question and a button opening the capture dialog."""
    body = [
        text_block(
            prompt_texts.harvest_title(message.department_name), weight="Bolder", size="Medium"
        ),
        text_block(message.question, weight="Bolder"),
        text_block(prompt_texts.HARVEST_HINT, isSubtle=True, size="Small"),
    ]
    if message.answer_by:
        until = prompt_texts.answers_until(message.answer_by)
        body.append(text_block(until, isSubtle=True, size="Small"))
    actions = [
        task(
            prompt_texts.HARVEST_BUTTON, {"sightline": HARVEST, "delivery_id": message.delivery_id}
        )
    ]
    return adaptive_card(
        body, actions, fallback_text=prompt_texts.harvest_title(message.department_name)
    )


def prompt_card(message: PromptMessage) -> Card:
    """The prompt: the story, the question, an answer box, Send answer and Not relevant.

    The card stays as it is when someone answers, so everyone in the department can answer
    it; each answer arrives as a reply in the card's thread.
    """
    if message.kind == HARVEST:
        return harvest_card(message)
    facts = []
    if message.customer_label:
        facts.append({"title": texts.LABELS["customer"], "value": message.customer_label})
    if message.touchpoint:
        facts.append({"title": texts.LABELS["touchpoint"], "value": message.touchpoint})
    body: list[dict[str, Any]] = [
        text_block(
            prompt_texts.prompt_title(message.department_name), weight="Bolder", size="Medium"
        ),
        text_block(prompt_texts.A_REAL_STORY, isSubtle=True),
        text_block(cut(message.story_text)),
    ]
    if facts:
        body.append({"type": "FactSet", "facts": facts})
    if message.permalink:
        body.append(text_block(f"[{prompt_texts.WHERE_TOLD}]({message.permalink})", size="Small"))
    body += [
        text_block(message.question, weight="Bolder"),
        {
            "type": "Input.Text",
            "id": ANSWER_INPUT,
            "isMultiline": True,
            "maxLength": 3000,
            "placeholder": prompt_texts.ANSWER_PLACEHOLDER,
        },
        text_block(prompt_texts.ANSWER_HINT, isSubtle=True, size="Small"),
    ]
    if message.answer_by:
        until = prompt_texts.answers_until(message.answer_by)
        body.append(text_block(until, isSubtle=True, size="Small"))
    actions = [
        submit(
            prompt_texts.ANSWER_SUBMIT, {"sightline": "answer", "delivery_id": message.delivery_id}
        ),
        submit(
            prompt_texts.NOT_RELEVANT_BUTTON,
            {"sightline": "not_relevant", "delivery_id": message.delivery_id},
        ),
    ]
    fallback = prompt_texts.prompt_fallback(message.department_name, message.question)
    return adaptive_card(body, actions, fallback_text=fallback)


def answer_card(answer: AnswerPost) -> Card:
    """An answer as a reply in the prompt's thread."""
    who = answer.answerer_name or prompt_texts.SOMEONE
    line = prompt_texts.answer_line(who, edited=answer.edited)
    return adaptive_card(
        [text_block(line, weight="Bolder"), text_block(cut(answer.text, 3000))],
        fallback_text=f"{line} {cut(answer.text, 200)}",
    )


def author_notice_card(notice: AuthorNoticeView) -> Card:
    """The storyteller's message, kept up to date as the department answers."""
    body: list[dict[str, Any]] = [
        text_block(prompt_texts.author_notice_intro(notice.department), weight="Bolder"),
        text_block(f"“{notice.story_excerpt}”", isSubtle=True),
        text_block(prompt_texts.AUTHOR_NOTICE_ANSWERS, weight="Bolder"),
        *(text_block(f"“{cut(answer, 1200)}”") for answer in notice.answers),
    ]
    if notice.permalink:
        body.append(
            text_block(f"[{prompt_texts.WHERE_YOU_TOLD}]({notice.permalink})", size="Small")
        )
    actions = [submit(notice.opt_out, {"sightline": "notices_off"})]
    return adaptive_card(body, actions, fallback_text=notice.title)


def reminder_card(text: str) -> Card:
    return adaptive_card([text_block(text)], fallback_text=text)


def reminder_dm_card(text: str, link: str | None) -> Card:
    """A prompt's reminder in a member's personal chat, with a link to the prompt."""
    actions = (
        [{"type": "Action.OpenUrl", "title": prompt_texts.OPEN_PROMPT, "url": link}] if link else []
    )
    return adaptive_card([text_block(text)], actions, fallback_text=text)
