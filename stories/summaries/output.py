"""The summary as JSON (a stable schema) and as Markdown."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import UTC, date, datetime
from typing import Any

from stories.periods import Period
from stories.summaries.model import Change, Number, Summary

SCHEMA_VERSION = 1


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, Period):
        return {"start": _plain(value.start), "end": _plain(value.end), "label": value.label}
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def summary_payload(summary: Summary) -> dict[str, Any]:
    """JSON-ready dict with a stable schema (``{"schema": 1, ...}``); floats to 4 places."""
    body: dict[str, Any] = _plain(summary)
    return {"schema": SCHEMA_VERSION, **body}


def format_change(change: Change, *, percent: bool = False) -> str:
    """ "12 (up 3 from 9)", "40% (down 10 pts from 50%)", "n/a"."""

    def show(v: Number | None) -> str:
        if v is None:
            return "n/a"
        if percent:
            return f"{v * 100:.0f}%"
        return f"{v:,}" if isinstance(v, int) else f"{v:,.2f}"

    if change.value is None and change.previous is None:
        return "n/a"
    if change.delta is None:
        return f"{show(change.value)} (previously {show(change.previous)})"
    if change.direction == "flat":
        return f"{show(change.value)} (no change)"
    step = f"{abs(change.delta) * 100:.0f} pts" if percent else show(abs(change.delta))
    return f"{show(change.value)} ({change.direction} {step} from {show(change.previous)})"


def _excerpt(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def render_summary_text(summary: Summary) -> str:
    """The summary as Markdown-ish plain text (CLI, e-mail, logs)."""
    scope = f" — {summary.department.name}" if summary.department else ""
    lines = [
        f"# Summary for {summary.workspace_name}{scope}",
        f"{summary.period.label or 'period'}: {summary.period.start:%Y-%m-%d} to "
        f"{summary.period.end:%Y-%m-%d %H:%M} UTC, compared with the previous period "
        f"({summary.previous.start:%Y-%m-%d} to {summary.previous.end:%Y-%m-%d %H:%M}).",
        "",
        f"- Stories captured: {format_change(summary.stories)}",
        f"- Prompts sent: {format_change(summary.prompts_sent)}",
        f"- Answers: {format_change(summary.answers)}",
        f"- Response rate: {format_change(summary.response_rate, percent=True)}",
        f"- Participation: {format_change(summary.participation, percent=True)}",
        f"- Silo index: {format_change(summary.silo.overall, percent=True)}"
        f" (engagement {format_change(summary.silo.engagement, percent=True)};"
        f" answers {format_change(summary.silo.answers, percent=True)})",
    ]
    if summary.by_source:
        lines += ["", "## By source"]
        lines += [f"- {c.key}: {format_change(c.change)}" for c in summary.by_source]
    if summary.by_touchpoint:
        lines += ["", "## By touchpoint"]
        lines += [f"- {c.key}: {format_change(c.change)}" for c in summary.by_touchpoint]
    lines += ["", "## Top themes" + (" (sampled)" if summary.themes_sampled else "")]
    if summary.themes:
        for t in summary.themes:
            example = f"story {t.example_story_id}: " if t.example_story_id else ""
            quote = _excerpt(t.example_text)
            lines.append(f'- {t.phrase}: {format_change(t.count)} — e.g. {example}"{quote}"')
    else:
        lines.append("- none yet (themes need a phrase in at least two stories or answers)")
    if summary.emotions:
        inferred = (
            f" ({summary.emotions_inferred} inferred from the text)"
            if summary.emotions_inferred
            else ""
        )
        lines += ["", f"## Emotion mix{inferred}"]
        for e in summary.emotions:
            share = "n/a" if e.share is None else f"{e.share * 100:.0f}%"
            lines.append(f"- {e.emotion}: {share}, {format_change(e.count)}")
    if summary.departments:
        lines += ["", "## Departments"]
        for d in summary.departments:
            people = f"{d.members} member{'' if d.members == 1 else 's'}"
            lines.append(
                f"- {d.name} ({people}): prompts {format_change(d.prompts_delivered)}; "
                f"response rate {format_change(d.response_rate, percent=True)}; "
                f"participation {format_change(d.participation, percent=True)}"
            )
    lines += ["", "## Not answering"]
    lines += [f"- {name}" for name in summary.silent_departments] or [
        "- every department that was asked has answered"
    ]
    if summary.most_resonated:
        lines += ["", "## Most resonated stories"]
        for s in summary.most_resonated:
            lines.append(
                f"- story {s.story_id} ({s.resonates} resonates, {s.from_other_departments} from "
                f'other departments): "{_excerpt(s.text)}"'
            )
    return "\n".join(lines) + "\n"
