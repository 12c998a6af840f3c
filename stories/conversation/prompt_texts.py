"""What Sightline says about line-of-sight prompts and answers, on both platforms."""

from __future__ import annotations

from datetime import datetime

ANSWER_HINT = "Personal details are removed before your answer is stored."
A_REAL_STORY = "A real customer story:"
NOT_RELEVANT_BUTTON = "Not relevant to us"
WHERE_TOLD = "Where it was told"
WHERE_YOU_TOLD = "Where you told it"
SOMEONE = "Someone"
OPEN_PROMPT = "Open the prompt"  # the link in a prompt's reminder


def prompt_title(department: str) -> str:
    return f"Line of sight: {department}"


def prompt_fallback(department: str, question: str) -> str:
    return f"A customer story for {department}: {question}"


def answers_until(moment: datetime) -> str:
    return f"Answers welcome until {moment:%a %d %b, %H:%M} UTC."


ANSWER_TITLE = "Answer"
ANSWER_SUBMIT = "Send answer"
ANSWER_PLACEHOLDER = "How does your work touch this customer?"
NOT_RELEVANT = "Thanks: stories like this one will come to your department less often."
NOTICES_OFF = "Done: you will no longer hear when other departments reflect on your stories."
ANSWERED = "Thank you: your answer is stored and posted in the prompt's thread."
ANSWER_UPDATED = "Thank you: your answer is updated in the prompt's thread."


def answer_line(name: str, *, edited: bool) -> str:
    return f"{name} {'updated their answer' if edited else 'answered'}:"


def author_notice_title(department: str) -> str:
    return f"{department} reflected on your customer story"


def author_notice_intro(department: str) -> str:
    return f"{department} reflected on the customer story you shared:"


AUTHOR_NOTICE_ANSWERS = "What they said:"
ANOTHER_DEPARTMENT = "Another department"


# --- story-harvest prompts (customer-facing departments) ----------------------------------
HARVEST_QUESTION = (
    "One customer moment from this week: what happened, and how did it feel for them?"
)
HARVEST_BUTTON = "Tell one"
HARVEST_HINT = "Two minutes is enough. Personal details are removed before it is stored."


def harvest_title(department: str) -> str:
    return f"{department}: one customer moment from this week"


def harvest_form_title(department: str) -> str:
    """The capture form's title from a harvest prompt: names the department (in Slack's 24)."""
    title = f"Story for {department}"
    return title if len(title) <= 24 else department[:23] + "…"
