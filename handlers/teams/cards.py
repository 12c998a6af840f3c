"""Pure Adaptive Card 1.5 renderers: view models in, JSON-ready dicts out (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Card = dict[str, Any]
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"


@dataclass(frozen=True)
class StoryView:
    """What a card shows about one story."""

    story_id: int
    text: str
    customer_label: str | None = None
    touchpoint: str | None = None
    resonates: int = 0


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> Card:
    card: Card = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": "1.5", "body": body}
    if actions:
        card["actions"] = actions
    return card


def _story_items(view: StoryView) -> list[dict[str, Any]]:
    facts = []
    if view.customer_label:
        facts.append({"title": "Customer", "value": view.customer_label})
    if view.touchpoint:
        facts.append({"title": "Touchpoint", "value": view.touchpoint})
    items: list[dict[str, Any]] = [{"type": "TextBlock", "text": view.text, "wrap": True}]
    if facts:
        items.append({"type": "FactSet", "facts": facts})
    items.append(
        {
            "type": "TextBlock",
            "text": f"{view.resonates} resonate",
            "isSubtle": True,
            "size": "Small",
        }
    )
    return items


def resonate_action(story_id: int) -> dict[str, Any]:
    """Action.Submit (works in every Teams client) carrying the story id."""
    return {
        "type": "Action.Submit",
        "title": "This resonates",
        "data": {"sightline": "resonate", "story_id": story_id},
    }


def story_card(view: StoryView, *, heading: str = "Customer story") -> Card:
    """One story with a 'This resonates' button."""
    body = [{"type": "TextBlock", "text": heading, "weight": "Bolder", "size": "Medium"}]
    return _card(body + _story_items(view), [resonate_action(view.story_id)])


def search_results_card(query: str, views: list[StoryView], *, has_more: bool) -> Card:
    """Search hits, each in its own container."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": f"Stories matching “{query}”", "weight": "Bolder"}
    ]
    if not views:
        body.append({"type": "TextBlock", "text": "No stories match.", "wrap": True})
    for view in views:
        body.append({"type": "Container", "separator": True, "items": _story_items(view)})
    if has_more:
        body.append({"type": "TextBlock", "text": "More stories match.", "isSubtle": True})
    return _card(body)


def help_card() -> Card:
    """The commands the bot understands in chat."""
    facts = [
        {"title": "story <text>", "value": "Save a customer story"},
        {"title": "search <words>", "value": "Find stories"},
        {"title": "random", "value": "Show a random story"},
        {"title": "help", "value": "Show this help"},
    ]
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": "Sightline", "weight": "Bolder"},
        {"type": "FactSet", "facts": facts},
    ]
    return _card(body)


def capture_form_card(text: str = "") -> Card:
    """The 'Save as customer story' task module form."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": "Save as customer story", "weight": "Bolder"},
        {
            "type": "Input.Text",
            "id": "text",
            "label": "Story",
            "isMultiline": True,
            "isRequired": True,
            "value": text,
        },
        {"type": "Input.Text", "id": "customer_label", "label": "Customer (optional)"},
        {"type": "Input.Text", "id": "touchpoint", "label": "Touchpoint (optional)"},
    ]
    return _card(body, [{"type": "Action.Submit", "title": "Save"}])


def error_card(message: str) -> Card:
    """A friendly error people can read."""
    return _card([{"type": "TextBlock", "text": message, "wrap": True, "color": "Attention"}])


ANSWER_INPUT = "answer"


def prompt_card(
    *,
    delivery_id: int,
    department: str,
    story_text: str,
    question: str,
    customer_label: str | None = None,
    touchpoint: str | None = None,
) -> Card:
    """A line-of-sight prompt: the story, the question, an answer box and two actions."""
    story = StoryView(
        story_id=0, text=_cut(story_text), customer_label=customer_label, touchpoint=touchpoint
    )
    items = [i for i in _story_items(story) if "resonate" not in str(i.get("text", ""))]
    body = [
        {
            "type": "TextBlock",
            "text": f"Line of sight: {department}",
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        },
        {"type": "TextBlock", "text": "A real customer story:", "isSubtle": True},
        *items,
        {"type": "TextBlock", "text": question, "weight": "Bolder", "wrap": True},
        {
            "type": "Input.Text",
            "id": ANSWER_INPUT,
            "isMultiline": True,
            "maxLength": 3000,
            "placeholder": "How does your work touch this customer?",
        },
    ]
    actions = [
        {
            "type": "Action.Submit",
            "title": "Send answer",
            "data": {"sightline": "answer", "delivery_id": delivery_id},
        },
        {
            "type": "Action.Submit",
            "title": "Not relevant to us",
            "data": {"sightline": "not_relevant", "delivery_id": delivery_id},
        },
    ]
    return _card(body, actions)


def answered_card(*, department: str, question: str, answer_text: str) -> Card:
    """What the prompt card becomes once answered: the answer stored, shown back."""
    return _card(
        [
            {"type": "TextBlock", "text": f"Line of sight: {department}", "weight": "Bolder"},
            {"type": "TextBlock", "text": question, "wrap": True},
            {
                "type": "TextBlock",
                "text": f"Thank you. Your answer: {_cut(answer_text)}",
                "wrap": True,
            },
        ]
    )


STORY_LIMIT = 2000


def _cut(text: str) -> str:
    """Long text is cut with a visible "…" so cards stay far under Teams' 28 KB."""
    return text if len(text) <= STORY_LIMIT else text[: STORY_LIMIT - 1].rstrip() + "…"
