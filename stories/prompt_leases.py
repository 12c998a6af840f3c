"""Claims are leases: a claim on a delivery lives only as long as its owner is alive.

Every scheduler instance heartbeats into `SchedulerHeartbeat` (``alive_at``) every few
seconds and records when it started (``started_at``). A claim is held by ``(claimed_by,
claimed_at)``; it has expired when its owner's last sign of life (its latest heartbeat, or
the claim itself when the owner never heartbeated) is older than the lease, or when its owner
restarted after claiming (a process that restarts under the same name cannot still be
sending what its previous life claimed). Another instance may then take the claim over,
which changes ``claimed_at``: every completion (`mark_sent`, `mark_failed`, …) compares and
sets on owner *and* claim time, so the previous owner's late answer changes nothing.

Times are each instance's own clock; replicas are expected to keep time (NTP), and the lease
(10 s by default) is several heartbeats long so that a skew of a second or two is harmless.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from stories.models import DeliveryStatus, PromptDelivery, SchedulerHeartbeat

MAX_INSTANCE_LENGTH = 120


@dataclass(frozen=True)
class Claim:
    """Who holds a delivery, and since when: the token every completion must present."""

    delivery_id: int
    owner: str
    claimed_at: datetime

    @classmethod
    def of(cls, delivery: PromptDelivery) -> Claim:
        """The claim a freshly claimed (or taken over) row carries."""
        if delivery.claimed_by is None or delivery.claimed_at is None:
            raise ValueError(f"delivery {delivery.id} is not claimed")
        return cls(delivery.id or 0, delivery.claimed_by, delivery.claimed_at)


def owned_by(claim: Claim) -> tuple[object, ...]:
    """The WHERE clause that holds only while ``claim`` is the row's current claim."""
    return (
        col(PromptDelivery.id) == claim.delivery_id,
        col(PromptDelivery.status) == DeliveryStatus.CLAIMED,
        col(PromptDelivery.claimed_by) == claim.owner,
        col(PromptDelivery.claimed_at) == claim.claimed_at,
    )


# --- heartbeats -----------------------------------------------------------------------------


def heartbeat(
    *, session: Session, instance: str, now: datetime, started_at: datetime | None = None
) -> None:
    """Record that ``instance`` is alive at ``now`` (and, on start, when it started).

    Args:
        session: a database session; committed here.
        instance: the name the instance records on its claims.
        now: the instance's clock.
        started_at: given once, when the instance starts: claims it made before are then
            orphans of its previous life and are recovered at once.
    """
    values: dict[str, datetime] = {"alive_at": now}
    if started_at is not None:
        values["started_at"] = started_at
    _upsert(session, instance, values)


def record_sweep(*, session: Session, instance: str, at: datetime) -> None:
    """Record that ``instance`` completed a sweep at ``at`` (the next sweep starts there)."""
    _upsert(session, instance, {"last_sweep_at": at})


def _upsert(session: Session, instance: str, values: dict[str, datetime]) -> None:
    name = instance[:MAX_INSTANCE_LENGTH]
    where = col(SchedulerHeartbeat.instance) == name
    updated = session.execute(update(SchedulerHeartbeat).where(where).values(**values))
    if not updated.rowcount:  # type: ignore[attr-defined]
        try:
            with session.begin_nested():
                session.add(SchedulerHeartbeat.model_validate({"instance": name, **values}))
                session.flush()
        except IntegrityError:  # another session of the same instance inserted it first
            session.execute(update(SchedulerHeartbeat).where(where).values(**values))
    session.commit()


def last_sweep_at(*, session: Session) -> datetime | None:
    """When any scheduler instance last completed a sweep (None on a fresh database)."""
    latest: datetime | None = session.exec(select(func.max(SchedulerHeartbeat.last_sweep_at))).one()
    if latest is not None and latest.tzinfo is None:  # func.max bypasses the column type
        latest = latest.replace(tzinfo=UTC)
    return latest


# --- expiry and takeover ----------------------------------------------------------------------


def lease_expired(
    *, claimed_at: datetime, owner: SchedulerHeartbeat | None, now: datetime, lease: timedelta
) -> bool:
    """Whether a claim made at ``claimed_at`` has lost its owner.

    Args:
        claimed_at: when the claim was made (or last taken over).
        owner: the owner's heartbeat row; None when it never heartbeated (then the claim
            itself is its last sign of life).
        now: the caller's clock.
        lease: how long an owner may stay silent before its claims are taken over.
    """
    if owner is not None and owner.started_at is not None and owner.started_at > claimed_at:
        return True  # the owner restarted since: what it claimed before is an orphan
    last_sign = claimed_at
    if owner is not None and owner.alive_at is not None:
        last_sign = max(last_sign, owner.alive_at)
    return now - last_sign > lease


def expired_claims(
    *, session: Session, now: datetime, lease: timedelta, kinds: Collection[str]
) -> list[PromptDelivery]:
    """Claims of these kinds whose owner's lease has expired, oldest occurrence first."""
    claims = list(
        session.exec(
            select(PromptDelivery)
            .where(
                col(PromptDelivery.kind).in_(kinds),
                col(PromptDelivery.status) == DeliveryStatus.CLAIMED,
            )
            .order_by(col(PromptDelivery.occurrence_at), col(PromptDelivery.id))
        )
    )
    owners = _heartbeats(session, {c.claimed_by for c in claims if c.claimed_by})
    return [
        claim
        for claim in claims
        if claim.claimed_at is not None
        and lease_expired(
            claimed_at=claim.claimed_at,
            owner=owners.get(claim.claimed_by or ""),
            now=now,
            lease=lease,
        )
    ]


def _heartbeats(session: Session, names: Iterable[str]) -> dict[str, SchedulerHeartbeat]:
    wanted = list(names)
    if not wanted:
        return {}
    rows = session.exec(
        select(SchedulerHeartbeat).where(col(SchedulerHeartbeat.instance).in_(wanted))
    )
    return {row.instance: row for row in rows}


def take_over(*, session: Session, claim: Claim, instance: str, now: datetime) -> Claim | None:
    """Take an expired claim over; None when someone else took it (or completed it) first."""
    result = session.execute(
        update(PromptDelivery)
        .where(*owned_by(claim))  # type: ignore[arg-type]
        .values(claimed_by=instance[:MAX_INSTANCE_LENGTH], claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    return Claim(claim.delivery_id, instance[:MAX_INSTANCE_LENGTH], now)
