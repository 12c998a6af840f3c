"""The summary as JSON (a stable schema) and as Markdown (CLI, e-mail, logs)."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import UTC, date, datetime
from typing import Any

from stories.periods import Period
from stories.summaries.model import Summary
from stories.summaries.view import Line, Metric, SummaryView, summary_view

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


def render_summary_text(summary: Summary) -> str:
    """The summary as Markdown: every figure and every line (CLI, e-mail, logs)."""
    return markdown(summary_view(summary, full=True))


def markdown(view: SummaryView) -> str:
    """A view as Markdown."""
    lines = [f"# {view.document_title}", f"{view.period}.", ""]
    if view.empty:
        lines += [view.empty, ""]
    for metric in view.headline:
        lines.append(f"- {metric.label}: {metric.figure.text}")
        lines += [f"  - {part.label}: {part.figure.text}" for part in metric.parts]
    if view.silo_note:
        lines += ["", view.silo_note]
    for section in view.sections:
        lines += ["", f"## {section.title}"]
        lines += [f"- {_line(line)}" for line in section.lines] or [section.empty or ""]
        if section.more:
            lines.append(section.more)
    return "\n".join(lines) + "\n"


def _metrics(metrics: tuple[Metric, ...]) -> str:
    return "; ".join(f"{m.label} {m.figure.text}" for m in metrics)


def _line(line: Line) -> str:
    text = line.name + (f" ({line.aside})" if line.aside else "")
    if line.metrics:
        text += f": {_metrics(line.metrics)}"
    if line.quote:
        text += f" — “{line.quote}”"
    if line.note:
        text += f" — {line.note}"
    return text
