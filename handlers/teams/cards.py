"""Pure Adaptive Card 1.5 renderers: view models in, JSON-ready dicts out (no I/O)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from stories.capture import MAX_STORY_LENGTH

Card = dict[str, Any]
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
# Teams refuses a message over 28 KB; the card keeps 2 KB back for the activity around it.
MESSAGE_LIMIT = 28 * 1024
CARD_BUDGET = 26 * 1024


@dataclass(frozen=True)
class StoryView:
    """What a card shows about one story."""

    story_id: int
    text: str
    customer_label: str | None = None
    touchpoint: str | None = None
    resonates: int = 0


def adaptive_card(
    body: list[dict[str, Any]],
    actions: list[dict[str, Any]] | None = None,
    *,
    fallback_text: str | None = None,
) -> Card:
    """The card envelope every renderer shares (``fallback_text``: for clients without cards)."""
    card: Card = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": "1.5", "body": body}
    if actions:
        card["actions"] = actions
    if fallback_text:
        card["fallbackText"] = fallback_text
    return card


_card = adaptive_card


def _story_items(view: StoryView) -> list[dict[str, Any]]:
    facts = []
    if view.customer_label:
        facts.append({"title": "Customer", "value": view.customer_label})
    if view.touchpoint:
        facts.append({"title": "Touchpoint", "value": view.touchpoint})
    items: list[dict[str, Any]] = [{"type": "TextBlock", "text": _cut(view.text), "wrap": True}]
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


LEAD_COMMANDS = (
    (
        "summary [7d|30d|90d|quarter|YYYY-MM-DD..YYYY-MM-DD] [department]",
        "Figures and chart for a period (default: last 30 days)",
    ),
    ("departments", "List departments and their prompt schedules"),
    (
        "department add <name> [--customer-facing] [--time 09:30] [--tz Europe/London] "
        "[--days mon-fri]",
        "Add a department",
    ),
    ("department link <name>", "In the department's team channel: send its prompts there"),
    ("department pause <name> / resume <name>", "Stop or restart its prompts"),
    ("prompt now <name>", "Send that department a prompt now"),
)


def help_card(*, lead: bool = False) -> Card:
    """The commands the bot understands in chat; CX leads also see theirs."""
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
    if lead:
        body += [
            {
                "type": "TextBlock",
                "text": "CX lead commands",
                "weight": "Bolder",
                "separator": True,
            },
            {
                "type": "FactSet",
                "facts": [{"title": usage, "value": what} for usage, what in LEAD_COMMANDS],
            },
        ]
    return _card(body)


def lead_refusal_card() -> Card:
    """What anyone who is not a CX lead gets for a lead command: no data."""
    return notice_card(
        "Sorry, that command is for CX leads. Ask one of them, or send “help” to see what "
        "you can do."
    )


def notice_card(text: str, *, title: str | None = None) -> Card:
    """A short message (a confirmation, a refusal) in the card style of the rest."""
    body: list[dict[str, Any]] = []
    if title:
        body.append({"type": "TextBlock", "text": title, "weight": "Bolder", "wrap": True})
    body.append({"type": "TextBlock", "text": text, "wrap": True})
    return _card(body, fallback_text=f"{title}: {text}" if title else text)


@dataclass(frozen=True)
class DepartmentView:
    """One row of the departments list."""

    name: str
    customer_facing: bool
    linked: bool  # has a Teams channel for its prompts
    schedule: str
    paused: bool


def departments_card(rows: list[DepartmentView]) -> Card:
    """Departments with their schedule and whether prompts can reach them."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": "Departments", "weight": "Bolder", "size": "Medium"}
    ]
    if not rows:
        body.append(
            {
                "type": "TextBlock",
                "text": "None yet: add one with “department add <name>”.",
                "wrap": True,
            }
        )
    facts = []
    for row in rows:
        if row.customer_facing:
            state = "customer-facing, not prompted"
        elif not row.linked:
            state = f"{row.schedule}; no channel yet (“department link {row.name}” in it)"
        else:
            state = row.schedule + ("; paused" if row.paused else "")
        facts.append({"title": row.name, "value": state})
    if facts:
        body.append({"type": "FactSet", "facts": facts})
    return _card(body, fallback_text=f"{len(rows)} departments")


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
            "value": _cut(text, MAX_STORY_LENGTH),  # longer would be refused on submit anyway
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


def _cut(text: str, limit: int = STORY_LIMIT) -> str:
    """Long text is cut with a visible "…" so cards stay far under Teams' 28 KB."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- size guard ------------------------------------------------------------------------------


def card_size(card: Card) -> int:
    """Bytes of the card as JSON with non-ASCII escaped: the largest a connector may send."""
    return len(json.dumps(card).encode("utf-8"))


def _texts(node: Any) -> Iterator[tuple[dict[str, Any], str]]:
    """(element, key) for every shortenable text: TextBlock texts, fact values, fallbacks."""
    if isinstance(node, dict):
        if node.get("type") == "TextBlock" and isinstance(node.get("text"), str):
            yield node, "text"
        if isinstance(node.get("fallbackText"), str):
            yield node, "fallbackText"
        if "title" in node and isinstance(node.get("value"), str) and "type" not in node:
            yield node, "value"
        for value in node.values():
            yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)


def fit(card: Card, *, budget: int = CARD_BUDGET) -> Card:
    """The card, or a copy cut (with a visible "…") until it fits in one Teams message.

    Long stories and lists are already cut by the renderers; this is the last guard, so that
    no card is ever refused for its size. It halves the longest texts first, then the longest
    fact lists, then drops elements from the end.
    """
    if card_size(card) <= budget:
        return card
    card = copy.deepcopy(card)
    while card_size(card) > budget:
        length, node, key = max(
            ((len(n[k]), n, k) for n, k in _texts(card)), key=lambda c: c[0], default=(0, {}, "")
        )
        if length <= 80:
            break
        node[key] = _cut(node[key], length // 2)
    while card_size(card) > budget:
        empty: list[dict[str, Any]] = []
        facts: list[dict[str, Any]] = max(
            (f["facts"] for f in _factsets(card)), key=len, default=empty
        )
        if len(facts) <= 2:
            break
        if facts[-1] == CUT_FACT:
            facts.pop()
        del facts[len(facts) // 2 :]
        facts.append(dict(CUT_FACT))
    body = card.get("body")
    if card_size(card) > budget and isinstance(body, list) and body:
        body.append({"type": "TextBlock", "text": "… (cut to fit one message)", "wrap": True})
        while card_size(card) > budget and len(body) > 2:
            del body[-2]
    return card


CUT_FACT = {"title": "…", "value": "(cut to fit one message)"}


def _factsets(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if node.get("type") == "FactSet" and isinstance(node.get("facts"), list):
            yield node
        for value in node.values():
            yield from _factsets(value)
    elif isinstance(node, list):
        for item in node:
            yield from _factsets(item)
