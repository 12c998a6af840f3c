"""The summary view: every wording, order, cap and number format decided once, then shown
the same way by the Slack, Teams, CLI and Markdown renderers."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.cli.context import console
from bot.cli.summary import _print_tables
from handlers.slack.blocks import block_dicts
from handlers.slack.summary_blocks import summary_blocks
from handlers.teams.summary_card import summary_card
from stories.periods import Period
from stories.summaries import (
    Change,
    DepartmentRef,
    DepartmentSummary,
    ResonatedStory,
    SiloIndex,
    Summary,
    ThemeSummary,
    WeeklySeries,
    compare,
    render_summary_text,
    summary_view,
)
from stories.summaries.view import CHAT_LINES, excerpt, figure

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)
PERIOD = Period(start=NOW - timedelta(days=7), end=NOW, label="last 7 days")
FLAT = compare(0, 0)


def _department(name: str, rate: float | None, *, asked: int = 1) -> DepartmentSummary:
    return DepartmentSummary(
        department_id=sum(map(ord, name)),
        name=name,
        members=3,
        prompts_delivered=compare(asked, 0),
        prompts_answered=FLAT,
        answers=FLAT,
        answering_members=FLAT,
        response_rate=compare(rate, None),
        participation=compare(None, None),
    )


def make_summary(**changes: Any) -> Summary:
    """A summary of a quiet week; ``changes`` replace any field."""
    unknown = compare(None, None)
    silo = SiloIndex(
        engagement=unknown, answers=unknown, overall=unknown, engagement_rows=0, answer_rows=0
    )
    summary = Summary(
        workspace_id=1,
        workspace_name="Acme",
        department=None,
        period=PERIOD,
        previous=PERIOD.previous(),
        generated_at=NOW,
        stories=compare(1204, 1000),
        by_source=(),
        by_touchpoint=(),
        themes=(),
        themes_sampled=False,
        emotions=(),
        emotions_inferred=0,
        emotions_sampled=False,
        prompts_sent=FLAT,
        answers=FLAT,
        response_rate=compare(0.25, 1.0),
        participation=unknown,
        departments=(),
        silent_departments=(),
        most_resonated=(),
        silo=silo,
        weekly=WeeklySeries(weeks=(), week_starts=(), series=()),
    )
    return replace(summary, **changes)


def _section(summary: Summary, title: str, *, full: bool = False) -> Any:
    view = summary_view(summary, full=full)
    return next(s for s in view.sections if s.title.startswith(title))


# ---- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "percent", "expected"),
    [
        (Change(1204, 1000, 204, "up"), False, ("1,204", "1,000", "↑ 204", "↑ 1,204 (up 204")),
        (Change(0.25, 1.0, -0.75, "down"), True, ("25%", "100%", "↓ 75 pts", "↓ 25% (down 75")),
        (Change(5, 5, 0, "flat"), False, ("5", "5", "→ no change", "→ 5 (no change)")),
        (Change(None, 0.5, None, "flat"), True, ("n/a", "50%", "n/a", "n/a (previously 50%)")),
        (Change(None, None, None, "flat"), True, ("n/a", "n/a", "n/a", "n/a")),
    ],
)
def test_a_figure_is_written_once_for_every_renderer(
    change: Change, percent: bool, expected: tuple[str, str, str, str]
) -> None:
    shown = figure(change, percent=percent)
    assert (shown.value, shown.previous, shown.change) == expected[:3]
    # No arrow for an unknown change: "→" would say it stayed the same.
    assert shown.arrowed.startswith(expected[3])


def test_excerpts_are_one_line_and_cut_with_an_ellipsis() -> None:
    assert excerpt("A refund\n\n  took   weeks.") == "A refund took weeks."
    cut = excerpt("word " * 100)
    assert len(cut) == 140
    assert cut.endswith("word…")


# ---- titles, empty states ----------------------------------------------------------------------


def test_titles_name_the_occasion_the_period_and_the_department() -> None:
    summary = make_summary(department=DepartmentRef(department_id=3, name="Finance"))
    view = summary_view(summary, heading="Weekly digest")
    assert view.title == "Weekly digest · CX summary, last 7 days · Finance"
    assert view.document_title == "Summary for Acme — Finance, last 7 days"
    assert view.period == (
        "2026-10-26 to 2026-11-02 09:00 UTC, compared with 2026-10-19 to 2026-10-26 09:00"
    )
    assert view.notification == (
        "Weekly digest · CX summary, last 7 days · Finance: stories 1,204 (up 204 from 1,000), "
        "response rate 25% (down 75 pts from 100%)"
    )


def test_an_empty_summary_is_one_sentence_in_chat_and_every_figure_in_a_document() -> None:
    empty = make_summary(stories=FLAT, response_rate=compare(None, None))
    assert empty.is_empty
    chat = summary_view(empty, retry="`/cx summary 90d`")
    assert chat.empty == (
        "Nothing to summarise yet: no stories, prompts or engagement in this period. "
        "Try a longer one, e.g. `/cx summary 90d`."
    )
    assert (chat.headline, chat.sections, chat.silo_note) == ((), (), None)
    document = summary_view(empty, full=True)
    assert document.empty == (
        "Nothing to summarise yet: no stories, prompts or engagement in this period."
    )
    rates = {m.label: m.figure.text for m in document.headline}
    assert rates["Response rate"] == "n/a"
    assert rates["Stories captured"] == "0 (no change)"
    assert summary_view(make_summary()).empty is None


def test_empty_lists_say_why_or_are_left_out() -> None:
    view = summary_view(make_summary())
    titles = [s.title for s in view.sections]
    # Themes and silent departments always answer the lead's question; other lists only show
    # when they have something in them.
    assert titles == ["Top themes", "Not answering yet"]
    themes, silent = view.sections
    assert themes.lines == ()
    assert themes.empty == "None yet: a theme needs a phrase in at least two stories or answers."
    assert silent.empty == "No department was sent a prompt in this period."
    asked = make_summary(departments=(_department("Finance", 1.0),))
    assert _section(asked, "Not answering").empty == (
        "Every department that was asked has answered."
    )


# ---- order and caps --------------------------------------------------------------------------


def test_departments_with_the_lowest_response_rate_come_first_and_never_asked_last() -> None:
    departments = (
        _department("Support", None, asked=0),
        _department("Finance", 0.5),
        _department("Legal", 0.0),
        _department("Audit", 0.5),
    )
    lines = _section(make_summary(departments=departments), "Departments").lines
    assert [line.name for line in lines] == ["Legal", "Audit", "Finance", "Support"]
    assert lines[0].aside == "3 members"
    assert [m.label for m in lines[0].metrics] == ["prompts", "response rate", "participation"]
    assert lines[-1].metrics[1].figure.text == "n/a"


def test_chat_lists_stop_at_twelve_lines_and_say_how_many_more() -> None:
    departments = tuple(_department(f"Dept {i:02d}", i / 100) for i in range(CHAT_LINES + 5))
    summary = make_summary(departments=departments)
    chat = _section(summary, "Departments")
    assert len(chat.lines) == CHAT_LINES
    assert chat.lines[0].name == "Dept 00"
    assert chat.more == "…and 5 more departments (see `sightline summary`)"
    document = _section(summary, "Departments", full=True)
    assert len(document.lines) == CHAT_LINES + 5
    assert document.more is None


def test_themes_and_most_resonated_quote_an_excerpt() -> None:
    story = "A customer waited   three weeks\nfor a refund. " * 20
    summary = make_summary(
        themes=(ThemeSummary("refund", compare(3, 1), 7, story),),
        most_resonated=(ResonatedStory(7, story, "billing", "Support", 1, 0),),
        themes_sampled=True,
    )
    view = summary_view(summary)
    themes = _section(summary, "Top themes")
    assert themes.title == "Top themes (from a sample)"
    [theme] = themes.lines
    assert theme.quote == excerpt(story)
    assert theme.quote.startswith("A customer waited three weeks for a refund.")
    [top] = next(s for s in view.sections if s.title == "Most resonated stories").lines
    assert (top.name, top.note) == ("1 resonate", "0 from other departments · billing")


# ---- one view, four renderers ----------------------------------------------------------------


def _cli(summary: Summary) -> str:
    with console.capture() as captured:
        _print_tables(summary)
    return captured.get()


RENDERERS = {
    "slack": lambda s: json.dumps(block_dicts(summary_blocks(s)), ensure_ascii=False),
    "teams": lambda s: json.dumps(summary_card(s), ensure_ascii=False),
    "markdown": render_summary_text,
    "cli": _cli,
}


@pytest.mark.parametrize("renderer", RENDERERS)
def test_every_renderer_shows_the_views_order_and_figures(renderer: str) -> None:
    departments = (_department("Zeta", 0.1), _department("Alpha", 0.9), _department("Mid", 0.5))
    summary = make_summary(departments=departments, silent_departments=("Gamma",))
    shown = RENDERERS[renderer](summary)
    assert shown.index("Zeta") < shown.index("Mid") < shown.index("Alpha")
    assert "25%" in shown  # the response rate, as the view writes it
    assert "75 pts" in shown
    assert "Gamma" in shown
    assert "None yet: a theme needs a phrase" in shown


@pytest.mark.parametrize("renderer", ["slack", "teams"])
def test_chat_renderers_cap_lists_where_the_view_does(renderer: str) -> None:
    departments = tuple(_department(f"Dept {i:02d}", i / 100) for i in range(CHAT_LINES + 3))
    shown = RENDERERS[renderer](make_summary(departments=departments))
    assert "…and 3 more departments" in shown
    assert f"Dept {CHAT_LINES - 1:02d}" in shown
    assert f"Dept {CHAT_LINES:02d}" not in shown
