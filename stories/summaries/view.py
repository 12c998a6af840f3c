"""The summary as people read it: one platform-free view, mapped to Block Kit, an Adaptive
Card, terminal tables and Markdown by four thin renderers.

Every user-visible decision lives here once: the wording, the order of each list (the
departments with the lowest response rate first), how long a list may be in chat ("…and 4
more departments"), how numbers, percentages and changes are written ("n/a" when unknown),
how much of a story is quoted, and what an empty summary says. A renderer only chooses
markup (bold, quotation marks, table cells, card elements) and its platform's limits.

Two levels of detail: chat messages (``full=False``) cap each list at :data:`CHAT_LINES` and
show an empty summary as one sentence; documents (``full=True``: the CLI's tables, Markdown)
list everything, with the silo index's two parts, and still show every figure when empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from stories.summaries.model import (
    Change,
    Count,
    DepartmentSummary,
    Direction,
    Number,
    Summary,
)

ARROWS: dict[Direction, str] = {"up": "↑", "down": "↓", "flat": "→"}
CHAT_LINES = 12  # per list in chat: a lead reads the message in under a minute
EXCERPT = 140  # characters of a story quoted in a line
FULL_REPORT = "`sightline summary`"  # where a capped chat list sends the reader for the rest
NO_QUOTE = "no shared story to quote"
SILO_NOTE = (
    "Silo index: the share of resonates and answers on stories that came from departments "
    "other than the story's own; higher means more line of sight."
)
T = TypeVar("T")


@dataclass(frozen=True)
class Figure:
    """One figure written out: this period, the previous one and the change between them."""

    value: str  # "25%", "1,204", "n/a"
    previous: str
    change: str  # "↑ 3", "↓ 75 pts", "→ no change", "n/a"
    direction: Direction
    text: str  # "25% (down 75 pts from 100%)"
    arrow: str  # "↓"; none when either side is unknown (an arrow would claim a change)

    @property
    def arrowed(self) -> str:
        """The text after its arrow: "↓ 25% (down 75 pts from 100%)"."""
        return f"{self.arrow} {self.text}" if self.arrow else self.text


@dataclass(frozen=True)
class Metric:
    """A labelled figure; ``parts`` break it down (only in documents)."""

    label: str
    figure: Figure
    parts: tuple[Metric, ...] = ()


@dataclass(frozen=True)
class Line:
    """One item of a list, in parts a renderer may emphasise: *name* (aside): metrics —
    “quote” — note."""

    name: str
    aside: str | None = None
    metrics: tuple[Metric, ...] = ()
    quote: str | None = None  # an excerpt of a shared story, without quotation marks
    note: str | None = None


@dataclass(frozen=True)
class Section:
    """A titled list, already ordered and capped."""

    title: str
    item: str  # what one line is about ("department"), e.g. for a table's first column
    lines: tuple[Line, ...]
    more: str | None = None  # "…and 4 more departments (see `sightline summary`)"
    empty: str | None = None  # said instead of the lines when there are none


@dataclass(frozen=True)
class SummaryView:
    """Everything a renderer shows, as text."""

    title: str  # "CX summary, last 7 days · Finance" (chat, where the workspace is known)
    document_title: str  # "Summary for Acme — Finance, last 7 days" (documents travel)
    workspace: str
    period: str  # "2026-10-26 to 2026-11-02 09:00 UTC, compared with 2026-10-19 to …"
    notification: str  # one line for notifications, screen readers and card fallbacks
    empty: str | None  # the empty state, when there is nothing to summarise
    headline: tuple[Metric, ...]
    silo_note: str | None  # what the silo index means, whenever it is shown
    sections: tuple[Section, ...]


def show(value: Number | None, *, percent: bool = False) -> str:
    """ "1,204", "0.25", "25%", or "n/a" for an unknown figure."""
    if value is None:
        return "n/a"
    if percent:
        return f"{value * 100:.0f}%"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"


def _step(change: Change, *, percent: bool) -> str:
    delta = abs(change.delta or 0)
    return f"{delta * 100:.0f} pts" if percent else show(delta)


def format_change(change: Change, *, percent: bool = False) -> str:
    """ "12 (up 3 from 9)", "40% (down 10 pts from 50%)", "n/a"."""
    value, previous = show(change.value, percent=percent), show(change.previous, percent=percent)
    if change.value is None and change.previous is None:
        return "n/a"
    if change.delta is None:
        return f"{value} (previously {previous})"
    if change.direction == "flat":
        return f"{value} (no change)"
    return f"{value} ({change.direction} {_step(change, percent=percent)} from {previous})"


def figure(change: Change, *, percent: bool = False) -> Figure:
    """``change`` written out in every form a renderer may need."""
    if change.delta is None:
        compact = "n/a"
    elif change.direction == "flat":
        compact = f"{ARROWS['flat']} no change"
    else:
        compact = f"{ARROWS[change.direction]} {_step(change, percent=percent)}"
    return Figure(
        value=show(change.value, percent=percent),
        previous=show(change.previous, percent=percent),
        change=compact,
        direction=change.direction,
        text=format_change(change, percent=percent),
        arrow="" if change.delta is None else ARROWS[change.direction],
    )


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """The text on one line, cut to ``limit`` characters with a visible "…"."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def plural(count: int, noun: str) -> str:
    """ "1 member", "2 members"."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def summary_view(
    summary: Summary, *, heading: str | None = None, full: bool = False, retry: str | None = None
) -> SummaryView:
    """The summary as one view for every renderer.

    Args:
        summary: what :func:`~stories.summaries.build_summary` computed.
        heading: the occasion, e.g. "Weekly digest", put before the title.
        full: a document (every line, the silo index's parts) rather than a chat message.
        retry: how a reader of this surface asks for a longer summary, e.g.
            "`/cx summary 90d`"; the empty state suggests it.

    Returns:
        The view; its lists are ordered and, unless ``full``, capped.
    """
    title = _title(summary, heading)
    stories, rate = figure(summary.stories), figure(summary.response_rate, percent=True)
    show_figures = full or not summary.is_empty
    return SummaryView(
        title=title,
        document_title=_document_title(summary),
        workspace=summary.workspace_name,
        period=_period(summary),
        notification=f"{title}: stories {stories.text}, response rate {rate.text}",
        empty=_empty(retry) if summary.is_empty else None,
        headline=_headline(summary, full=full) if show_figures else (),
        silo_note=SILO_NOTE if show_figures else None,
        sections=_sections(summary, full=full) if show_figures else (),
    )


def _title(summary: Summary, heading: str | None) -> str:
    scope = f" · {summary.department.name}" if summary.department else ""
    lead = f"{heading} · " if heading else ""
    return f"{lead}CX summary, {summary.period.label or 'period'}{scope}"


def _document_title(summary: Summary) -> str:
    scope = f" — {summary.department.name}" if summary.department else ""
    return f"Summary for {summary.workspace_name}{scope}, {summary.period.label or 'period'}"


def _period(summary: Summary) -> str:
    period, previous = summary.period, summary.previous
    return (
        f"{period.start:%Y-%m-%d} to {period.end:%Y-%m-%d %H:%M} UTC, compared with "
        f"{previous.start:%Y-%m-%d} to {previous.end:%Y-%m-%d %H:%M}"
    )


def _empty(retry: str | None) -> str:
    text = "Nothing to summarise yet: no stories, prompts or engagement in this period."
    return f"{text} Try a longer one, e.g. {retry}." if retry else text


def _headline(summary: Summary, *, full: bool) -> tuple[Metric, ...]:
    silo = summary.silo
    parts = (
        Metric("resonates only", figure(silo.engagement, percent=True)),
        Metric("answers only", figure(silo.answers, percent=True)),
    )
    return (
        Metric("Stories captured", figure(summary.stories)),
        Metric("Prompts sent", figure(summary.prompts_sent)),
        Metric("Answers", figure(summary.answers)),
        Metric("Response rate", figure(summary.response_rate, percent=True)),
        Metric("Participation", figure(summary.participation, percent=True)),
        Metric("Silo index", figure(silo.overall, percent=True), parts if full else ()),
    )


def _sections(summary: Summary, *, full: bool) -> tuple[Section, ...]:
    limit = None if full else CHAT_LINES

    def listed(title: str, item: str, lines: Sequence[Line], empty: str | None = None) -> Section:
        shown, hidden = _capped(lines, limit)
        items = "stories" if item == "story" else f"{item}s"
        more = f"…and {hidden:,} more {items} (see {FULL_REPORT})" if hidden else None
        return Section(title, item, tuple(shown), more, empty)

    sampled = " (from a sample)" if summary.themes_sampled else ""
    inferred = summary.emotions_inferred
    sections = [
        listed(
            f"Top themes{sampled}",
            "theme",
            _theme_lines(summary),
            "None yet: a theme needs a phrase in at least two stories or answers.",
        ),
        listed(
            f"Emotion mix ({inferred:,} inferred from the text)" if inferred else "Emotion mix",
            "emotion",
            _emotion_lines(summary),
        ),
        listed("Stories by touchpoint", "touchpoint", _count_lines(summary.by_touchpoint)),
        listed("Stories by source", "source", _count_lines(summary.by_source)),
        listed("Departments", "department", _department_lines(summary.departments)),
        listed(
            "Not answering yet",
            "department",
            [Line(name) for name in summary.silent_departments],
            _all_answered(summary),
        ),
        listed("Most resonated stories", "story", _resonated_lines(summary)),
    ]
    return tuple(s for s in sections if s.lines or s.empty)


def _all_answered(summary: Summary) -> str:
    if any(d.prompts_delivered.value for d in summary.departments):
        return "Every department that was asked has answered."
    return "No department was sent a prompt in this period."


def _capped(lines: Sequence[T], limit: int | None) -> tuple[Sequence[T], int]:
    if limit is None or len(lines) <= limit:
        return lines, 0
    return lines[:limit], len(lines) - limit


def _theme_lines(summary: Summary) -> list[Line]:
    # A theme found only in private stories keeps its count and quotes nothing. A short note
    # says so: a lead then reads the gap as deliberate rather than as a fault, and the note
    # names no story (it is also right for answers whose story was deleted).
    return [
        Line(
            t.phrase,
            metrics=(Metric("mentions", figure(t.count)),),
            quote=excerpt(t.example_text) if t.example_text else None,
            note=None if t.example_text else NO_QUOTE,
        )
        for t in summary.themes
    ]


def _emotion_lines(summary: Summary) -> list[Line]:
    return [
        Line(
            e.emotion,
            aside=None if e.share is None else f"{show(e.share, percent=True)} of stories",
            metrics=(Metric("stories", figure(e.count)),),
        )
        for e in summary.emotions
    ]


def _count_lines(counts: Sequence[Count]) -> list[Line]:
    return [Line(c.key, metrics=(Metric("stories", figure(c.change)),)) for c in counts]


def _by_response_rate(department: DepartmentSummary) -> tuple[bool, float, str]:
    # Lowest response rate first: the departments a lead should talk to; n/a (never asked) last.
    rate = department.response_rate.value
    return rate is None, float(rate or 0.0), department.name


def _department_lines(departments: Sequence[DepartmentSummary]) -> list[Line]:
    return [
        Line(
            d.name,
            aside=plural(d.members, "member"),
            metrics=(
                Metric("prompts", figure(d.prompts_delivered)),
                Metric("response rate", figure(d.response_rate, percent=True)),
                Metric("participation", figure(d.participation, percent=True)),
                *(
                    (Metric("harvest response", figure(d.harvest_response_rate, percent=True)),)
                    if d.harvest_response_rate is not None
                    else ()
                ),
            ),
        )
        for d in sorted(departments, key=_by_response_rate)
    ]


def _resonated_lines(summary: Summary) -> list[Line]:
    return [
        Line(
            plural(s.resonates, "resonate"),
            quote=excerpt(s.text),
            note=f"{s.from_other_departments:,} from other departments"
            + (f" · {s.touchpoint}" if s.touchpoint else ""),
        )
        for s in summary.most_resonated
    ]
