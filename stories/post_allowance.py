"""One posting rate shared by every replica: slots reserved in the database.

A workspace's allowance (e.g. Slack's rate for chat.postMessage) is a single row holding
its next free slot. Reserving is one atomic statement: the slot is the later of the row's
next slot and now, and the row moves on by one interval. However many replicas post, their
posts are spaced one interval apart in the order they reserved, with no per-replica share
to configure. Times are each replica's wall clock in epoch seconds (replicas keep time).
"""

from __future__ import annotations

from sqlalchemy import case, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from stories.models import PostAllowance


def reserve_slot(*, session: Session, key: str, now: float, interval: float) -> float:
    """Reserve the next posting slot of allowance ``key``; returns when it begins.

    Args:
        session: a database session; committed here.
        key: the allowance, e.g. ``"slack:T0123"``.
        now: the caller's wall clock, in seconds since the epoch.
        interval: seconds between two posts (1 / rate).

    Returns:
        The slot's start (epoch seconds): ``now`` when the allowance is idle, else later.
    """
    slot_start = case((col(PostAllowance.next_slot) < now, now), else_=col(PostAllowance.next_slot))
    statement = (
        update(PostAllowance)
        .where(col(PostAllowance.key) == key)
        .values(next_slot=slot_start + interval)
        .returning(col(PostAllowance.next_slot))
    )
    moved = session.execute(statement).scalar_one_or_none()
    if moved is None:
        try:
            with session.begin_nested():
                session.add(PostAllowance(key=key, next_slot=now + interval))
                session.flush()
            moved = now + interval
        except IntegrityError:  # another replica created it first
            moved = session.execute(statement).scalar_one()
    session.commit()
    return float(moved) - interval
