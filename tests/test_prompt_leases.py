"""Claims are leases: owners heartbeat, silent owners are taken over, completions are owner-checked.

Every test runs on SQLite and on PostgreSQL (the `database_url` fixture).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.runtime import Runtime, build_runtime
from bot.scheduler import PromptScheduler
from bot.settings import load_settings
from stories.capture import StoryDraft, capture_story
from stories.clock import FixedClock
from stories.departments import DepartmentSpec, add_department
from stories.digest import unnotified_failures
from stories.models import (
    AuditEvent,
    DeliveryStatus,
    Department,
    Platform,
    SchedulerHeartbeat,
    SourceKind,
    Workspace,
)
from stories.prompt_leases import (
    Claim,
    expired_claims,
    heartbeat,
    last_sweep_at,
    lease_expired,
    record_sweep,
    take_over,
)
from stories.prompt_ledger import (
    PROMPT_KINDS,
    claim_occurrence,
    get_delivery,
    mark_failed,
    mark_missed,
    mark_sent,
    skip_claimed,
)
from stories.redaction import Redactor
from stories.workspaces import ensure_workspace
from tests.fakes.prompt_sender import RecordingSender

LEASE = timedelta(seconds=10)
OCCURRENCE = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def slack_ws(session: Session, clock: FixedClock) -> Workspace:
    return ensure_workspace(
        session=session, clock=clock, platform=Platform.SLACK, external_id="T1", name="Acme"
    )


@pytest.fixture
def finance(session: Session, clock: FixedClock, slack_ws: Workspace) -> Department:
    return add_department(
        session=session,
        clock=clock,
        workspace_id=slack_ws.id or 0,
        spec=DepartmentSpec(
            name="Finance", slack_channel_id="CFIN", prompt_time="10:00", prompt_days="daily"
        ),
    )


def claim(session: Session, clock: FixedClock, department: Department, owner: str) -> Claim:
    row = claim_occurrence(
        session=session,
        clock=clock,
        department=department,
        occurrence_at=OCCURRENCE,
        instance=owner,
    )
    assert row is not None
    return Claim.of(row)


def expired(session: Session, clock: FixedClock) -> list[int]:
    rows = expired_claims(session=session, now=clock.now(), lease=LEASE, kinds=PROMPT_KINDS)
    session.commit()
    return [row.id or 0 for row in rows]


def test_a_stale_owners_mark_failed_cannot_overwrite_sent(
    session: Session, clock: FixedClock, finance: Department
) -> None:
    slow = claim(session, clock, finance, "replica-a")
    heartbeat(session=session, instance="replica-a", now=clock.now())
    clock.advance(seconds=11)  # replica-a froze: no heartbeat for longer than the lease
    assert expired(session, clock) == [slow.delivery_id]
    taken = take_over(session=session, claim=slow, instance="replica-b", now=clock.now())
    assert taken is not None
    assert mark_sent(session=session, clock=clock, claim=taken, message_ref="CFIN:2") is not None
    # replica-a wakes up and reports what it saw before it froze: nothing is written.
    clock.advance(seconds=1)
    assert mark_failed(session=session, clock=clock, claim=slow, reason="timeout") is None
    assert mark_sent(session=session, clock=clock, claim=slow, message_ref="CFIN:1") is None
    assert skip_claimed(session=session, claim=slow, reason="no story") is None
    assert mark_missed(session=session, claim=slow, reason="late") is None
    row = get_delivery(session=session, delivery_id=slow.delivery_id)
    assert (row.status, row.claimed_by, row.message_ref) == (
        DeliveryStatus.SENT,
        "replica-b",
        "CFIN:2",
    )
    # No false failure anywhere the leads would hear of it.
    actions = session.exec(select(AuditEvent.action)).all()
    assert "prompt.failed" not in actions
    assert (
        unnotified_failures(
            session=session, since=OCCURRENCE - timedelta(days=1), prompt_kinds=PROMPT_KINDS
        )
        == []
    )


def test_the_new_owners_failure_is_recorded_and_the_old_owners_sent_is_not(
    session: Session, clock: FixedClock, finance: Department
) -> None:
    slow = claim(session, clock, finance, "replica-a")
    clock.advance(seconds=11)  # never heartbeated: the claim itself was its last sign of life
    taken = take_over(session=session, claim=slow, instance="replica-b", now=clock.now())
    assert taken is not None
    failed = mark_failed(session=session, clock=clock, claim=taken, reason="is_archived")
    assert failed is not None
    assert failed.status == DeliveryStatus.FAILED
    assert mark_sent(session=session, clock=clock, claim=slow, message_ref="CFIN:1") is None
    assert get_delivery(session=session, delivery_id=slow.delivery_id).status == (
        DeliveryStatus.FAILED
    )


def test_a_claim_lives_as_long_as_its_owner_heartbeats(
    session: Session, clock: FixedClock, finance: Department
) -> None:
    heartbeat(session=session, instance="replica-a", now=clock.now(), started_at=clock.now())
    held = claim(session, clock, finance, "replica-a")
    for _ in range(10):  # a long fan-out: a minute of heartbeats every six seconds
        clock.advance(seconds=6)
        heartbeat(session=session, instance="replica-a", now=clock.now())
        assert expired(session, clock) == []
    clock.advance(seconds=10)
    assert expired(session, clock) == []  # exactly the lease: still its own
    clock.advance(seconds=1)
    assert expired(session, clock) == [held.delivery_id]


def test_a_restarted_owners_earlier_claims_are_orphans_at_once(
    session: Session, clock: FixedClock, finance: Department
) -> None:
    heartbeat(session=session, instance="pod-1", now=clock.now(), started_at=clock.now())
    orphan = claim(session, clock, finance, "pod-1")
    clock.advance(seconds=3)  # killed and restarted under the same name, within the lease
    heartbeat(session=session, instance="pod-1", now=clock.now(), started_at=clock.now())
    assert expired(session, clock) == [orphan.delivery_id]
    mine = take_over(session=session, claim=orphan, instance="pod-1", now=clock.now())
    assert mine is not None
    assert expired(session, clock) == []  # the new claim postdates the restart


def test_an_expired_claim_is_taken_over_once(
    session: Session, clock: FixedClock, finance: Department
) -> None:
    stale = claim(session, clock, finance, "dead")
    clock.advance(seconds=30)
    first = take_over(session=session, claim=stale, instance="b", now=clock.now())
    second = take_over(session=session, claim=stale, instance="c", now=clock.now())
    assert first == Claim(stale.delivery_id, "b", clock.now())
    assert second is None  # a second replica holding the same snapshot loses
    assert get_delivery(session=session, delivery_id=stale.delivery_id).claimed_by == "b"


def test_lease_rule() -> None:
    t = OCCURRENCE
    alive = SchedulerHeartbeat(instance="a", alive_at=t + timedelta(seconds=20), started_at=t)
    restarted = SchedulerHeartbeat(instance="a", alive_at=t, started_at=t + timedelta(seconds=1))
    rule = [
        (None, t + timedelta(seconds=10), False),  # never heartbeated, within the lease
        (None, t + timedelta(seconds=11), True),
        (alive, t + timedelta(seconds=29), False),  # heartbeats extend the claim
        (alive, t + timedelta(seconds=31), True),
        (restarted, t + timedelta(seconds=2), True),  # restarted since claiming
    ]
    for owner, now, want in rule:
        assert lease_expired(claimed_at=t, owner=owner, now=now, lease=LEASE) is want


def test_heartbeats_and_sweeps_share_one_row_per_instance(
    session: Session, clock: FixedClock
) -> None:
    heartbeat(session=session, instance="a", now=clock.now(), started_at=clock.now())
    assert last_sweep_at(session=session) is None  # alive, but never swept
    record_sweep(session=session, instance="a", at=clock.now())
    record_sweep(session=session, instance="b", at=clock.now() + timedelta(minutes=1))
    record_sweep(session=session, instance="a", at=clock.now() + timedelta(minutes=2))
    heartbeat(session=session, instance="b", now=clock.now() + timedelta(minutes=3))
    assert last_sweep_at(session=session) == clock.now() + timedelta(minutes=2)
    rows = {
        r.instance: r
        for r in session.exec(select(SchedulerHeartbeat).order_by(col(SchedulerHeartbeat.id)))
    }
    assert sorted(rows) == ["a", "b"]
    assert rows["a"].started_at == clock.now()
    assert rows["b"].alive_at == clock.now() + timedelta(minutes=3)
    assert rows["b"].started_at is None


# --- the scheduler: takeover and recovery at start -----------------------------------------


@pytest.fixture
def runtime(database_url: str, engine: Engine, clock: FixedClock) -> Runtime:
    return build_runtime(load_settings(database_url=database_url), engine=engine, clock=clock)


def shared_story(session: Session, clock: FixedClock, redactor: Redactor, ws: Workspace) -> None:
    draft = StoryDraft(
        workspace_id=ws.id or 0,
        text="The refund took a month and nobody told the customer why.",
        source_kind=SourceKind.CLI,
        touchpoint="refunds",
        shared=True,
        created_at=clock.now() - timedelta(days=1),
    )
    capture_story(session=session, clock=clock, redactor=redactor, draft=draft)


async def test_a_restarting_replica_recovers_its_own_claims_at_start(
    session: Session,
    clock: FixedClock,
    redactor: Redactor,
    runtime: Runtime,
    slack_ws: Workspace,
    finance: Department,
) -> None:
    shared_story(session, clock, redactor, slack_ws)
    clock.advance(hours=1)
    heartbeat(session=session, instance="pod-1", now=clock.now(), started_at=clock.now())
    orphan = claim(session, clock, finance, "pod-1")  # then pod-1 was killed mid-send
    clock.advance(seconds=2)
    sender = RecordingSender()
    restarted = PromptScheduler(runtime, {"slack": sender}, instance="pod-1")
    await restarted.beat(starting=True)
    report = await restarted.recover()
    assert (report.takeovers, report.recovered) == (1, 1)
    assert sender.lookups == [orphan.delivery_id]  # checked with Slack before re-sending
    assert [m.delivery_id for m in sender.sent] == [orphan.delivery_id]
    row = get_delivery(session=session, delivery_id=orphan.delivery_id)
    assert (row.status, row.claimed_by) == (DeliveryStatus.SENT, "pod-1")
    assert row.claimed_at == clock.now()


async def test_a_live_replicas_claim_is_left_alone_and_a_dead_ones_is_taken(
    session: Session,
    clock: FixedClock,
    redactor: Redactor,
    runtime: Runtime,
    slack_ws: Workspace,
    finance: Department,
) -> None:
    shared_story(session, clock, redactor, slack_ws)
    clock.advance(hours=1)
    busy = claim(session, clock, finance, "replica-a")
    sender = RecordingSender()
    sender.posted[busy.delivery_id] = "CFIN:77"  # replica-a's post reached Slack
    other = PromptScheduler(runtime, {"slack": sender}, instance="replica-b")
    for _ in range(5):  # replica-a keeps heartbeating through a slow send
        clock.advance(seconds=5)
        heartbeat(session=session, instance="replica-a", now=clock.now())
        await other.beat()
        assert (await other.recover()).takeovers == 0
    clock.advance(seconds=11)  # replica-a died
    await other.beat()
    report = await other.recover()
    assert (report.takeovers, report.recovered) == (1, 1)
    assert sender.sent == []  # found in the channel: not posted twice
    row = get_delivery(session=session, delivery_id=busy.delivery_id)
    assert (row.status, row.claimed_by, row.message_ref) == (
        DeliveryStatus.SENT,
        "replica-b",
        "CFIN:77",
    )
