"""The summary rollups (migration 0009) always equal the counts of the rows they stand for.

Each test changes stories, resonates, answers and departments the way the application and
its cascades do, then recomputes every rollup from the rows and compares, on every backend.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from stories.capture import delete_story
from stories.clock import FixedClock
from stories.models import (
    DeliveryStatus,
    Department,
    Emotion,
    Engagement,
    EngagementKind,
    Member,
    PromptAnswer,
    PromptDelivery,
    SiloDay,
    SourceKind,
    Story,
    StoryDay,
    StoryResonance,
    Workspace,
)
from stories.periods import Period
from stories.summaries import build_summary

BASE = datetime(2026, 10, 5, 9, 30, tzinfo=UTC)


def _day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def expected(session: Session) -> dict[str, Any]:
    """Every rollup recomputed from the rows, zero counts left out."""
    stories = {s.id: s for s in session.exec(select(Story))}
    story_days: Counter[tuple[Any, ...]] = Counter()
    for s in stories.values():
        for dimension, key in (
            ("source", s.source_kind.value),
            ("touchpoint", s.touchpoint or ""),
            ("emotion", s.emotion.value if s.emotion else ""),
        ):
            story_days[(s.workspace_id, _day(s.created_at), dimension, key)] += 1
    silo: Counter[tuple[Any, ...]] = Counter()
    resonance: dict[int, list[int]] = {}
    for e in session.exec(select(Engagement).where(Engagement.kind == EngagementKind.RESONATES)):
        story = stories[e.story_id]
        known = e.department_id is not None and story.department_id is not None
        other = known and e.department_id != story.department_id
        if known:
            silo[(e.workspace_id, _day(e.created_at), "resonates", other)] += 1
        counts = resonance.setdefault(e.story_id, [0, 0])
        counts[0] += 1
        counts[1] += 1 if other else 0
    deliveries = {d.id: d for d in session.exec(select(PromptDelivery))}
    answer_counts: Counter[int] = Counter()
    prompted: dict[int, datetime | None] = {}
    for a in session.exec(select(PromptAnswer)):
        answer_counts[a.delivery_id] += 1
        d = deliveries[a.delivery_id]
        prompted[a.id or 0] = d.sent_at or d.occurrence_at
        story = stories.get(a.story_id) if a.story_id is not None else None
        if story is not None and story.department_id is not None and a.department_id is not None:
            other = a.department_id != story.department_id
            silo[(a.workspace_id, _day(a.created_at), "answer", other)] += 1
    return {
        "storyday": {k: n for k, n in story_days.items() if n},
        "siloday": {k: n for k, n in silo.items() if n},
        "storyresonance": {
            sid: (stories[sid].workspace_id, stories[sid].created_at, n, other)
            for sid, (n, other) in resonance.items()
        },
        "answer_count": {d: answer_counts.get(d, 0) for d in deliveries},
        "prompted_at": prompted,
    }


def stored(session: Session) -> dict[str, Any]:
    session.expire_all()
    return {
        "storyday": {
            (r.workspace_id, _as_date(r.day), r.dimension, r.key): r.n
            for r in session.exec(select(StoryDay))
            if r.n
        },
        "siloday": {
            (r.workspace_id, _as_date(r.day), r.kind, bool(r.other_department)): r.n
            for r in session.exec(select(SiloDay))
            if r.n
        },
        "storyresonance": {
            r.story_id: (r.workspace_id, r.created_at, r.resonates, r.from_other)
            for r in session.exec(select(StoryResonance))
            if r.resonates
        },
        "answer_count": {d.id: d.answer_count for d in session.exec(select(PromptDelivery))},
        "prompted_at": {a.id: a.prompted_at for a in session.exec(select(PromptAnswer))},
    }


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def assert_in_step(session: Session) -> None:
    session.commit()
    assert stored(session) == expected(session)


class Org:
    """A small organisation written row by row, as services and imports do."""

    def __init__(self, session: Session, workspace: Workspace) -> None:
        self.session = session
        self.ws = workspace.id or 0
        self.departments = {n: self._department(n) for n in ("Support", "Finance", "Legal")}
        self.members = {
            "s1": self._member("s1", "Support"),
            "s2": self._member("s2", "Support"),
            "f1": self._member("f1", "Finance"),
            "f2": self._member("f2", "Finance"),
            "l1": self._member("l1", "Legal"),
            "x1": self._member("x1", None),
        }

    def add(self, row: Any) -> Any:
        self.session.add(row)
        self.session.flush()
        return row

    def _department(self, name: str) -> Department:
        return self.add(
            Department(workspace_id=self.ws, name=name, name_key=name.lower(), created_at=BASE)
        )

    def _member(self, user: str, department: str | None) -> Member:
        return self.add(
            Member(
                workspace_id=self.ws,
                platform_user_id=user,
                department_id=self.departments[department].id if department else None,
                created_at=BASE,
            )
        )

    def story(
        self,
        department: str | None,
        at: datetime,
        touchpoint: str | None = "billing",
        emotion: Emotion | None = None,
        source: SourceKind = SourceKind.SLASH,
    ) -> Story:
        return self.add(
            Story(
                workspace_id=self.ws,
                text="A customer waited three weeks for a refund.",
                touchpoint=touchpoint,
                emotion=emotion,
                source_kind=source,
                department_id=self.departments[department].id if department else None,
                shared=True,  # told in a channel: a summary may quote it
                created_at=at,
            )
        )

    def resonates(
        self, story: Story, who: str, at: datetime, kind: EngagementKind = EngagementKind.RESONATES
    ) -> Engagement:
        member = self.members[who]
        return self.add(
            Engagement(
                workspace_id=self.ws,
                story_id=story.id or 0,
                member_id=member.id or 0,
                department_id=member.department_id,
                kind=kind,
                created_at=at,
            )
        )

    def delivery(self, department: str, at: datetime, story: Story | None) -> PromptDelivery:
        return self.add(
            PromptDelivery(
                workspace_id=self.ws,
                target=f"department:{department}:{at.isoformat()}",
                department_id=self.departments[department].id,
                occurrence_at=at,
                status=DeliveryStatus.SENT,
                sent_at=at + timedelta(minutes=1),
                story_id=story.id if story else None,
            )
        )

    def answer(self, delivery: PromptDelivery, who: str, at: datetime) -> PromptAnswer:
        return self.add(
            PromptAnswer(
                workspace_id=self.ws,
                delivery_id=delivery.id or 0,
                story_id=delivery.story_id,
                member_id=self.members[who].id or 0,
                department_id=delivery.department_id,
                text="Our refund approvals wait for the weekly run.",
                created_at=at,
            )
        )


def test_rollups_follow_every_kind_of_change(session: Session, workspace: Workspace) -> None:
    org = Org(session, workspace)
    day = timedelta(days=1)
    a = org.story("Support", BASE, emotion=Emotion.FRUSTRATED)
    b = org.story("Finance", BASE + day, touchpoint="login", source=SourceKind.CLI)
    c = org.story(None, BASE + 2 * day, touchpoint=None)
    for who in ("f1", "f2", "s2", "x1"):
        org.resonates(a, who, BASE + day)
    org.resonates(b, "l1", BASE + 2 * day)
    org.resonates(c, "f1", BASE + 2 * day)
    view = org.resonates(b, "s1", BASE + 2 * day, EngagementKind.VIEW)
    to_finance = org.delivery("Finance", BASE + day, a)
    to_legal = org.delivery("Legal", BASE + day, b)
    org.answer(to_finance, "f1", BASE + day + timedelta(hours=3))
    f2_answer = org.answer(to_finance, "f2", BASE + 2 * day)
    org.answer(to_legal, "l1", BASE + 3 * day)
    assert_in_step(session)
    before = stored(session)
    assert before["storyresonance"][a.id][2:] == (4, 2)  # f1, f2 from Finance; s2 same; x1 none
    assert before["answer_count"][to_finance.id] == 2

    # A view becomes a resonate from another department; one resonate is taken back.
    view.kind = EngagementKind.RESONATES
    session.add(view)
    session.execute(
        delete(Engagement).where(
            col(Engagement.story_id) == a.id,
            col(Engagement.member_id) == org.members["f2"].id,
        )
    )
    assert_in_step(session)

    # A story is corrected: another department, touchpoint, emotion and day.
    a.department_id = org.departments["Finance"].id
    a.touchpoint, a.emotion = "refunds", Emotion.ANGRY
    a.created_at = BASE + 4 * day
    session.add(a)
    assert_in_step(session)

    # An answer is removed, and a prompt's delivery time is corrected.
    session.delete(f2_answer)
    to_legal.sent_at = BASE + 2 * day
    session.add(to_legal)
    assert_in_step(session)
    assert stored(session)["prompted_at"][3] == BASE + 2 * day

    # Deleting a story removes its resonates; its answers stay, no longer about a story.
    delete_story(
        session=session, clock=FixedClock(BASE), workspace_id=org.ws, story_id=b.id or 0, actor=None
    )
    assert_in_step(session)

    # Deleting a department: its stories, resonates and answers lose it (SET NULL) and its
    # prompts go, with their answers (CASCADE).
    session.delete(org.departments["Finance"])
    assert_in_step(session)
    assert stored(session)["answer_count"] == {to_legal.id: 1}  # l1's answer

    session.delete(session.get(Workspace, org.ws))
    assert_in_step(session)
    assert stored(session)["storyday"] == {}


def test_bulk_writes_and_statements_outside_the_orm_are_counted(
    session: Session, workspace: Workspace
) -> None:
    org = Org(session, workspace)
    stories = [
        org.story(dept, BASE + timedelta(hours=7 * i), emotion=emotion)
        for i, (dept, emotion) in enumerate(
            [("Support", None), ("Legal", Emotion.HAPPY), (None, Emotion.ANXIOUS)] * 4
        )
    ]
    for i, story in enumerate(stories):
        for who in list(org.members)[: i % 5 + 1]:
            org.resonates(story, who, BASE + timedelta(hours=5 * i))
    assert_in_step(session)
    # A bulk move from one department to another, in one statement.
    session.execute(
        Story.__table__.update()  # type: ignore[attr-defined]
        .where(Story.__table__.c.department_id == org.departments["Support"].id)  # type: ignore[attr-defined]
        .values(department_id=org.departments["Legal"].id)
    )
    assert_in_step(session)
    session.execute(delete(Engagement).where(col(Engagement.created_at) > BASE + timedelta(days=1)))
    assert_in_step(session)


def test_concurrent_writers_add_to_the_same_day(engine: Engine, workspace: Workspace) -> None:
    """Several sessions (replicas) resonating on one day's row at once lose no count."""
    with Session(engine) as session:
        org = Org(session, workspace)
        story = org.story("Support", BASE)
        members = [
            org.add(
                Member(
                    workspace_id=org.ws,
                    platform_user_id=f"u{i}",
                    department_id=org.departments["Finance"].id,
                    created_at=BASE,
                )
            )
            for i in range(24)
        ]
        session.commit()
        story_id, member_ids, ws = story.id or 0, [m.id or 0 for m in members], org.ws

    def resonate(member_id: int) -> None:
        with Session(engine) as own:
            own.add(
                Engagement(
                    workspace_id=ws,
                    story_id=story_id,
                    member_id=member_id,
                    department_id=members[0].department_id,
                    kind=EngagementKind.RESONATES,
                    created_at=BASE + timedelta(minutes=1),
                )
            )
            own.commit()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(resonate, member_ids))  # re-raises a writer's error here
    with Session(engine) as session:
        assert_in_step(session)
        assert stored(session)["storyresonance"][story_id][2:] == (24, 24)


