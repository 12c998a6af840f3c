"""The CX leads' channel: the weekly digest and notices of prompts that could not be delivered.

Both go through the prompt delivery ledger, so each is posted exactly once across replicas:

- A **digest** is a ledger row of kind ``digest`` whose target is ``leads:<platform>`` and whose
  occurrence is the scheduled instant (e.g. Monday 09:00 in the leads' timezone). It carries
  the summary of the period that ended at that instant.
- A **failure notice** is a row of kind ``notice`` whose target is ``delivery:<id>``: one per
  failed prompt, however many sweeps or replicas see the failure.

Platform-free: the scheduler in bot/ decides when, a platform sender renders and posts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from stories.clock import Clock
from stories.models import DeliveryStatus, Department, PromptDelivery, Workspace
from stories.periods import Period
from stories.schedule import WEEKDAYS, Occurrence, plan_between
from stories.summaries import Summary

DIGEST_KIND = "digest"
NOTICE_KIND = "notice"
LEADS_KINDS = (DIGEST_KIND, NOTICE_KIND)
MAX_REASON_LENGTH = 500


@dataclass  # not frozen: Schedulable declares plain (settable) attributes
class DigestSchedule:
    """When the digest is due; satisfies :class:`stories.schedule.Schedulable`.

    Leads' digests are not paused for holidays: a summary waiting in the channel on a day off
    harms nobody.
    """

    timezone: str = "UTC"
    prompt_time: str = "09:00"
    prompt_days: str = "mon"
    cadence_weeks: int = 1
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    paused: bool = False
    paused_until: datetime | None = None

    def __post_init__(self) -> None:
        days = [d.strip()[:3].lower() for d in self.prompt_days.split(",") if d.strip()]
        if not days or any(day not in WEEKDAYS for day in days):
            raise ValueError(f"{self.prompt_days!r} is not a list of weekdays such as mon or fri")

    def between(self, start: datetime, end: datetime) -> list[Occurrence]:
        return plan_between(self, start, end)


@dataclass(frozen=True, kw_only=True)
class DigestMessage:
    """One digest for a platform to post into the leads' channel."""

    delivery_id: int
    workspace_id: int
    workspace_external_id: str
    platform: str  # "slack" | "teams"
    destination: str  # Slack channel id or Teams conversation id
    occurrence_at: datetime
    summary: Summary
    chart_png: bytes | None = None  # None when the chart could not be drawn


@dataclass(frozen=True, kw_only=True)
class LeadsNotice:
    """A short message to the leads' channel (e.g. a prompt that could not be delivered)."""

    delivery_id: int  # the notice's own ledger row
    workspace_external_id: str
    platform: str
    destination: str
    text: str


def leads_target(platform: str) -> str:
    return f"leads:{platform}"


