"""Adaptive Card 1.5 basics every Teams renderer shares: the envelope, cutting long text,
and the last guard that keeps any card within one Teams message (no I/O)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

Card = dict[str, Any]
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
# Teams refuses a message over 28 KB; the card keeps 2 KB back for the activity around it.
MESSAGE_LIMIT = 28 * 1024
CARD_BUDGET = 26 * 1024
STORY_LIMIT = 2000


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
        card["fallbackText"] = cut(fallback_text, 300)
    return card


def cut(text: str, limit: int = STORY_LIMIT) -> str:
    """Long text is cut with a visible "…" so cards stay far under Teams' 28 KB."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def text_block(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def submit(title: str, data: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Action.Submit (works in every Teams client) carrying Sightline's own data."""
    return {"type": "Action.Submit", "title": title, "data": data, **extra}


def task(title: str, data: dict[str, Any]) -> dict[str, Any]:
    """A button that opens a dialog (task module) through Teams' task/fetch invoke."""
    return submit(title, {"msteams": {"type": "task/fetch"}, **data})


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
        node[key] = cut(node[key], length // 2)
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
