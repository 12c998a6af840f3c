"""The CX leads' channel: weekly digest and undeliverable-prompt notices, through the ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.database import create_db_engine
from bot.runtime import Runtime, build_runtime
from bot.scheduler import PromptConfig, PromptScheduler
from bot.settings import SettingsError, load_settings
from stories.capture import StoryDraft, capture_story
from stories.clock import FixedClock
from stories.departments import DepartmentSpec, add_department
from stories.digest import DIGEST_KIND, NOTICE_KIND, claim_digest
from stories.models import DeliveryStatus, Platform, PromptDelivery, SourceKind, Workspace
from stories.redaction import Redactor
from stories.workspaces import ensure_workspace
from tests.fakes.prompt_sender import RecordingSender

# The shared clock starts on Monday 2 November 2026 at 09:00 UTC (09:00 GMT in London).
DIGEST_AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
LEADS = "CLEADS"


def _runtime(database_url: str, engine: Engine, clock: FixedClock, **settings: object) -> Runtime:
    values: dict[str, object] = {
        "database_url": database_url,
        "leads_slack_channel": LEADS,
        "digest_days": "mon",
        "digest_time": "09:30",
        "digest_timezone": "Europe/London",
    }
    values.update(settings)
    return build_runtime(load_settings(**values), engine=engine, clock=clock)


@pytest.fixture
def runtime(database_url: str, engine: Engine, clock: FixedClock) -> Runtime:
    return _runtime(database_url, engine, clock)


@pytest.fixture
def slack_ws(session: Session, clock: FixedClock) -> Workspace:
    return ensure_workspace(
        session=session, clock=clock, platform=Platform.SLACK, external_id="T1", name="Acme"
    )


def _story(
    session: Session, clock: FixedClock, redactor: Redactor, ws: Workspace, days_ago: float
) -> None:
    draft = StoryDraft(
        workspace_id=ws.id or 0,
        text=f"The refund took {days_ago} weeks and nobody told me why.",
        source_kind=SourceKind.CLI,
        touchpoint="refunds",
        shared=True,
        created_at=clock.now() - timedelta(days=days_ago),
    )
    capture_story(session=session, clock=clock, redactor=redactor, draft=draft)


def _rows(session: Session, kind: str) -> list[PromptDelivery]:
    session.expire_all()
    query = select(PromptDelivery).where(PromptDelivery.kind == kind)
    rows = list(session.exec(query.order_by(col(PromptDelivery.id))))
    session.commit()  # end the read so a SQLite sweep is not held up
    return rows


def _scheduler(runtime: Runtime, sender: RecordingSender, instance: str = "a") -> PromptScheduler:
    return PromptScheduler(runtime, {sender.platform: sender}, instance=instance)


async def test_the_digest_is_posted_once_at_its_time_with_last_weeks_summary(
    session: Session,
    clock: FixedClock,
    redactor: Redactor,
    runtime: Runtime,
    slack_ws: Workspace,
) -> None:
    for days_ago in (1, 2, 6):  # in the week before Monday 09:30
        _story(session, clock, redactor, slack_ws, days_ago)
    _story(session, clock, redactor, slack_ws, 10)  # the week before that
    sender = RecordingSender()
    scheduler = _scheduler(runtime, sender)

    await scheduler.sweep_once()  # 09:00: not due yet
    assert sender.digests == []

    clock.advance(hours=1)
    report = await scheduler.sweep_once()
    clock.advance(hours=1)
    await scheduler.sweep_once()  # a later sweep finds it in the ledger

    assert report.digests == 1
    [digest] = sender.digests
    assert (digest.destination, digest.platform, digest.occurrence_at) == (
        LEADS,
        "slack",
        DIGEST_AT,
    )
    assert digest.summary.period.end == DIGEST_AT
    assert digest.summary.period.start == DIGEST_AT - timedelta(days=7)
    assert (digest.summary.stories.value, digest.summary.stories.previous) == (3, 1)
    assert digest.chart_png is not None
    assert digest.chart_png.startswith(b"\x89PNG")
    [row] = _rows(session, DIGEST_KIND)
    assert (row.status, row.target, row.message_ref) == (
        DeliveryStatus.SENT,
        "leads:slack",
        f"{LEADS}:digest1",
    )


async def test_two_replicas_post_one_digest(
    database_url: str,
    session: Session,
    clock: FixedClock,
    runtime: Runtime,
    slack_ws: Workspace,
) -> None:
    other_engine = create_db_engine(database_url)
    try:
        other = _runtime(database_url, other_engine, clock)
        first, second = RecordingSender(), RecordingSender()
        clock.advance(hours=1)
        await _scheduler(runtime, first, "a").sweep_once()
        await _scheduler(other, second, "b").sweep_once()
    finally:
        other_engine.dispose()
    assert len(first.digests) + len(second.digests) == 1
    assert len(_rows(session, DIGEST_KIND)) == 1


async def test_a_digest_missed_while_down_is_recorded_not_sent_late(
    session: Session, clock: FixedClock, runtime: Runtime, slack_ws: Workspace
) -> None:
    sender = RecordingSender()
    clock.advance(hours=5)  # 14:00: past the two-hour grace period
    report = await _scheduler(runtime, sender).sweep_once()
    assert sender.digests == []
    assert report.missed == 1
    [row] = _rows(session, DIGEST_KIND)
    assert row.status == DeliveryStatus.MISSED


async def test_a_refusing_leads_channel_is_recorded_and_not_retried(
    session: Session, clock: FixedClock, runtime: Runtime, slack_ws: Workspace
) -> None:
    sender = RecordingSender(fail_destinations={LEADS: "channel_not_found"})
    scheduler = _scheduler(runtime, sender)
    clock.advance(hours=1)
    await scheduler.sweep_once()
    clock.advance(minutes=30)
    await scheduler.sweep_once()
    [row] = _rows(session, DIGEST_KIND)
    assert (row.status, row.reason) == (DeliveryStatus.FAILED, "channel_not_found")


async def test_a_digest_claim_left_by_a_crash_is_recorded_as_missed(
    session: Session, clock: FixedClock, runtime: Runtime, slack_ws: Workspace
) -> None:
    claim_digest(
        session=session,
        clock=clock,
        workspace_id=slack_ws.id or 0,
        platform="slack",
        occurrence_at=DIGEST_AT,
        instance="crashed",
    )
    sender = RecordingSender()
    clock.advance(hours=1)
    await _scheduler(runtime, sender).sweep_once()
    assert sender.digests == []  # it may already be in the channel: never twice
    [row] = _rows(session, DIGEST_KIND)
    assert row.status == DeliveryStatus.MISSED
    assert "not re-sent" in (row.reason or "")


async def test_no_leads_channel_means_no_digest_and_no_notice(
    database_url: str,
    engine: Engine,
    session: Session,
    clock: FixedClock,
    slack_ws: Workspace,
) -> None:
    runtime = _runtime(database_url, engine, clock, leads_slack_channel=None)
    sender = RecordingSender()
    clock.advance(hours=1)
    await _scheduler(runtime, sender).sweep_once()
    assert (sender.digests, _rows(session, DIGEST_KIND)) == ([], [])


async def test_leads_hear_once_about_a_prompt_that_could_not_be_delivered(
    session: Session,
    clock: FixedClock,
    redactor: Redactor,
    runtime: Runtime,
    slack_ws: Workspace,
) -> None:
    add_department(
        session=session,
        clock=clock,
        workspace_id=slack_ws.id or 0,
        spec=DepartmentSpec(
            name="Finance",
            slack_channel_id="CFIN",
            timezone="Europe/London",
            prompt_time="10:00",
            prompt_days="mon",
        ),
    )
    _story(session, clock, redactor, slack_ws, 1)
    sender = RecordingSender(fail_destinations={"CFIN": "is_archived"})
    scheduler = _scheduler(runtime, sender)
    clock.advance(hours=1, minutes=1)
    report = await scheduler.sweep_once()
    clock.advance(minutes=5)
    await scheduler.sweep_once()
    await _scheduler(runtime, sender, "b").sweep_once()  # another replica sees the failure too

    assert report.failed == 1
    assert report.notices == 1
    [notice] = sender.leads_notices
    assert notice.destination == LEADS
    assert "Finance" in notice.text
    assert "is_archived" in notice.text
    assert "Mon 02 Nov 10:00 (Europe/London)" in notice.text
    [row] = _rows(session, NOTICE_KIND)
    failed = next(r for r in _rows(session, "prompt") if r.status == DeliveryStatus.FAILED)
    assert (row.status, row.target) == (DeliveryStatus.SENT, f"delivery:{failed.id}")


def test_digest_settings_are_checked_and_read(database_url: str) -> None:
    with pytest.raises(SettingsError, match="SIGHTLINE_DIGEST_DAYS"):
        load_settings(database_url=database_url, digest_days="someday")
    with pytest.raises(SettingsError, match="SIGHTLINE_DIGEST_TIME"):
        load_settings(database_url=database_url, digest_time="25:00")
    settings = load_settings(
        database_url=database_url,
        leads_slack_channel=LEADS,
        leads_teams_conversation="19:leads@thread.tacv2",
        digest_days="Monday, thu",
        default_timezone="America/New_York",
    )
    config = PromptConfig.from_settings(settings)
    assert dict(config.leads) == {"slack": LEADS, "teams": "19:leads@thread.tacv2"}
    assert config.digest is not None
    assert (config.digest.prompt_days, config.digest.timezone) == ("mon,thu", "America/New_York")
    off = PromptConfig.from_settings(load_settings(database_url=database_url, digest_enabled=False))
    assert off.digest is None
