"""The delivery ledger: one row per (department, occurrence), claimed before anything is sent.

The unique constraint on (workspace, kind, target, occurrence_at) is the only lock: whoever
inserts the row first owns the occurrence, so replicas sharing a database never double-send.
A claim is a lease (`stories.prompt_leases`): completing it is a compare-and-set on its owner
and claim time, so only the current owner's outcome is ever recorded.
Answers to a sent prompt live in `stories.answers`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from stories import audit
from stories.clock import Clock
from stories.errors import NotFoundError
from stories.models import DeliveryStatus, Department, PromptAnswer, PromptDelivery
from stories.prompt_leases import Claim, owned_by

PROMPT_KIND = "prompt"
MANUAL_KIND = "manual"  # `sightline prompts send`: outside the schedule, same ledger
# Rows that are prompts to a department; digests and notices to leads share the ledger.
PROMPT_KINDS = (PROMPT_KIND, MANUAL_KIND)
HARVEST_KIND = "harvest"  # a customer-facing department asked for a customer moment
SENDABLE_KINDS = (*PROMPT_KINDS, HARVEST_KIND)  # posted to a department's channel
MAX_REASON_LENGTH = 500


def target_for(department: Department) -> str:
    return f"department:{department.id}"


# --- claiming and recording occurrences ----------------------------------------------------


def claim_occurrence(
    *,
    session: Session,
    clock: Clock,
    department: Department,
    occurrence_at: datetime,
    instance: str,
    kind: str = PROMPT_KIND,
) -> PromptDelivery | None:
    """Claim an occurrence for sending; None when another sweep (or replica) already has it."""
    now = clock.now()
    return _insert(
        session,
        PromptDelivery(
            workspace_id=department.workspace_id,
            kind=kind,
            target=target_for(department),
            department_id=department.id,
            occurrence_at=occurrence_at,
            status=DeliveryStatus.CLAIMED,
            claimed_by=instance[:120],
            claimed_at=now,
        ),
    )


def record_skipped(
    *,
    session: Session,
    clock: Clock,
    department: Department,
    occurrence_at: datetime,
    reason: str,
    kind: str = PROMPT_KIND,
) -> PromptDelivery | None:
    """Record a holiday, pause or similar skip; None when the occurrence was already recorded."""
    return _record_final(
        session, clock, department, occurrence_at, DeliveryStatus.SKIPPED, reason, kind
    )


def record_missed(
    *,
    session: Session,
    clock: Clock,
    department: Department,
    occurrence_at: datetime,
    reason: str = "the bot was not running within the grace period",
    kind: str = PROMPT_KIND,
) -> PromptDelivery | None:
    """Record an occurrence that fell due while nothing was running and is now too old."""
    return _record_final(
        session, clock, department, occurrence_at, DeliveryStatus.MISSED, reason, kind
    )


def _record_final(
    session: Session,
    clock: Clock,
    department: Department,
    occurrence_at: datetime,
    status: DeliveryStatus,
    reason: str,
    kind: str,
) -> PromptDelivery | None:
    return _insert(
        session,
        PromptDelivery(
            workspace_id=department.workspace_id,
            kind=kind,
            target=target_for(department),
            department_id=department.id,
            occurrence_at=occurrence_at,
            status=status,
            claimed_at=clock.now(),
            reason=reason[:MAX_REASON_LENGTH],
        ),
    )


def _insert(session: Session, delivery: PromptDelivery) -> PromptDelivery | None:
    try:
        with session.begin_nested():
            session.add(delivery)
            session.flush()
    except IntegrityError:
        return None  # the unique constraint says someone else recorded this occurrence
    session.commit()
    return delivery


def attach_content(
    *, session: Session, delivery_id: int, story_id: int | None, template_id: int | None
) -> PromptDelivery:
    """Remember which story and question a claimed delivery carries (before sending)."""
    delivery = get_delivery(session=session, delivery_id=delivery_id)
    delivery.story_id, delivery.template_id = story_id, template_id
    session.add(delivery)
    session.commit()
    return delivery


def mark_sent(
    *, session: Session, clock: Clock, claim: Claim, message_ref: str
) -> PromptDelivery | None:
    """The platform took the post; None (and nothing written) when ``claim`` is no longer
    the row's claim: another instance took it over, or completed it."""
    return _complete(
        session,
        claim,
        status=DeliveryStatus.SENT,
        sent_at=clock.now(),
        message_ref=message_ref[:300],
        reason=None,
    )