def _claim(
    session: Session,
    *,
    workspace_id: int,
    kind: str,
    target: str,
    occurrence_at: datetime,
    department_id: int | None,
    status: DeliveryStatus,
    now: datetime,
    instance: str | None = None,
    reason: str | None = None,
) -> PromptDelivery | None:
    row = PromptDelivery(
        workspace_id=workspace_id,
        kind=kind,
        target=target,
        department_id=department_id,
        occurrence_at=occurrence_at,
        status=status,
        claimed_by=instance[:120] if instance else None,
        claimed_at=now,
        reason=reason[:MAX_REASON_LENGTH] if reason else None,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None  # the unique constraint says another sweep or replica has it
    session.commit()
    return row


def recorded_digests(
    *, session: Session, workspace_id: int, platform: str, start: datetime, end: datetime
) -> set[datetime]:
    """Digest occurrences already in the ledger (any status) for one platform."""
    query = select(PromptDelivery.occurrence_at).where(
        PromptDelivery.workspace_id == workspace_id,
        PromptDelivery.kind == DIGEST_KIND,
        PromptDelivery.target == leads_target(platform),
        PromptDelivery.occurrence_at >= start,
        PromptDelivery.occurrence_at <= end,
    )
    return set(session.exec(query))


def claim_digest(
    *,
    session: Session,
    clock: Clock,
    workspace_id: int,
    platform: str,
    occurrence_at: datetime,
    instance: str,
) -> PromptDelivery | None:
    """Claim a digest occurrence; None when it is already claimed or recorded."""
    return _claim(
        session,
        workspace_id=workspace_id,
        kind=DIGEST_KIND,
        target=leads_target(platform),
        occurrence_at=occurrence_at,
        department_id=None,
        status=DeliveryStatus.CLAIMED,
        now=clock.now(),
        instance=instance,
    )


def record_missed_digest(
    *, session: Session, clock: Clock, workspace_id: int, platform: str, occurrence_at: datetime
) -> PromptDelivery | None:
    """A digest that fell due while nothing was running and is now too old to be news."""
    return _claim(
        session,
        workspace_id=workspace_id,
        kind=DIGEST_KIND,
        target=leads_target(platform),
        occurrence_at=occurrence_at,
        department_id=None,
        status=DeliveryStatus.MISSED,
        now=clock.now(),
        reason="the bot was not running within the grace period",
    )


def digest_period(occurrence_at: datetime, days: int) -> Period:
    """The period a digest reports: the ``days`` days that ended at its occurrence."""
    return Period(
        start=occurrence_at - timedelta(days=days),
        end=occurrence_at,
        label=f"last {days} days",
    )


# --- failure notices -----------------------------------------------------------------------


def claim_failure_notice(
    *, session: Session, clock: Clock, failed: PromptDelivery, instance: str
) -> PromptDelivery | None:
    """Claim the one notice about ``failed``; None when it was already claimed."""
    return _claim(
        session,
        workspace_id=failed.workspace_id,
        kind=NOTICE_KIND,
        target=f"delivery:{failed.id}",
        occurrence_at=failed.occurrence_at,
        department_id=failed.department_id,
        status=DeliveryStatus.CLAIMED,
        now=clock.now(),
        instance=instance,
    )


def failure_notice_text(
    *, department: str, occurrence_at: datetime, timezone: str, reason: str, kind: str
) -> str:
    """What the leads read when a department's prompt could not be delivered."""
    local = occurrence_at.astimezone(ZoneInfo(timezone))
    when = f"{local:%a %d %b %H:%M} ({timezone})"
    what = "manual prompt" if kind == "manual" else "prompt"
    return (
        f"Sightline could not deliver {department}'s {what} of {when}: {reason}. "
        f"Check that the department's channel still exists and that Sightline is in it, "
        f"then send one with `prompt now {department}`. "
        f"`sightline prompts deliveries` lists every delivery."
    )


def unnotified_failures(
    *, session: Session, since: datetime, prompt_kinds: tuple[str, ...]
) -> list[tuple[PromptDelivery, Workspace, Department]]:
    """Failed prompts since ``since`` that have no notice yet (a crash between the failure and
    its notice leaves one here for the next sweep)."""
    noticed = select(PromptDelivery.target).where(PromptDelivery.kind == NOTICE_KIND)
    noticed_targets = set(session.exec(noticed.where(PromptDelivery.occurrence_at >= since)))
    query = (
        select(PromptDelivery, Workspace, Department)
        .join(Workspace, col(Workspace.id) == col(PromptDelivery.workspace_id))
        .join(Department, col(Department.id) == col(PromptDelivery.department_id))
        .where(
            col(PromptDelivery.kind).in_(prompt_kinds),
            PromptDelivery.status == DeliveryStatus.FAILED,
            col(PromptDelivery.occurrence_at) >= since,
        )
        .order_by(col(PromptDelivery.occurrence_at))
    )
    return [
        (delivery, workspace, department)
        for delivery, workspace, department in session.exec(query)
        if f"delivery:{delivery.id}" not in noticed_targets
    ]
