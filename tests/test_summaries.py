"""Summary metrics pinned on a small hand-built data set with known answers, on every backend.

The clock stands at Monday 2026-11-02 09:00 UTC and the period is "7d", so
this period is [Oct 26 09:00, Nov 2 09:00) and the previous one [Oct 19 09:00, Oct 26 09:00).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import Session

from stories.clock import FixedClock
from stories.errors import NotFoundError
from stories.models import (
    DeliveryStatus,
    Department,
    Emotion,
    Engagement,
    EngagementKind,
    Member,
    PromptAnswer,
    PromptDelivery,
    SourceKind,
    Story,
    Workspace,
)
from stories.periods import parse_period
from stories.summaries import (
    Change,
    Summary,
    build_summary,
    compare,
    format_change,
    render_summary_text,
    summary_payload,
)

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def at(day: int, month: int = 10, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@dataclass
class World:
    session: Session
    ws: int
    departments: dict[str, Department]
    members: dict[str, Member]
    stories: dict[str, Story]
    deliveries: list[PromptDelivery]

    def summary(self, period: str = "7d", department: str | None = None) -> Summary:
        return build_summary(
            session=self.session,
            workspace_id=self.ws,
            period=parse_period(period, now=NOW),
            department_id=self.departments[department].id if department else None,
            now=NOW,
        )


def _add(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    return row


def _department(session: Session, ws: int, name: str) -> Department:
    return _add(
        session,
        Department(workspace_id=ws, name=name, name_key=name.casefold(), created_at=at(1, 1)),
    )


def _member(session: Session, ws: int, user: str, department: Department | None) -> Member:
    return _add(
        session,
        Member(
            workspace_id=ws,
            platform_user_id=user,
            display_name=user,
            department_id=department.id if department else None,
            created_at=at(1, 1),
        ),
    )


def _story(
    session: Session,
    ws: int,
    text: str,
    *,
    when: datetime,
    department: Department | None,
    touchpoint: str | None,
    source: SourceKind = SourceKind.SLASH,
    emotion: Emotion | None = None,
    shared: bool = True,  # told in a channel: a summary may quote it
) -> Story:
    return _add(
        session,
        Story(
            workspace_id=ws,
            text=text,
            touchpoint=touchpoint,
            emotion=emotion,
            source_kind=source,
            department_id=department.id if department else None,
            shared=shared,
            created_at=when,
        ),
    )


def _resonates(
    session: Session,
    ws: int,
    story: Story,
    member: Member,
    when: datetime,
    kind: EngagementKind = EngagementKind.RESONATES,
) -> None:
    _add(
        session,
        Engagement(
            workspace_id=ws,
            story_id=story.id or 0,
            member_id=member.id or 0,
            department_id=member.department_id,
            kind=kind,
            created_at=when,
        ),
    )


def _delivery(
    session: Session,
    ws: int,
    department: Department,
    when: datetime,
    *,
    status: DeliveryStatus = DeliveryStatus.SENT,
    kind: str = "prompt",
) -> PromptDelivery:
    return _add(
        session,
        PromptDelivery(
            workspace_id=ws,
            kind=kind,
            target=f"department:{department.id}:{kind}:{when.isoformat()}",
            department_id=department.id,
            occurrence_at=when,
            status=status,
            sent_at=when if status is DeliveryStatus.SENT else None,
        ),
    )


def _answer(
    session: Session,
    ws: int,
    delivery: PromptDelivery,
    member: Member,
    story: Story | None,
    when: datetime,
    text: str = "We could flag double charges before the invoice run.",
) -> None:
    _add(
        session,
        PromptAnswer(
            workspace_id=ws,
            delivery_id=delivery.id or 0,
            story_id=story.id if story else None,
            member_id=member.id or 0,
            department_id=member.department_id,
            text=text,
            created_at=when,
        ),
    )


@pytest.fixture
def world(session: Session, workspace: Workspace) -> World:
    return build_world(session, workspace)


def build_world(session: Session, workspace: Workspace) -> World:
    """The hand-built data set; also used by the chart tests."""
    ws = workspace.id or 0
    d = {name: _department(session, ws, name) for name in ("Support", "Finance", "Legal", "Empty")}
    m = {
        "s1": _member(session, ws, "s1", d["Support"]),
        "s2": _member(session, ws, "s2", d["Support"]),
        **{f"f{i}": _member(session, ws, f"f{i}", d["Finance"]) for i in range(1, 5)},
        "l1": _member(session, ws, "l1", d["Legal"]),
        "x1": _member(session, ws, "x1", None),  # no department
    }
    s = {
        "A": _story(
            session,
            ws,
            "A customer was charged twice for one invoice and waited weeks for a refund.",
            when=at(30),
            department=d["Support"],
            touchpoint="billing",
            emotion=Emotion.FRUSTRATED,
        ),
        "B": _story(
            session,
            ws,
            "The refund arrived in an hour; she was delighted, wonderful service, thank you!",
            when=at(1, 11),
            department=d["Support"],
            touchpoint="billing",
            source=SourceKind.CLI,
        ),
        "C": _story(
            session,
            ws,
            "The login page rejected a valid password for three days after the refund.",
            when=at(27),
            department=d["Finance"],
            touchpoint="login",
            emotion=Emotion.ANGRY,
        ),
        "D": _story(
            session,
            ws,
            "An imported story from last year's survey about delivery slots.",
            when=at(28),
            department=None,
            touchpoint=None,
            source=SourceKind.IMPORT,
            emotion=Emotion.HAPPY,
        ),
        "P1": _story(
            session,
            ws,
            "Previous period: a refund went to the wrong account for a second time.",
            when=at(20),
            department=d["Support"],
            touchpoint="billing",
            emotion=Emotion.ANXIOUS,
        ),
        "old": _story(
            session,
            ws,
            "Much older story that neither period includes at all, about billing.",
            when=at(1),
            department=d["Support"],
            touchpoint="billing",
        ),
    }
    # Engagement this period: three cross-department resonates and one within Support;
    # x1 (no department) and a story with no department are left out of the silo index.
    for who, story in (
        ("f1", "A"),
        ("f2", "A"),
        ("s2", "A"),
        ("l1", "C"),
        ("x1", "A"),
        ("f3", "D"),
    ):
        _resonates(session, ws, s[story], m[who], at(31))
    _resonates(session, ws, s["A"], m["f4"], at(31), EngagementKind.VIEW)  # views never count
    _resonates(session, ws, s["P1"], m["s1"], at(21))  # previous period, same department
    _resonates(session, ws, s["old"], m["f1"], at(2))  # outside both periods

    deliveries = [
        _delivery(session, ws, d["Finance"], at(27, hour=10)),
        _delivery(session, ws, d["Finance"], at(29, hour=10)),
        _delivery(session, ws, d["Legal"], at(27, hour=11)),
        _delivery(session, ws, d["Empty"], at(27, hour=12)),
        _delivery(session, ws, d["Finance"], at(30, hour=10), status=DeliveryStatus.FAILED),
        _delivery(session, ws, d["Finance"], at(30, hour=11), kind="digest"),
        _delivery(session, ws, d["Finance"], at(20, hour=10)),  # previous period
    ]
    _answer(session, ws, deliveries[0], m["f1"], s["A"], at(27, hour=15))
    _answer(session, ws, deliveries[0], m["f2"], s["A"], at(28, hour=9))
    _answer(session, ws, deliveries[6], m["f1"], s["P1"], at(20, hour=15))
    session.commit()
    return World(session, ws, d, m, s, deliveries)


def test_stories_by_source_and_touchpoint_compared_with_previous(world: World) -> None:
    summary = world.summary()
    assert summary.stories == Change(value=4, previous=1, delta=3, direction="up")
    by_source = {c.key: c.change for c in summary.by_source}
    assert by_source["slash"] == Change(2, 1, 1, "up")
    assert by_source["cli"] == Change(1, 0, 1, "up")
    assert by_source["import"] == Change(1, 0, 1, "up")
    by_touchpoint = {c.key: (c.change.value, c.change.previous) for c in summary.by_touchpoint}
    assert by_touchpoint == {"billing": (2, 1), "login": (1, 0), "(none)": (1, 0)}
    assert summary.by_touchpoint[0].key == "billing"


def test_response_rate_and_participation_per_department(world: World) -> None:
    departments = {d.name: d for d in world.summary().departments}
    finance = departments["Finance"]
    # Two prompts sent, one answered (by two people): the failed prompt and the digest don't count.
    assert finance.prompts_delivered == Change(2, 1, 1, "up")
    assert finance.prompts_answered.value == 1
    assert finance.answers.value == 2
    assert finance.response_rate == Change(0.5, 1.0, -0.5, "down")
    # Two of four Finance members answered; last period one of four.
    assert finance.participation == Change(0.5, 0.25, 0.25, "up")
    assert finance.members == 4

    legal = departments["Legal"]
    assert legal.response_rate.value == 0.0
    assert legal.participation.value == 0.0
    # Support was never asked: nothing to divide by, so n/a rather than 0%.
    support = departments["Support"]
    assert support.response_rate.value is None
    assert support.participation.value is None
    assert support.response_rate.direction == "flat"


def test_department_with_no_members(world: World) -> None:
    summary = world.summary()
    empty = next(d for d in summary.departments if d.name == "Empty")
    assert empty.members == 0
    assert empty.prompts_delivered.value == 1
    assert empty.response_rate.value == 0.0
    assert empty.participation.value is None
    assert summary.silent_departments == ("Empty", "Legal")


def test_overall_prompt_figures(world: World) -> None:
    summary = world.summary()
    assert summary.prompts_sent == Change(4, 1, 3, "up")
    assert summary.answers == Change(2, 1, 1, "up")
    assert summary.response_rate == Change(0.25, 1.0, -0.75, "down")
    # Reached departments: Finance (2 of 4 answered), Legal (0 of 1), Empty (no members).
    assert summary.participation.value == pytest.approx(0.4)
    assert summary.participation.previous == pytest.approx(0.25)


def test_a_leads_prompt_now_counts_like_a_scheduled_prompt(world: World) -> None:
    manual = _delivery(
        world.session, world.ws, world.departments["Legal"], at(28, hour=14), kind="manual"
    )
    _answer(
        world.session, world.ws, manual, world.members["l1"], world.stories["C"], at(28, hour=16)
    )
    world.session.commit()
    summary = world.summary()
    assert summary.prompts_sent == Change(5, 1, 4, "up")
    assert summary.answers == Change(3, 1, 2, "up")
    assert summary.silent_departments == ("Empty",)


def test_silo_index(world: World) -> None:
    silo = world.summary().silo
    # Resonates with both departments known: f1, f2 -> A, l1 -> C (other), s2 -> A (same).
    assert silo.engagement_rows == 4
    assert silo.engagement == Change(0.75, 0.0, 0.75, "up")
    # Both answers this period come from Finance on a Support story; so did last period's.
    assert silo.answer_rows == 2
    assert silo.answers == Change(1.0, 1.0, 0.0, "flat")
    assert silo.overall.value == pytest.approx(5 / 6)
    assert silo.overall.previous == pytest.approx(0.5)
    assert silo.overall.direction == "up"


def test_most_resonated_stories(world: World) -> None:
    resonated = world.summary().most_resonated
    assert [(r.story_id, r.resonates, r.from_other_departments) for r in resonated] == [
        (world.stories["A"].id, 4, 2),
        (world.stories["C"].id, 1, 1),
        (world.stories["D"].id, 1, 0),
    ]
    assert resonated[0].department == "Support"
    assert resonated[2].department is None


def test_most_resonated_are_the_periods_stories_by_resonates_so_far(world: World) -> None:
    """An older story resonating now is not this period's; a story of this period counts
    every resonate it has had, including after the period (a past period keeps its list)."""
    s, m = world.stories, world.members
    _resonates(world.session, world.ws, s["old"], m["f2"], at(31))  # old story, this period
    _resonates(world.session, world.ws, s["C"], m["f1"], at(3, 11))  # after the period
    _resonates(world.session, world.ws, s["C"], m["s1"], at(3, 11))
    world.session.commit()
    resonated = world.summary().most_resonated
    assert [(r.story_id, r.resonates, r.from_other_departments) for r in resonated] == [
        (s["A"].id, 4, 2),
        (s["C"].id, 3, 2),  # l1 and s1 from other departments; f1 is Finance, like C
        (s["D"].id, 1, 0),
    ]


def test_emotion_mix_fills_missing_emotions_from_the_text(world: World) -> None:
    summary = world.summary()
    emotions = {e.emotion: e for e in summary.emotions}
    assert emotions["delighted"].count.value == 1
    assert emotions["delighted"].inferred == 1  # story B had no emotion; VADER reads it
    assert emotions["frustrated"].count.value == 1
    assert emotions["angry"].count.value == 1
    assert emotions["happy"].share == pytest.approx(0.25)
    assert emotions["anxious"].count == Change(0, 1, -1, "down")
    assert summary.emotions_inferred == 1
    assert sum(e.count.value or 0 for e in summary.emotions) == summary.stories.value


def test_weekly_series_by_iso_week_and_touchpoint(world: World) -> None:
    weekly = world.summary().weekly
    assert weekly.weeks == ("2026-W44", "2026-W45")
    series = {s.touchpoint: s.counts for s in weekly.series}
    assert series == {"billing": (2, 0), "login": (1, 0), "(none)": (1, 0)}


def test_themes_with_an_example_story(world: World) -> None:
    summary = world.summary()
    refund = next(t for t in summary.themes if t.phrase == "refund")
    # A, B and C mention a refund this period; P1 did last period.
    assert refund.count == Change(3, 1, 2, "up")
    assert refund.example_story_id == world.stories["A"].id
    assert refund.example_text.startswith("A customer was charged twice")


def test_department_filter(world: World) -> None:
    summary = world.summary(department="Finance")
    assert summary.department is not None
    assert summary.department.name == "Finance"
    assert summary.stories.value == 1  # story C
    assert [d.name for d in summary.departments] == ["Finance"]
    assert summary.prompts_sent.value == 2
    assert summary.response_rate.value == 0.5
    assert summary.participation.value == 0.5
    # Finance's own attention: f1 and f2 on a Support story (f3's story has no department).
    assert summary.silo.engagement == Change(1.0, None, None, "flat")
    assert [r.story_id for r in summary.most_resonated] == [world.stories["C"].id]
    with pytest.raises(NotFoundError):
        build_summary(
            session=world.session,
            workspace_id=world.ws,
            period=parse_period("7d", now=NOW),
            department_id=9999,
            now=NOW,
        )


def test_empty_period_has_no_division_by_zero(session: Session, workspace: Workspace) -> None:
    summary = build_summary(
        session=session,
        workspace_id=workspace.id or 0,
        period=parse_period("30d", now=NOW),
        now=NOW,
    )
    assert summary.stories == Change(0, 0, 0, "flat")
    assert summary.response_rate.value is None
    assert summary.participation.value is None
    assert summary.silo.overall.value is None
    assert summary.themes == ()
    assert summary.emotions == ()
    assert summary.is_empty
    assert len(summary.weekly.weeks) == 6  # Sat Oct 3 (W40) to Mon Nov 2 (W45), partial weeks too
    text = render_summary_text(summary)
    assert "Response rate: n/a" in text
    assert "Silo index: n/a" in text
    json.dumps(summary_payload(summary))


def test_payload_schema_is_plain_json(world: World, clock: FixedClock) -> None:
    payload = summary_payload(world.summary())
    assert payload["schema"] == 1
    decoded = json.loads(json.dumps(payload))
    assert decoded["period"]["start"] == "2026-10-26T09:00:00+00:00"
    assert decoded["stories"] == {"value": 4, "previous": 1, "delta": 3, "direction": "up"}
    assert decoded["silo"]["overall"]["value"] == pytest.approx(0.8333)
    assert decoded["weekly"]["week_starts"] == ["2026-10-26", "2026-11-02"]
    assert {"departments", "themes", "emotions", "most_resonated", "silent_departments"} <= set(
        decoded
    )


def test_text_rendering(world: World) -> None:
    text = render_summary_text(world.summary())
    assert "Stories captured: 4 (up 3 from 1)" in text
    assert "Response rate: 25% (down 75 pts from 100%)" in text
    assert "- Legal" in text
    assert "- Empty" in text
    assert "Finance (4 members)" in text


@pytest.mark.parametrize(
    ("value", "previous", "direction"),
    [(3, 1, "up"), (1, 3, "down"), (2, 2, "flat"), (0.3, 0.1 + 0.2, "flat"), (None, 1, "flat")],
)
def test_compare(value: float | None, previous: float | None, direction: str) -> None:
    assert compare(value, previous).direction == direction


def test_format_change() -> None:
    assert format_change(Change(None, None, None, "flat")) == "n/a"
    assert format_change(Change(0.5, None, None, "flat"), percent=True) == "50% (previously n/a)"
    assert format_change(Change(12, 9, 3, "up")) == "12 (up 3 from 9)"
    assert format_change(Change(5, 5, 0, "flat")) == "5 (no change)"
