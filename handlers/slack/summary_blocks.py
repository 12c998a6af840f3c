"""Block Kit for the CX lead summary (`/cx summary` and the weekly digest).

A thin renderer of :class:`stories.summaries.SummaryView`: it only maps the view to mrkdwn
and blocks, escapes text for mrkdwn and keeps the message within Slack's limits (50 blocks,
3,000 characters a section, 10 fields of 2,000 a section). Wording, order and caps are the
view's.
"""

from __future__ import annotations

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
from stories.summaries import Summary, SummaryView, summary_view
from stories.summaries.view import FULL_REPORT, Line, Metric, Section

FIELD_LIMIT = 2000
CHUNK = 2900  # under the section limit, with room for the escape of a stray "&"
RETRY = "`/cx summary 90d`"  # how a lead asks for a longer period in Slack


def summary_title(summary: Summary) -> str:
    """The message's header: "CX summary, last 7 days · Finance"."""
    return summary_view(summary).title


def summary_text(summary: Summary) -> str:
    """The notification and screen-reader line of the message."""
    return summary_view(summary).notification


def _field(metric: Metric) -> str:
    parts = (f"{escape(p.label)} {p.figure.arrowed}" for p in metric.parts)
    return "\n".join([f"*{escape(metric.label)}*", metric.figure.arrowed, *parts])


def _line(line: Line) -> str:
    text = f"• *{escape(line.name)}*" + (f" ({escape(line.aside)})" if line.aside else "")
    if line.metrics:
        text += ": " + "; ".join(f"{escape(m.label)} {m.figure.arrowed}" for m in line.metrics)
    if line.quote:
        text += f" — _“{escape(line.quote)}”_"
    if line.note:
        text += f" — {escape(line.note)}"
    return text


def _section(section: Section) -> list[Block]:
    """A titled list, split over as many sections as its length needs."""
    lines = [_line(line) for line in section.lines] or [escape(section.empty or "")]
    if section.more:
        lines.append(f"_{escape(section.more)}_")
    blocks: list[Block] = []
    chunk = [f"*{escape(section.title)}*"]
    for line in lines:
        line = clip(line, CHUNK)
        if sum(len(x) + 1 for x in chunk) + len(line) > CHUNK:
            blocks.append(SectionBlock(text=mrkdwn("\n".join(chunk))))
            chunk = []
        chunk.append(line)
    blocks.append(SectionBlock(text=mrkdwn("\n".join(chunk))))
    return blocks


def _figures(view: SummaryView) -> list[Block]:
    if not view.headline:
        return []
    fields = [mrkdwn(_field(metric), FIELD_LIMIT) for metric in view.headline]
    blocks: list[Block] = [SectionBlock(fields=fields)]
    if view.silo_note:
        blocks.append(ContextBlock(elements=[mrkdwn(escape(view.silo_note))]))
    return [*blocks, DividerBlock()]


def summary_blocks(summary: Summary, *, chart_note: str | None = None) -> list[Block]:
    """The summary as one Slack message. ``chart_note`` says where the chart is."""
    view = summary_view(summary, retry=RETRY)
    blocks: list[Block] = [
        HeaderBlock(text=plain(view.title, HEADER_LIMIT)),
        ContextBlock(elements=[mrkdwn(f"{escape(view.workspace)} · {escape(view.period)}")]),
    ]
    if view.empty:
        blocks.append(SectionBlock(text=mrkdwn(escape(view.empty))))
    blocks += _figures(view)
    for section in view.sections:
        blocks += _section(section)
    if chart_note:
        blocks.append(ContextBlock(elements=[mrkdwn(chart_note)]))
    if len(blocks) > MESSAGE_BLOCK_LIMIT:
        cut = ContextBlock(elements=[mrkdwn(f"_Cut to fit one message: see {FULL_REPORT}._")])
        blocks = [*blocks[: MESSAGE_BLOCK_LIMIT - 1], cut]
    return blocks
