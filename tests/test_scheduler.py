"""The prompt scheduler against real databases, with an in-memory platform sender."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.database import create_db_engine
from bot.runtime import Runtime, build_runtime
from bot.scheduler import PromptConfig, PromptScheduler
from bot.settings import load_settings
from stories.answers import mark_not_relevant, record_answer
from stories.capture import StoryDraft, capture_story
from stories.clock import FixedClock
from stories.departments import DepartmentSpec, add_department, edit_department, set_paused
from stories.models import (
    DeliveryStatus,
    Department,
    Member,
    Platform,
    PromptDelivery,
    SourceKind,
    Workspace,
)
from stories.prompt_leases import record_sweep
from stories.prompt_ledger import claim_occurrence
from stories.prompt_members import set_override
from stories.prompt_reminders import set_reminder_delay
from stories.redaction import Redactor
from stories.workspaces import ensure_member, ensure_workspace
from tests.fakes.prompt_sender import RecordingSender

# Monday 2 November 2026, 09:00 UTC (GMT in London): prompts are due at 10:00 local.
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TEN = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def runtime(database_url: str, engine: Engine, clock: FixedClock) -> Runtime:
    return build_runtime(load_settings(database_url=database_url), engine=engine, clock=clock)


@pytest.fixture
def slack_ws(session: Session, clock: FixedClock) -> Workspace:
    return ensure_workspace(
        session=session, clock=clock, platform=Platform.SLACK, external_id="T1", name="Acme"
    )


def department(
    session: Session, clock: FixedClock, ws: Workspace, name: str, **spec: object
) -> Department:
    values: dict[str, object] = {
        "name": name,
        "slack_channel_id": f"C{name.upper().replace(' ', '')[:8]}",
        "timezone": "Europe/London",
        "prompt_time": "10:00",
        "prompt_days": "daily",
    }
    values.update(spec)
    return add_department(
        session=session,
        clock=clock,
        workspace_id=ws.id or 0,
        spec=DepartmentSpec(**values),  # type: ignore[arg-type]
    )


def story(
    session: Session,
    clock: FixedClock,
    redactor: Redactor,
    ws: Workspace,
    text: str,
    touchpoint: str,
    days_ago: float = 1,
) -> None:
    draft = StoryDraft(
        workspace_id=ws.id or 0,
        text=text,
        source_kind=SourceKind.CLI,
        touchpoint=touchpoint,
        shared=True,
        created_at=clock.now() - timedelta(days=days_ago),
    )
    capture_story(session=session, clock=clock, redactor=redactor, draft=draft)


def ledger(session: Session) -> list[PromptDelivery]:
    session.expire_all()
    query = select(PromptDelivery).order_by(
        col(PromptDelivery.occurrence_at), col(PromptDelivery.id)
    )
    rows = list(session.exec(query))
    session.commit()  # end the read: on SQLite an open transaction would hold up the sweep
    return rows


def scheduler(runtime: Runtime, sender: RecordingSender, instance: str = "test") -> PromptScheduler:
    return PromptScheduler(runtime, {sender.platform: sender}, instance=instance)


async def test_a_due_prompt_is_sent_once_with_story_and_question(
    session: Session,
    clock: FixedClock,
    redactor: Redactor,
    runtime: Runtime,
    slack_ws: Workspace,
) -> None:
    finance = department(session, clock, slack_ws, "Finance")
    story(
        session,
        clock,
        redactor,
        slack_ws,
        "Charged twice for one order; refund took a month.",
        "billing",
    )
    story(
        session,
        clock,
        redactor,
        slack_ws,
        "The courier left the parcel in the rain again.",
        "delivery",
        days_ago=0.5,
    )
    sender = RecordingSender()
    prompts = scheduler(runtime, sender)

    early = await prompts.sweep_once()
    assert early.sent == 0
    assert sender.sent == []
    clock.advance(minutes=61)
    report = await prompts.sweep_once()
    assert report.sent == 1
    assert report.failed == 0
    [message] = sender.sent
    assert message.destination == "CFINANCE"
    assert message.department_id == finance.id
    assert message.platform == "slack"
    assert message.workspace_external_id == "T1"
    assert message.occurrence_at == TEN
    assert "Charged twice" in message.story_text
    assert message.matched_touchpoint
    assert message.question_key.startswith("finance-")
    assert message.answer_by == TEN + timedelta(hours=48)
    [row] = ledger(session)
    assert (row.status, row.message_ref, row.id) == (
        DeliveryStatus.SENT,
        "CFINANCE:1",
        message.delivery_id,
    )
    # Sweeping again, or from a restarted instance, never sends it twice.
    clock.advance(minutes=1)
    assert (await prompts.sweep_once()).sent == 0
    assert (await scheduler(runtime, sender, "restarted").sweep_once()).sent == 0
    assert len(sender.sent) == 1


async def test_customer_facing_departments_are_asked_for_stories_on_their_own_schedule(
    session: Session,
    clock: FixedClock,
    redactor: Redactor,
    runtime: Runtime,
    slack_ws: Workspace,
) -> None:
    department(session, clock, slack_ws, "Legal")
    department(session, clock, slack_ws, "Support", customer_facing=True, prompt_time="10:30")
    department(session, clock, slack_ws, "HR", slack_channel_id=None, teams_conversation_id="19:hr")
    story(
        session,
        clock,
        redactor,
        slack_ws,
        "Nobody could explain the contract renewal terms.",
        "contracts",
    )
    sender = RecordingSender()
    prompts = scheduler(runtime, sender)
    clock.advance(hours=1)  # 10:00: Legal's line-of-sight prompt; HR has no Slack channel
    assert (await prompts.sweep_once()).sent == 1
    clock.advance(minutes=30)  # 10:30: Support's story harvest
    assert (await prompts.sweep_once()).sent == 1
    legal, support = sender.sent
    assert (legal.department_name, legal.kind) == ("Legal", "prompt")
    assert (support.department_name, support.kind, support.story_id) == ("Support", "harvest", 0)
    assert "one customer moment" in support.question.lower()
    assert [(r.kind, r.status) for r in ledger(session)] == [
        ("prompt", DeliveryStatus.SENT),
        ("harvest", DeliveryStatus.SENT),
    ]


async def test_a_failing_destination_is_recorded_and_blocks_nobody(
    session: Session,
    clock: FixedClock,
    redactor: Redactor,
    runtime: Runtime,
    slack_ws: Workspace,
) -> None:
    department(session, clock, slack_ws, "Finance")
    department(session, clock, slack_ws, "Legal")
    department(session, clock, slack_ws, "IT")
    story(
        session,
        clock,
        redactor,
        slack_ws,
        "I was locked out of my account for three days.",
        "login",
    )
    sender = RecordingSender(fail_destinations={"CLEGAL": "channel_archived"})
    clock.advance(hours=1)
    report = await scheduler(runtime, sender).sweep_once()
    assert (report.sent, report.failed) == (2, 1)
    statuses = {r.department_id: (r.status, r.reason) for r in ledger(session)}
    assert sorted(s for s, _ in statuses.values()) == sorted(
        [DeliveryStatus.SENT, DeliveryStatus.SENT, DeliveryStatus.FAILED]
    )
    assert (DeliveryStatus.FAILED, "channel_archived") in statuses.values()
    assert {m.destination for m in sender.sent} == {"CFINANCE", "CIT"}


async def test_holidays_pauses_and_empty_libraries_are_recorded_not_lost(
    session: Session,
    clock: FixedClock,
    runtime: Runtime,
    slack_ws: Workspace,
) -> None:
    department(session, clock, slack_ws, "Finance")  # no stories at all
    paused = department(session, clock, slack_ws, "Legal")
    set_paused(
        session=session,
        clock=clock,
        workspace_id=slack_ws.id or 0,
        name=paused.name,
        paused=True,
        until=datetime(2026, 11, 4, tzinfo=UTC),
    )
    sender = RecordingSender()
    clock.advance(hours=1)
    await scheduler(runtime, sender).sweep_once()
    rows = {r.department_id: r for r in ledger(session)}
    assert sender.sent == []
    assert rows[paused.id].status == DeliveryStatus.SKIPPED
    assert rows[paused.id].reason == "paused until 2026-11-04"
    others = [r for r in rows.values() if r.department_id != paused.id]
    assert [(r.status, r.reason) for r in others] == [(DeliveryStatus.SKIPPED, "no eligible story")]


async def test_catch_up_sends_within_grace_and_records_older_as_missed(
    session: Session,
    clock: FixedClock,
    redactor: Redactor,
    runtime: Runtime,
    slack_ws: Workspace,
) -> None:
    department(session, clock, slack_ws, "Finance")
    for n in range(4):
        story(
            session,
            clock,
            redactor,
            slack_ws,
            f"Invoice number {n} arrived with the wrong amount.",
            "invoices",
        )
    record_sweep(session=session, instance="old", at=clock.now())  # then the bot went down
    clock.advance(days=3, hours=2)  # Thursday 11:00: three occurrences passed, one 1 h ago
    sender = RecordingSender()
    report = await scheduler(runtime, sender).sweep_once()
    assert (report.sent, report.missed) == (1, 3)
    rows = ledger(session)
    assert [(r.occurrence_at.day, r.status) for r in rows] == [
        (2, DeliveryStatus.MISSED),
        (3, DeliveryStatus.MISSED),
        (4, DeliveryStatus.MISSED),
        (5, DeliveryStatus.SENT),
    ]
    assert [m.occurrence_at.day for m in sender.sent] == [5]


async def test_first_start_with_no_history_looks_back_a_week_at_most(
    session: Session,
    clock: FixedClock,
    redactor: Redactor,
    runtime: Runtime,
    slack_ws: Workspace,
) -> None:
    department(session, clock, slack_ws, "Finance")
    story(
        session,
        clock,
        redactor,
        slack_ws,
        "The refund form rejected a valid card number.",
        "refunds",
    )
    clock.advance(days=10, hours=1.5)  # 10:30 ten days later, no scheduler ever ran
    report = await scheduler(runtime, RecordingSender()).sweep_once()
    assert report.sent == 1
    assert report.missed == 6  # the other days of the seven-day look-back


async def test_unconfirmed_claims_are_checked_before_resending(
    session: Session,
    clock: FixedClock,
    redactor: Redactor,
    runtime: Runtime,
    slack_ws: Workspace,
) -> None:
    finance = department(session, clock, slack_ws, "Finance")
    legal = department(session, clock, slack_ws, "Legal")
    story(
        session,
        clock,
        redactor,
        slack_ws,
        "The invoice PDF would not open on any phone.",
        "invoices",
    )
    clock.advance(hours=1)
    # Two replicas crashed after claiming: one after Slack accepted the post, one before.
    posted = claim_occurrence(
        session=session, clock=clock, department=finance, occurrence_at=TEN, instance="dead"
    )
    unposted = claim_occurrence(
        session=session, clock=clock, department=legal, occurrence_at=TEN, instance="dead"
    )
    assert posted is not None
    assert unposted is not None
    sender = RecordingSender()
    sender.posted[posted.id or 0] = "CFINANCE:77"
    prompts = scheduler(runtime, sender)
    assert (await prompts.sweep_once()).recovered == 0  # not stale yet
    clock.advance(minutes=11)
    report = await prompts.sweep_once()
    assert report.recovered == 2
    assert sorted(sender.lookups) == sorted([posted.id or 0, unposted.id or 0])
    assert [m.destination for m in sender.sent] == ["CLEGAL"]  # only the one never posted
    rows = {r.id: r for r in ledger(session)}
    assert (rows[posted.id].status, rows[posted.id].message_ref) == (
        DeliveryStatus.SENT,
        "CFINANCE:77",
    )
    assert rows[unposted.id].status == DeliveryStatus.SENT
    assert rows[unposted.id].claimed_by == "test"


def members(
    session: Session, clock: FixedClock, ws: Workspace, dept: Department, *users: str
) -> dict[str, Member]:
    found = {}
    for user in users:
        member = ensure_member(
            session=session, clock=clock, workspace_id=ws.id or 0, platform_user_id=user
        )
        set_override(
            session=session, clock=clock, department=dept, member=member, override="include"
        )
        found[user] = member
    return found


async def test_one_reminder_per_prompt_only_to_those_who_have_not_responded(
    session: Session,
    clock: FixedClock,
    redactor: Redactor,
    runtime: Runtime,
    slack_ws: Workspace,
) -> None:
    finance = department(session, clock, slack_ws, "Finance", prompt_days="mon")
    legal = department(session, clock, slack_ws, "Legal", prompt_days="mon")
    people = members(session, clock, slack_ws, finance, "UBEN", "UCAROL", "UDAN", "UERIN")
    lawyers = members(session, clock, slack_ws, legal, "ULEA")
    story(
        session, clock, redactor, slack_ws, "A refund was promised twice and never came.", "refunds"
    )
    sender = RecordingSender()
    prompts = scheduler(runtime, sender)
    clock.advance(hours=1)
    await prompts.sweep_once()
    sent = {m.department_name: m.delivery_id for m in sender.sent}
    record_answer(
        session=session,
        clock=clock,
        redactor=redactor,
        delivery_id=sent["Finance"],
        member=people["UBEN"],
        text="Refund approvals wait for the weekly batch.",
    )
    mark_not_relevant(
        session=session, clock=clock, delivery_id=sent["Finance"], member=people["UCAROL"]
    )
    record_answer(
        session=session,
        clock=clock,
        redactor=redactor,
        delivery_id=sent["Legal"],
        member=lawyers["ULEA"],
        text="Our refund terms say ten days.",
    )
    clock.advance(hours=23)
    await prompts.sweep_once()
    assert sender.reminders == []
    clock.advance(hours=1, minutes=1)
    report = await prompts.sweep_once()
    assert (report.reminders, report.reminded_people, report.reminders_unneeded) == (1, 2, 1)
    clock.advance(hours=1)
    assert (await prompts.sweep_once()).reminders == 0  # one reminder per prompt
    [reminder] = sender.reminders  # Legal: everyone answered, so none
    assert reminder.prompt.department_name == "Finance"
    assert reminder.recipients == ("UDAN", "UERIN")
    assert reminder.message_ref == sender.posted[sent["Finance"]]  # links to the prompt posted
    assert reminder.answers_so_far == 1
    assert "Finance was sent a customer story" in reminder.text
    assert "<@" not in reminder.text


async def test_each_department_may_have_its_own_reminder_delay(
    session: Session,
    clock: FixedClock,
    redactor: Redactor,
    runtime: Runtime,
    slack_ws: Workspace,
) -> None:
    quick = department(session, clock, slack_ws, "Finance", prompt_days="mon")
    never = department(session, clock, slack_ws, "Legal", prompt_days="mon")
    default = department(session, clock, slack_ws, "IT", prompt_days="mon")
    for dept, user in ((quick, "UQ"), (never, "UN"), (default, "UD")):
        members(session, clock, slack_ws, dept, user)
    set_reminder_delay(session=session, clock=clock, department=quick, hours=2)
    set_reminder_delay(session=session, clock=clock, department=never, hours=0)
    story(session, clock, redactor, slack_ws, "The invoice total changed after payment.", "billing")
    sender = RecordingSender()
    prompts = scheduler(runtime, sender)
    clock.advance(hours=1)
    await prompts.sweep_once()
    clock.advance(hours=2, minutes=1)
    await prompts.sweep_once()
    assert [r.recipients for r in sender.reminders] == [("UQ",)]
    clock.advance(hours=22)
    await prompts.sweep_once()
    assert [r.recipients for r in sender.reminders] == [("UQ",), ("UD",)]  # Legal: none


async def test_start_and_shutdown_with_the_aiohttp_server(
    session: Session,
    clock: FixedClock,
    redactor: Redactor,
    runtime: Runtime,
    slack_ws: Workspace,
) -> None:
    department(session, clock, slack_ws, "Finance")
    story(
        session, clock, redactor, slack_ws, "The pricing page showed last year's prices.", "pricing"
    )
    clock.advance(hours=1)
    sender = RecordingSender()
    prompts = scheduler(runtime, sender)
    app = web.Application()
    prompts.attach(app)
    server = TestServer(app)
    await server.start_server()
    try:
        for _ in range(100):  # the first sweep runs as soon as the scheduler starts
            if sender.sent:
                break
            await asyncio.sleep(0.05)
    finally:
        await server.close()
    assert len(sender.sent) == 1
    assert prompts._scheduler is None  # stopped with the server


def test_config_comes_from_settings(database_url: str) -> None:
    settings = load_settings(
        database_url=database_url, prompt_grace_hours=3, prompt_reminder_after_hours=0
    )
    config = PromptConfig.from_settings(settings)
    assert config.grace == timedelta(hours=3)
    assert config.reminder_after is None
    assert config.repeat_window == timedelta(days=90)
    assert len(config.library) >= 30


# --- two replicas on one PostgreSQL ---------------------------------------------------------


@pytest.fixture
def second_engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


async def test_two_replicas_send_each_prompt_exactly_once(
    database_url: str,
    session: Session,
    clock: FixedClock,
    redactor: Redactor,
    engine: Engine,
    second_engine: Engine,
    slack_ws: Workspace,
) -> None:
    if "postgresql" not in database_url:
        pytest.skip("the two-replica guarantee is tested on PostgreSQL")
    names = [f"Team {n:02d}" for n in range(24)]
    for name in names:
        department(session, clock, slack_ws, name)
    for n in range(30):
        story(
            session,
            clock,
            redactor,
            slack_ws,
            f"Customer story number {n} about a late refund.",
            "refunds",
        )
    clock.advance(hours=1)
    settings = load_settings(database_url=database_url)
    # Separate engines (connection pools) and clocks, one destination: like two processes.
    one = build_runtime(settings, engine=engine, clock=FixedClock(clock.now()))
    two = build_runtime(settings, engine=second_engine, clock=FixedClock(clock.now()))
    channel = RecordingSender(delay=0.005)
    a = PromptScheduler(one, {"slack": channel}, instance="replica-a")
    b = PromptScheduler(two, {"slack": channel}, instance="replica-b")
    sent_per_round = []
    for _ in range(3):
        reports = await asyncio.gather(a.sweep_once(), b.sweep_once())
        assert all(r.failed == 0 for r in reports)
        sent_per_round.append(sum(r.sent for r in reports))
    assert sent_per_round == [len(names), 0, 0]
    rows = ledger(session)
    assert len(rows) == len(names)
    assert {r.status for r in rows} == {DeliveryStatus.SENT}
    assert len(channel.sent) == len(names)
    assert len({m.delivery_id for m in channel.sent}) == len(names)
    assert len({m.department_id for m in channel.sent}) == len(names)
    assert {r.claimed_by for r in rows} <= {"replica-a", "replica-b"}


async def test_stale_claims_for_another_platform_are_left_to_its_replica(
    session: Session,
    clock: FixedClock,
    redactor: Redactor,
    runtime: Runtime,
) -> None:
    teams_ws = ensure_workspace(
        session=session, clock=clock, platform=Platform.TEAMS, external_id="tenant", name="T"
    )
    hr = department(
        session, clock, teams_ws, "HR", slack_channel_id=None, teams_conversation_id="19:hr"
    )
    story(session, clock, redactor, teams_ws, "The new starter had no laptop for a week.", "staff")
    clock.advance(hours=1)
    claim = claim_occurrence(
        session=session, clock=clock, department=hr, occurrence_at=TEN, instance="dead"
    )
    assert claim is not None
    clock.advance(minutes=30)
    slack_only = RecordingSender()
    await scheduler(runtime, slack_only).sweep_once()
    [row] = ledger(session)
    assert (row.status, row.claimed_by) == (DeliveryStatus.CLAIMED, "dead")
    assert slack_only.lookups == []
    teams = RecordingSender(platform="teams")
    report = await scheduler(runtime, teams).sweep_once()
    assert report.recovered == 1
    assert [m.destination for m in teams.sent] == ["19:hr"]
    assert ledger(session)[0].status == DeliveryStatus.SENT


async def test_moving_the_time_earlier_does_not_fire_at_once(
    session: Session,
    clock: FixedClock,
    redactor: Redactor,
    runtime: Runtime,
    slack_ws: Workspace,
) -> None:
    finance = department(session, clock, slack_ws, "Finance", prompt_time="11:00")
    story(
        session,
        clock,
        redactor,
        slack_ws,
        "The refund email promised three days; it took ten.",
        "refunds",
    )
    sender = RecordingSender()
    prompts = scheduler(runtime, sender)
    clock.advance(hours=1)  # 10:00
    await prompts.sweep_once()
    edit_department(
        session=session,
        clock=clock,
        workspace_id=slack_ws.id or 0,
        name=finance.name,
        spec=DepartmentSpec(prompt_time="09:30"),
    )
    clock.advance(minutes=1)
    await prompts.sweep_once()
    assert sender.sent == []
    assert ledger(session) == []
    clock.advance(days=1)  # 10:01 next day, no sweep since: 09:30 is caught up, 31 min late
    await prompts.sweep_once()
    assert [m.occurrence_at for m in sender.sent] == [datetime(2026, 11, 3, 9, 30, tzinfo=UTC)]
