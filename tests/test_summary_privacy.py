"""Private stories stay private in summaries: they count in every figure, but their text
never reaches what a summary shows (it is posted in channels), on every backend."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from handlers.slack.blocks import block_dicts
from handlers.slack.summary_blocks import summary_blocks
from handlers.teams.summary_card import summary_card
from stories.models import (
    Department,
    Engagement,
    EngagementKind,
    Member,
    SourceKind,
    Story,
    Workspace,
)
from stories.periods import parse_period
from stories.summaries import (
    Summary,
    build_summary,
    quoted,
    render_summary_text,
    summary_payload,
    summary_view,
)
from tests.test_summaries import NOW, _answer, _delivery, _department, _member

# Words only the private stories hold: none of them may appear in anything a summary shows.
SECRETS = (
    "locker code expired",
    "recall letter never reached",
    "complaint arrived by post",
    "glovebox",  # a theme only private stories say: its words are theirs
)
PRIVATE = (
    "The parcel locker code expired before the courier arrived, so the parcel locker sent it back.",
    "Our glovebox recall letter never reached the customer and the glovebox recall line "
    "was closed.",
    "Another glovebox recall complaint arrived by post this morning.",
)
SHARED = (
    "The parcel locker was full again, so the parcel went back to the depot.",
    *(f"Shared story {n}: the refund was late and nobody said why." for n in range(2, 6)),
)


@dataclass
class Org:
    ws: int
    private: list[Story]
    shared: list[Story]
    support: Department

    def summary(self, session: Session) -> Summary:
        return build_summary(
            session=session, workspace_id=self.ws, period=parse_period("7d", now=NOW), now=NOW
        )


def _story(session: Session, ws: int, text: str, support: Department, *, shared: bool) -> Story:
    story = Story(
        workspace_id=ws,
        text=text,
        touchpoint="delivery",
        source_kind=SourceKind.SLASH,
        department_id=support.id,
        shared=shared,
        created_at=NOW - timedelta(days=2),
    )
    session.add(story)
    session.flush()
    return story


def _resonate(session: Session, ws: int, story: Story, member: Member) -> None:
    session.add(
        Engagement(
            workspace_id=ws,
            story_id=story.id or 0,
            member_id=member.id or 0,
            department_id=member.department_id,
            kind=EngagementKind.RESONATES,
            created_at=NOW - timedelta(days=1),
        )
    )


@pytest.fixture
def org(session: Session, workspace: Workspace) -> Org:
    ws = workspace.id or 0
    support, finance = _department(session, ws, "Support"), _department(session, ws, "Finance")
    people = [_member(session, ws, f"f{n}", finance) for n in range(3)]
    # Private stories first: the lowest ids, which a theme would otherwise quote.
    private = [_story(session, ws, text, support, shared=False) for text in PRIVATE]
    shared = [_story(session, ws, text, support, shared=True) for text in SHARED]
    for member in people:  # the private story is the most resonated of the period
        _resonate(session, ws, private[0], member)
    for story in shared:
        _resonate(session, ws, story, people[0])
    _resonate(session, ws, shared[0], people[1])
    # An answer about the private story mentions its theme: it counts, but must not quote it.
    prompt = _delivery(session, ws, finance, NOW - timedelta(days=3))
    _answer(session, ws, prompt, people[0], private[0], NOW - timedelta(days=2), "A parcel locker")
    session.commit()
    return Org(ws, private, shared, support)


def _shown(summary: Summary) -> dict[str, str]:
    """Everything a summary is turned into, as text."""
    return {
        "summary": repr(summary),
        "payload": json.dumps(summary_payload(summary), ensure_ascii=False),
        "markdown": render_summary_text(summary),
        "slack": json.dumps(block_dicts(summary_blocks(summary)), ensure_ascii=False),
        "teams": json.dumps(summary_card(summary), ensure_ascii=False),
    }


def test_no_private_text_in_any_rendering_of_a_summary(session: Session, org: Org) -> None:
    summary = org.summary(session)
    for surface, text in _shown(summary).items():
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} shown in {surface}"
    assert "Shared story 2" in _shown(summary)["slack"]  # shared stories are quoted


def test_private_stories_count_in_every_figure(session: Session, org: Org) -> None:
    summary = org.summary(session)
    assert summary.stories.value == len(PRIVATE) + len(SHARED)
    assert sum(c.change.value or 0 for c in summary.by_touchpoint) == summary.stories.value
    assert sum(e.count.value or 0 for e in summary.emotions) == summary.stories.value
    # Three resonates on the private story, six on shared ones, all from Finance on Support.
    assert summary.silo.engagement_rows == 9
    assert summary.silo.engagement.value == 1.0


def test_themes_count_private_stories_but_quote_only_shared_ones(
    session: Session, org: Org
) -> None:
    themes = {t.phrase: t for t in org.summary(session).themes}
    parcel = next(t for phrase, t in themes.items() if "parcel" in phrase)
    # Two stories (one private) and the answer mention it; the quote is the shared story's.
    assert parcel.count.value == 3
    assert parcel.example_story_id == org.shared[0].id
    assert parcel.example_text == SHARED[0]
    # "glovebox recall" is in two private stories and nothing else: not named at all.
    assert not any("glovebox" in phrase for phrase in themes)


def test_a_theme_only_answers_say_is_named_without_a_quote(session: Session, org: Org) -> None:
    """An answer is posted in its prompt's thread, so its words may name a theme; with no
    shared story saying it, the theme says why it quotes nothing."""
    finance = session.exec(select(Department).where(Department.name == "Finance")).one()
    prompt = _delivery(session, org.ws, finance, NOW - timedelta(days=4))
    for user, text in (("f1", "The ledger freeze hurt"), ("f2", "Again the ledger freeze")):
        member = session.exec(select(Member).where(Member.platform_user_id == user)).one()
        _answer(session, org.ws, prompt, member, org.private[1], NOW - timedelta(days=2), text)
    session.commit()
    view = summary_view(org.summary(session))
    themes = next(s for s in view.sections if s.title.startswith("Top themes"))
    ledger = next(line for line in themes.lines if "ledger freeze" in line.name)
    assert ledger.quote is None
    assert ledger.note == "no shared story to quote"
    assert ledger.metrics[0].figure.value == "2"


@pytest.mark.parametrize("candidates", [1, quoted.RESONATED_CANDIDATES])
def test_most_resonated_lists_shared_stories_only(
    session: Session, org: Org, monkeypatch: pytest.MonkeyPatch, candidates: int
) -> None:
    """The same list whether the shared stories are among the first candidates looked at
    (the usual case) or the private ones crowd them out and every story is looked at."""
    monkeypatch.setattr(quoted, "RESONATED_CANDIDATES", candidates)
    resonated = org.summary(session).most_resonated
    assert [r.story_id for r in resonated] == [s.id for s in org.shared]
    assert (resonated[0].resonates, resonated[0].from_other_departments) == (2, 2)
