"""Adaptive Card for the CX lead summary (`summary` in Teams and the weekly digest).

A thin renderer of :class:`stories.summaries.SummaryView`, the Teams twin of
``handlers/slack/summary_blocks.py``: it maps the view to TextBlocks and FactSets, adds the
chart as an Image from a signed URL (or a note saying why there is none) and keeps the whole
card within Teams' message size (``fit``). Wording, order and caps are the view's.
"""

from __future__ import annotations

from typing import Any

from handlers.teams.cards import Card, adaptive_card, fit
from stories.summaries import Summary, SummaryView, summary_view
from stories.summaries.view import Line, Metric, Section

RETRY = "“summary 90d”"  # how a lead asks for a longer period in Teams
Element = dict[str, Any]


def summary_title(summary: Summary, heading: str | None = None) -> str:
    """The card's title: "Weekly digest · CX summary, last 7 days · Finance"."""
    return summary_view(summary, heading=heading).title


def summary_text(summary: Summary, heading: str | None = None) -> str:
    """One line for notifications and for clients that cannot show cards."""
    return summary_view(summary, heading=heading).notification


def _text(text: str, **style: Any) -> Element:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _subtle(text: str) -> Element:
    return _text(text, isSubtle=True, size="Small")


def _facts(facts: list[tuple[str, str]]) -> Element:
    return {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in facts]}


def _metric(metric: Metric) -> str:
    parts = "".join(f"; {p.label} {p.figure.arrowed}" for p in metric.parts)
    return metric.figure.arrowed + parts


def _headline(view: SummaryView) -> list[Element]:
    if not view.headline:
        return []
    items = [_facts([(m.label, _metric(m)) for m in view.headline])]
    return items + ([_subtle(view.silo_note)] if view.silo_note else [])


def _fact(line: Line) -> tuple[str, str]:
    title = line.name + (f" ({line.aside})" if line.aside else "")
    value = "; ".join(f"{m.label} {m.figure.arrowed}" for m in line.metrics)
    for extra in (f"“{line.quote}”" if line.quote else None, line.note):
        if extra:
            value = f"{value} — {extra}" if value else extra
    return title, value


def _section(section: Section) -> list[Element]:
    items = [_text(section.title, weight="Bolder", separator=True)]
    described = [line for line in section.lines if line.metrics or line.quote or line.note]
    if described:
        items.append(_facts([_fact(line) for line in section.lines]))
    elif section.lines:  # names alone (departments not answering) read best as one sentence
        items.append(_text(", ".join(line.name for line in section.lines)))
    elif section.empty:
        items.append(_text(section.empty))
    if section.more:
        items.append(_text(section.more, isSubtle=True))
    return items


def _chart(summary: Summary, url: str | None, note: str | None) -> list[Element]:
    if url:
        alt = (
            "Stories per week by touchpoint and response rate per department, "
            + summary.period.label
        )
        return [
            {
                "type": "Image",
                "url": url,
                "altText": alt,
                "size": "Stretch",
                "selectAction": {"type": "Action.OpenUrl", "title": "Open the chart", "url": url},
            }
        ]
    return [_text(note, isSubtle=True)] if note else []


def summary_card(
    summary: Summary,
    *,
    chart_url: str | None = None,
    chart_note: str | None = None,
    heading: str | None = None,
) -> Card:
    """The summary as one card. ``chart_url``: a signed chart image; else ``chart_note``.

    ``heading`` names the occasion, e.g. "Weekly digest".
    """
    view = summary_view(summary, heading=heading, retry=RETRY)
    body = [
        _text(view.title, weight="Bolder", size="Medium"),
        _subtle(f"{view.workspace} · {view.period}"),
    ]
    if view.empty:
        body.append(_text(view.empty))
    body += _headline(view) + _chart(summary, chart_url, chart_note)
    for section in view.sections:
        body += _section(section)
    return fit(adaptive_card(body, fallback_text=view.notification))