def mark_failed(
    *, session: Session, clock: Clock, claim: Claim, reason: str
) -> PromptDelivery | None:
    """A destination refused the prompt (channel archived, bot removed, …): kept for leads.

    Only the claim's current owner may record it: a slow instance whose claim was taken
    over cannot turn another's `sent` into a failure (nor send leads a false notice).
    """
    delivery = _complete(
        session,
        claim,
        status=DeliveryStatus.FAILED,
        reason=(reason or "unknown error")[:MAX_REASON_LENGTH],
        commit=False,
    )
    if delivery is None:
        return None
    audit.record(
        session=session,
        clock=clock,
        workspace_id=delivery.workspace_id,
        action="prompt.failed",
        subject_type="promptdelivery",
        subject_id=delivery.id,
        detail={"reason": delivery.reason},
    )
    session.commit()
    return delivery


def skip_claimed(*, session: Session, claim: Claim, reason: str) -> PromptDelivery | None:
    """Turn a claim into a recorded skip (e.g. no eligible story); owner-checked."""
    return _complete(
        session, claim, status=DeliveryStatus.SKIPPED, reason=reason[:MAX_REASON_LENGTH]
    )


def mark_missed(*, session: Session, claim: Claim, reason: str) -> PromptDelivery | None:
    """A claim that was never confirmed and is now too old to send; owner-checked."""
    return _complete(
        session, claim, status=DeliveryStatus.MISSED, reason=reason[:MAX_REASON_LENGTH]
    )


def _complete(
    session: Session, claim: Claim, *, commit: bool = True, **values: object
) -> PromptDelivery | None:
    """Compare-and-set: write ``values`` only while ``claim`` is the row's current claim."""
    result = session.execute(
        update(PromptDelivery)
        .where(*owned_by(claim))  # type: ignore[arg-type]
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        session.commit()  # end the transaction; nothing was written
        return None
    if commit:
        session.commit()
    return get_delivery(session=session, delivery_id=claim.delivery_id)


def get_delivery(*, session: Session, delivery_id: int) -> PromptDelivery:
    delivery = session.get(PromptDelivery, delivery_id, populate_existing=True)
    if delivery is None:
        raise NotFoundError(kind="prompt delivery", key=delivery_id)
    return delivery


def recorded_occurrences(
    *, session: Session, department: Department, start: datetime, end: datetime, kind: str
) -> set[datetime]:
    """Occurrence instants already in the ledger for a department (any status)."""
    query = select(PromptDelivery.occurrence_at).where(
        PromptDelivery.workspace_id == department.workspace_id,
        PromptDelivery.kind == kind,
        PromptDelivery.target == target_for(department),
        PromptDelivery.occurrence_at >= start,
        PromptDelivery.occurrence_at <= end,
    )
    return set(session.exec(query))


# --- reminders -----------------------------------------------------------------------------


def claim_reminder(*, session: Session, clock: Clock, delivery_id: int) -> bool:
    """Take the one reminder an occurrence may have; False when it was already taken."""
    result = session.execute(
        update(PromptDelivery)
        .where(
            col(PromptDelivery.id) == delivery_id,
            col(PromptDelivery.reminder_sent_at).is_(None),
        )
        .values(reminder_sent_at=clock.now())
    )
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def answer_count(*, session: Session, delivery_id: int) -> int:
    query = (
        select(func.count())
        .select_from(PromptAnswer)
        .where(PromptAnswer.delivery_id == delivery_id)
    )
    return int(session.exec(query).one())


# --- the ledger, for people -----------------------------------------------------------------


def list_deliveries(
    *,
    session: Session,
    workspace_id: int,
    department_id: int | None = None,
    status: DeliveryStatus | None = None,
    limit: int = 100,
) -> list[PromptDelivery]:
    """The ledger, newest occurrence first."""
    query = select(PromptDelivery).where(PromptDelivery.workspace_id == workspace_id)
    if department_id is not None:
        query = query.where(PromptDelivery.department_id == department_id)
    if status is not None:
        query = query.where(PromptDelivery.status == status)
    query = query.order_by(col(PromptDelivery.occurrence_at).desc(), col(PromptDelivery.id).desc())
    return list(session.exec(query.limit(limit)))
