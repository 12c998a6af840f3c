"""Ranked full-text search, on SQLite (FTS5) and PostgreSQL (tsvector)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from stories.capture import StoryChanges, StoryDraft, capture_story, delete_story, edit_story
from stories.clock import FixedClock
from stories.departments import DepartmentSpec, add_department
from stories.errors import InvalidSearchError
from stories.models import Member, SourceKind, Story, Workspace
from stories.redaction import Redactor
from stories.search import fts5_expression, parse_query, search_stories, websearch_text
from stories.workspaces import ensure_member


def _add(
    session: Session,
    clock: FixedClock,
    redactor: Redactor,
    workspace: Workspace,
    text: str,
    *,
    touchpoint: str | None = None,
    author: Member | None = None,
    days_ago: int = 0,
) -> Story:
    draft = StoryDraft(
        workspace_id=workspace.id or 0,
        text=text,
        source_kind=SourceKind.CLI,
        touchpoint=touchpoint,
        author_member_id=author.id if author else None,
        created_at=clock.now() - timedelta(days=days_ago),
    )
    return capture_story(session=session, clock=clock, redactor=redactor, draft=draft).story


def _ids(page_hits: list[object]) -> list[int]:
    return [hit.story.id or 0 for hit in page_hits]  # type: ignore[attr-defined]


@pytest.fixture
def corpus(
    session: Session, clock: FixedClock, redactor: Redactor, workspace: Workspace
) -> dict[str, Story]:
    return {
        "refund": _add(
            session,
            clock,
            redactor,
            workspace,
            "The customer waited six weeks for a refund and phoned us four times about it.",
            touchpoint="refunds",
            days_ago=3,
        ),
        "refund_mention": _add(
            session,
            clock,
            redactor,
            workspace,
            "A long story about a delivery that arrived late; the driver was kind, "
            "and at the very end she asked whether a refund was possible.",
            touchpoint="delivery",
            days_ago=10,
        ),
        "login": _add(
            session,
            clock,
            redactor,
            workspace,
            "Password reset emails never arrived, so the customer could not log in for two days.",
            touchpoint="login",
            days_ago=40,
        ),
        "invoice": _add(
            session,
            clock,
            redactor,
            workspace,
            "The invoice showed the wrong VAT number and their finance team rejected it.",
            touchpoint="invoices",
            days_ago=1,
        ),
    }


def test_stemmed_words_find_stories_best_match_first(
    session: Session, workspace: Workspace, corpus: dict[str, Story]
) -> None:
    page = search_stories(session=session, workspace_id=workspace.id or 0, query="Refunds")
    assert _ids(page.hits) == [corpus["refund"].id, corpus["refund_mention"].id]
    assert page.hits[0].score > page.hits[1].score
    assert page.has_more is False


def test_all_words_must_appear(
    session: Session, workspace: Workspace, corpus: dict[str, Story]
) -> None:
    page = search_stories(session=session, workspace_id=workspace.id or 0, query="refund driver")
    assert _ids(page.hits) == [corpus["refund_mention"].id]


def test_phrases_exclusions_and_or(
    session: Session, workspace: Workspace, corpus: dict[str, Story]
) -> None:
    ws = workspace.id or 0
    phrase = search_stories(session=session, workspace_id=ws, query='"password reset"')
    assert _ids(phrase.hits) == [corpus["login"].id]
    wrong_order = search_stories(session=session, workspace_id=ws, query='"reset password"')
    assert wrong_order.hits == []
    excluded = search_stories(session=session, workspace_id=ws, query="refund -delivery")
    assert _ids(excluded.hits) == [corpus["refund"].id]
    either = search_stories(session=session, workspace_id=ws, query="invoice or password")
    assert set(_ids(either.hits)) == {corpus["invoice"].id, corpus["login"].id}


def test_touchpoint_label_is_searchable(
    session: Session, workspace: Workspace, corpus: dict[str, Story]
) -> None:
    page = search_stories(session=session, workspace_id=workspace.id or 0, query="invoices")
    assert _ids(page.hits) == [corpus["invoice"].id]


@pytest.mark.parametrize(
    "query",
    ['"', "AND OR NOT", "refund*) NEAR(", "'; DROP TABLE story; --", "col:refund", "^refund"],
)
def test_syntax_in_queries_is_never_an_error(
    session: Session, workspace: Workspace, corpus: dict[str, Story], query: str
) -> None:
    try:
        page = search_stories(session=session, workspace_id=workspace.id or 0, query=query)
    except InvalidSearchError:
        return  # nothing searchable was left, which people are told politely
    assert isinstance(page.hits, list)
    assert session.get(Story, corpus["refund"].id) is not None


@pytest.mark.parametrize("query", ["", "   ", "-refund", "!!! ???"])
def test_queries_without_words_get_a_friendly_error(
    session: Session, workspace: Workspace, query: str
) -> None:
    with pytest.raises(InvalidSearchError, match="at least one word"):
        search_stories(session=session, workspace_id=workspace.id or 0, query=query)


def test_filters_by_touchpoint_department_and_dates(
    session: Session, clock: FixedClock, redactor: Redactor, workspace: Workspace
) -> None:
    ws = workspace.id or 0
    finance = add_department(
        session=session, clock=clock, workspace_id=ws, spec=DepartmentSpec(name="Finance")
    )
    author = ensure_member(
        session=session, clock=clock, workspace_id=ws, platform_user_id="U1", display_name="Ana"
    )
    author.department_id = finance.id
    session.add(author)
    session.commit()
    old = _add(
        session,
        clock,
        redactor,
        workspace,
        "Billing portal timed out twice today.",
        touchpoint="billing",
        days_ago=60,
    )
    new = _add(
        session,
        clock,
        redactor,
        workspace,
        "Billing portal showed the wrong currency.",
        touchpoint="billing",
        author=author,
        days_ago=2,
    )
    other = _add(
        session,
        clock,
        redactor,
        workspace,
        "The billing letter confused the customer.",
        touchpoint="letters",
        days_ago=2,
    )

    def ids(**filters: object) -> set[int]:
        page = search_stories(session=session, workspace_id=ws, query="billing", **filters)  # type: ignore[arg-type]
        return set(_ids(page.hits))

    assert ids() == {old.id, new.id, other.id}
    assert ids(touchpoint="Billing") == {old.id, new.id}
    assert ids(department_id=finance.id) == {new.id}
    assert ids(since=clock.now() - timedelta(days=7)) == {new.id, other.id}
    assert ids(until=clock.now() - timedelta(days=30)) == {old.id}
    exact = ids(since=new.created_at, until=new.created_at, touchpoint="billing")
    assert exact == {new.id}


def test_paging_reports_whether_more_follow(
    session: Session, clock: FixedClock, redactor: Redactor, workspace: Workspace
) -> None:
    for n in range(5):
        _add(
            session,
            clock,
            redactor,
            workspace,
            f"Checkout failed again for customer {n}.",
            days_ago=n,
        )
    ws = workspace.id or 0
    first = search_stories(session=session, workspace_id=ws, query="checkout", limit=2)
    second = search_stories(session=session, workspace_id=ws, query="checkout", limit=2, offset=2)
    last = search_stories(session=session, workspace_id=ws, query="checkout", limit=2, offset=4)
    assert first.has_more
    assert second.has_more
    assert not last.has_more
    seen = _ids(first.hits) + _ids(second.hits) + _ids(last.hits)
    assert len(seen) == len(set(seen)) == 5


def test_index_follows_edits_deletes_and_workspaces(
    session: Session, clock: FixedClock, redactor: Redactor, workspace: Workspace
) -> None:
    ws = workspace.id or 0
    story = _add(session, clock, redactor, workspace, "The parcel locker code never arrived.")
    other_ws = Workspace(
        platform=workspace.platform, external_id="t2", name="Other", created_at=clock.now()
    )
    session.add(other_ws)
    session.commit()
    _add(session, clock, redactor, other_ws, "Another company's parcel went missing too.")

    assert _ids(search_stories(session=session, workspace_id=ws, query="parcel").hits) == [story.id]
    edit_story(
        session=session,
        clock=clock,
        redactor=redactor,
        workspace_id=ws,
        story_id=story.id or 0,
        actor=None,
        changes=StoryChanges(text="The courier left the box in the rain."),
    )
    assert search_stories(session=session, workspace_id=ws, query="parcel").hits == []
    assert _ids(search_stories(session=session, workspace_id=ws, query="rain").hits) == [story.id]
    delete_story(session=session, clock=clock, workspace_id=ws, story_id=story.id or 0, actor=None)
    assert search_stories(session=session, workspace_id=ws, query="rain").hits == []


def test_redacted_details_are_not_searchable(
    session: Session, clock: FixedClock, redactor: Redactor, workspace: Workspace
) -> None:
    _add(
        session,
        clock,
        redactor,
        workspace,
        "Customer jane.doe@example.com asked us to call back about her order.",
    )
    ws = workspace.id or 0
    assert search_stories(session=session, workspace_id=ws, query="jane").hits == []
    assert len(search_stories(session=session, workspace_id=ws, query="call back").hits) == 1


def test_query_translation_is_stable() -> None:
    terms = parse_query('late "credit note" -courier or refund')
    # "or" after an exclusion has nothing to pair with, so refund is simply required.
    assert fts5_expression(terms) == '("late" AND "credit note" AND "refund") NOT "courier"'
    assert websearch_text(terms) == 'late "credit note" -courier refund'
    either = parse_query("invoice OR refund late")
    assert fts5_expression(either) == '(("invoice" OR "refund") AND "late")'
    assert websearch_text(either) == "invoice or refund late"


def test_dates_are_compared_in_utc(
    session: Session, clock: FixedClock, redactor: Redactor, workspace: Workspace
) -> None:
    story = _add(session, clock, redactor, workspace, "Delivery slot changed without notice.")
    ws = workspace.id or 0
    from zoneinfo import ZoneInfo

    same_instant = story.created_at.astimezone(ZoneInfo("America/New_York"))
    page = search_stories(session=session, workspace_id=ws, query="delivery", since=same_instant)
    assert _ids(page.hits) == [story.id]
    later = datetime(2030, 1, 1, tzinfo=UTC)
    assert (
        search_stories(session=session, workspace_id=ws, query="delivery", since=later).hits == []
    )


def test_only_the_newest_matches_are_ranked(
    session: Session,
    clock: FixedClock,
    redactor: Redactor,
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import stories.search

    ws = workspace.id or 0
    oldest = _add(
        session,
        clock,
        redactor,
        workspace,
        "Refund refund refund: the refund for the refund never came.",
        days_ago=9,
    )
    middle = _add(
        session, clock, redactor, workspace, "The customer asked about a refund.", days_ago=5
    )
    newest = _add(
        session,
        clock,
        redactor,
        workspace,
        "A refund arrived, then a second refund arrived by mistake.",
        days_ago=1,
    )
    full = search_stories(session=session, workspace_id=ws, query="refund")
    assert _ids(full.hits)[0] == oldest.id  # ranked over every match, the densest wins
    monkeypatch.setattr(stories.search, "RANK_WINDOW", 2)
    windowed = search_stories(session=session, workspace_id=ws, query="refund")
    assert _ids(windowed.hits) == [newest.id, middle.id]
