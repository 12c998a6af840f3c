"""Adaptive Card for the CX lead summary (`summary` in Teams and the weekly digest).

A pure renderer of the platform-neutral :class:`stories.summaries.Summary`, the Teams twin
of ``handlers/slack/summary_blocks.py``: every figure with its change against the previous
period, lists capped so a lead reads it in a minute, the chart as an Image from a signed URL
(or a note saying why there is none), and the whole card within Teams' message size.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from handlers.teams.cards import Card, adaptive_card, fit
from stories.summaries import Change, Summary, format_change

ARROWS = {"up": "↑", "down": "↓", "flat": "→"}
MAX_LINES = 12  # per list
EXCERPT = 140  # characters of a story quoted in a list


def _figure(change: Change, *, percent: bool = False) -> str:
    return f"{ARROWS[change.direction]} {format_change(change, percent=percent)}"


def _excerpt(text: str, limit: int = EXCERPT) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def summary_title(summary: Summary, heading: str | None = None) -> str:
    scope = f" · {summary.department.name}" if summary.department else ""
    lead = f"{heading} · " if heading else ""
    return f"{lead}CX summary, {summary.period.label or 'period'}{scope}"


def summary_text(summary: Summary, heading: str | None = None) -> str:
    """One line for notifications and for clients that cannot show cards."""
    return (
        f"{summary_title(summary, heading)}: {format_change(summary.stories)} stories, "
        f"response rate {format_change(summary.response_rate, percent=True)}"
    )


def _heading(text: str) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "weight": "Bolder", "wrap": True, "separator": True}


def _facts(title: str, rows: Iterable[tuple[str, str]], noun: str) -> list[dict[str, Any]]:
    """A titled FactSet, capped at MAX_LINES with a line saying how many were left out."""
    listed = list(rows)
    if not listed:
        return []
    shown = listed[:MAX_LINES]
    items: list[dict[str, Any]] = [
        _heading(title),
        {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in shown]},
    ]
    if len(listed) > MAX_LINES:
        hidden = len(listed) - MAX_LINES
        items.append(
            {
                "type": "TextBlock",
                "text": f"…and {hidden} more {noun} (see `sightline summary`).",
                "isSubtle": True,
                "wrap": True,
            }
        )
    return items


def _headline(summary: Summary) -> list[dict[str, Any]]:
    facts = [
        ("Stories captured", _figure(summary.stories)),
        ("Prompts sent", _figure(summary.prompts_sent)),
        ("Answers", _figure(summary.answers)),
        ("Response rate", _figure(summary.response_rate, percent=True)),
        ("Participation", _figure(summary.participation, percent=True)),
        ("Silo index", _figure(summary.silo.overall, percent=True)),
    ]
    return [
        {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in facts]},
        {
            "type": "TextBlock",
            "text": "Silo index: the share of resonates and answers on stories that came from "
            "departments other than the story's own; higher means more line of sight.",
            "isSubtle": True,
            "size": "Small",
            "wrap": True,
        },
    ]


def _chart(summary: Summary, url: str | None, note: str | None) -> list[dict[str, Any]]:
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
    if note:
        return [{"type": "TextBlock", "text": note, "isSubtle": True, "wrap": True}]
    return []


def _details(summary: Summary) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = []
    sampled = " (from a sample)" if summary.themes_sampled else ""
    themes = [
        (t.phrase, f"{_figure(t.count)} — “{_excerpt(t.example_text)}”") for t in summary.themes
    ]
    body += _facts(f"Top themes{sampled}", themes, "themes") or [
        _heading("Top themes"),
        {
            "type": "TextBlock",
            "text": "None yet (a theme needs a phrase in at least two stories or answers).",
            "wrap": True,
        },
    ]
    inferred = (
        f" ({summary.emotions_inferred} inferred from the text)"
        if summary.emotions_inferred
        else ""
    )
    emotions = [
        (e.emotion, f"{'n/a' if e.share is None else f'{e.share * 100:.0f}%'} {_figure(e.count)}")
        for e in summary.emotions
    ]
    body += _facts(f"Emotion mix{inferred}", emotions, "emotions")
    body += _facts(
        "Stories by touchpoint",
        ((c.key, _figure(c.change)) for c in summary.by_touchpoint),
        "touchpoints",
    )
    body += _facts(
        "Stories by source", ((c.key, _figure(c.change)) for c in summary.by_source), "sources"
    )
    # Lowest response rate first: the departments a lead should talk to.
    ordered = sorted(
        summary.departments,
        key=lambda d: (d.response_rate.value is None, d.response_rate.value or 0.0, d.name),
    )
    body += _facts(
        "Departments",
        (
            (
                f"{d.name} ({_plural(d.members, 'member')})",
                f"prompts {_figure(d.prompts_delivered)}; response "
                f"{_figure(d.response_rate, percent=True)}; participation "
                f"{_figure(d.participation, percent=True)}",
            )
            for d in ordered
        ),
        "departments",
    )
    silent = summary.silent_departments
    body.append(_heading("Not answering yet"))
    body.append(
        {
            "type": "TextBlock",
            "text": ", ".join(silent[:MAX_LINES])
            + (f" and {len(silent) - MAX_LINES} more" if len(silent) > MAX_LINES else "")
            if silent
            else "Every department that was asked has answered 🎉",
            "wrap": True,
        }
    )
    body += _facts(
        "Most resonated stories",
        (
            (
                _plural(s.resonates, "resonate"),
                f"“{_excerpt(s.text)}” ({s.from_other_departments} from other departments"
                + (f" · {s.touchpoint})" if s.touchpoint else ")"),
            )
            for s in summary.most_resonated
        ),
        "stories",
    )
    return body


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
    period, previous = summary.period, summary.previous
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": summary_title(summary, heading),
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        },
        {
            "type": "TextBlock",
            "text": f"{summary.workspace_name} · {period.start:%Y-%m-%d} to "
            f"{period.end:%Y-%m-%d %H:%M} UTC, compared with {previous.start:%Y-%m-%d} to "
            f"{previous.end:%Y-%m-%d %H:%M}",
            "isSubtle": True,
            "size": "Small",
            "wrap": True,
        },
    ]
    if summary.is_empty:
        body.append(
            {
                "type": "TextBlock",
                "text": "Nothing to summarise yet: no stories, prompts or engagement in this "
                "period. Try a longer one, e.g. “summary 90d”.",
                "wrap": True,
            }
        )
    else:
        body += _headline(summary) + _chart(summary, chart_url, chart_note) + _details(summary)
    return fit(adaptive_card(body, fallback_text=summary_text(summary, heading)))
