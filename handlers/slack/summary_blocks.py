"""Block Kit for the CX lead summary (`/cx summary` and the weekly digest).

A pure renderer of the platform-neutral :class:`stories.summaries.Summary`: every figure
with its change against the previous period, in one message within Slack's limits (50
blocks, 3,000 characters a section, 10 fields of 2,000 a section).
"""

from __future__ import annotations

from collections.abc import Iterable

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    SectionBlock,
)

from handlers.slack.blocks import (
    HEADER_LIMIT,
    MESSAGE_BLOCK_LIMIT,
    clip,
    escape,
    mrkdwn,
    plain,
)
from stories.summaries import Change, Summary, format_change

FIELD_LIMIT = 2000
CHUNK = 2900  # under the section limit, with room for the escape of a stray "&"
ARROWS = {"up": "↑", "down": "↓", "flat": "→"}
MAX_LINES = 12  # per list: a lead reads this in under a minute


def _figure(change: Change, *, percent: bool = False) -> str:
    return f"{ARROWS[change.direction]} {format_change(change, percent=percent)}"


def _excerpt(text: str, limit: int = 140) -> str:
    return escape(clip(" ".join(text.split()), limit))


def _list_sections(title: str, lines: Iterable[str]) -> list[Block]:
    """A titled list, split over as many sections as its length needs."""
    blocks: list[Block] = []
    chunk = [f"*{title}*"]
    for line in lines:
        line = clip(line, CHUNK)
        if sum(len(x) + 1 for x in chunk) + len(line) > CHUNK:
            blocks.append(SectionBlock(text=mrkdwn("\n".join(chunk))))
            chunk = []
        chunk.append(line)
    blocks.append(SectionBlock(text=mrkdwn("\n".join(chunk))))
    return blocks


def _capped(lines: list[str], noun: str) -> list[str]:
    if len(lines) <= MAX_LINES:
        return lines
    hidden = len(lines) - MAX_LINES
    return [*lines[:MAX_LINES], f"_…and {hidden} more {noun} (see `sightline summary`)_"]


def summary_title(summary: Summary) -> str:
    scope = f" · {summary.department.name}" if summary.department else ""
    return f"CX summary, {summary.period.label or 'period'}{scope}"


def summary_text(summary: Summary) -> str:
    """The notification and screen-reader line of the message."""
    return (
        f"{summary_title(summary)}: {format_change(summary.stories)} stories, "
        f"response rate {format_change(summary.response_rate, percent=True)}"
    )


def summary_blocks(summary: Summary, *, chart_note: str | None = None) -> list[Block]:
    """The summary as one Slack message. ``chart_note`` says where the chart is."""
    period, previous = summary.period, summary.previous
    blocks: list[Block] = [
        HeaderBlock(text=plain(summary_title(summary), HEADER_LIMIT)),
        ContextBlock(
            elements=[
                mrkdwn(
                    f"{escape(summary.workspace_name)} · {period.start:%Y-%m-%d} to "
                    f"{period.end:%Y-%m-%d %H:%M} UTC, compared with {previous.start:%Y-%m-%d}"
                    f" to {previous.end:%Y-%m-%d %H:%M}"
                )
            ]
        ),
    ]
    if summary.is_empty:
        blocks.append(
            SectionBlock(
                text=mrkdwn(
                    "Nothing to summarise yet: no stories, prompts or engagement in this "
                    "period. Try a longer one, e.g. `/cx summary 90d`."
                )
            )
        )
        return blocks
    silo = summary.silo
    fields = [
        f"*Stories captured*\n{_figure(summary.stories)}",
        f"*Prompts sent*\n{_figure(summary.prompts_sent)}",
        f"*Answers*\n{_figure(summary.answers)}",
        f"*Response rate*\n{_figure(summary.response_rate, percent=True)}",
        f"*Participation*\n{_figure(summary.participation, percent=True)}",
        f"*Silo index*\n{_figure(silo.overall, percent=True)}",
    ]
    blocks.append(SectionBlock(fields=[mrkdwn(f, FIELD_LIMIT) for f in fields]))
    blocks.append(
        ContextBlock(
            elements=[
                mrkdwn(
                    "Silo index: the share of resonates and answers on stories that came from "
                    "departments other than the story's own; higher means more line of sight."
                )
            ]
        )
    )
    blocks.append(DividerBlock())

    themes = [
        f"• *{escape(t.phrase)}* {_figure(t.count)} — _“{_excerpt(t.example_text)}”_"
        for t in summary.themes
    ] or ["• none yet (a theme needs a phrase in at least two stories or answers)"]
    sampled = " (from a sample)" if summary.themes_sampled else ""
    blocks += _list_sections(f"Top themes{sampled}", _capped(themes, "themes"))

    if summary.emotions:
        inferred = (
            f" ({summary.emotions_inferred} inferred from the text)"
            if summary.emotions_inferred
            else ""
        )
        emotions = [
            f"• {escape(e.emotion)}: {'n/a' if e.share is None else f'{e.share * 100:.0f}%'}"
            f" {_figure(e.count)}"
            for e in summary.emotions
        ]
        blocks += _list_sections(f"Emotion mix{inferred}", _capped(emotions, "emotions"))

    where = [f"• {escape(c.key)}: {_figure(c.change)}" for c in summary.by_touchpoint]
    how = [f"• {escape(c.key)}: {_figure(c.change)}" for c in summary.by_source]
    if where:
        blocks += _list_sections("Stories by touchpoint", _capped(where, "touchpoints"))
    if how:
        blocks += _list_sections("Stories by source", _capped(how, "sources"))

    if summary.departments:
        # Lowest response rate first: the departments a lead should talk to.
        ordered = sorted(
            summary.departments,
            key=lambda d: (d.response_rate.value is None, d.response_rate.value or 0.0, d.name),
        )
        rows = [
            f"• *{escape(d.name)}* ({d.members} member{'' if d.members == 1 else 's'}): "
            f"prompts {_figure(d.prompts_delivered)}; "
            f"response {_figure(d.response_rate, percent=True)}; "
            f"participation {_figure(d.participation, percent=True)}"
            for d in ordered
        ]
        blocks.append(DividerBlock())
        blocks += _list_sections("Departments", _capped(rows, "departments"))
    silent = [f"• {escape(name)}" for name in summary.silent_departments] or [
        "• every department that was asked has answered 🎉"
    ]
    blocks += _list_sections("Not answering yet", _capped(silent, "departments"))

    if summary.most_resonated:
        top = [
            f"• _“{_excerpt(s.text)}”_ — {s.resonates} resonate"
            f"{'' if s.resonates == 1 else 's'}, {s.from_other_departments} from other "
            f"departments" + (f" · {escape(s.touchpoint)}" if s.touchpoint else "")
            for s in summary.most_resonated
        ]
        blocks += _list_sections("Most resonated stories", _capped(top, "stories"))
    if chart_note:
        blocks.append(ContextBlock(elements=[mrkdwn(chart_note)]))
    if len(blocks) > MESSAGE_BLOCK_LIMIT:
        cut = ContextBlock(elements=[mrkdwn("_Cut to fit one message: see `sightline summary`._")])
        blocks = [*blocks[: MESSAGE_BLOCK_LIMIT - 1], cut]
    return blocks