def test_period_edges_inside_a_day_are_counted_from_the_rows(
    session: Session, workspace: Workspace
) -> None:
    """A period that starts and ends mid-day: whole days come from the rollups, the hours at
    either edge from the rows, and every story lands in exactly one period."""
    org = Org(session, workspace)
    start = datetime(2026, 10, 12, 15, 0, tzinfo=UTC)
    period = Period(start=start, end=start + timedelta(days=7))
    second = timedelta(seconds=1)
    placed = {
        "previous": [period.previous().start, start - second, start - timedelta(days=3)],
        "this": [start, start + second, start + timedelta(days=3), period.end - second],
        "neither": [period.previous().start - second, period.end],
    }
    for moments in placed.values():
        for moment in moments:
            story = org.story("Support", moment)
            org.resonates(story, "f1", moment)
    session.commit()
    summary = build_summary(session=session, workspace_id=org.ws, period=period, now=period.end)
    assert (summary.stories.value, summary.stories.previous) == (4, 3)
    assert summary.silo.engagement_rows == 4
    assert sum(sum(s.counts) for s in summary.weekly.series) == 4
    assert [r.resonates for r in summary.most_resonated] == [1, 1, 1, 1]


@pytest.mark.parametrize("hours", [1, 30])
def test_short_periods_within_a_day_or_two(
    session: Session, workspace: Workspace, hours: int
) -> None:
    org = Org(session, workspace)
    end = datetime(2026, 10, 14, 10, 0, tzinfo=UTC)
    period = Period(start=end - timedelta(hours=hours), end=end)
    inside = [period.start, end - timedelta(minutes=1)]
    before = [period.previous().start, period.start - timedelta(minutes=1)]
    for moment in inside + before:
        org.story("Legal", moment)
    session.commit()
    summary = build_summary(session=session, workspace_id=org.ws, period=period, now=end)
    assert (summary.stories.value, summary.stories.previous) == (2, 2)
