"""The durable inbox: what a platform asked for, recorded before it is acknowledged.

A request is recorded (unique by platform and key: Slack's event id, an interaction's
trigger id) in the same database before the platform hears "OK"; the row is finished once
the work is done, and its raw body is then cleared. A row that is never finished (the
process was killed after the acknowledgement) is claimed again by any replica after
``stale`` and replayed; a request seen twice (a platform retry, another replica) is
recognised by its key. The raw body holds unredacted text, so it is kept only until the
work is done, and a request tried ``MAX_ATTEMPTS`` times and still unfinished after
``GIVE_UP_AFTER`` is dropped, not kept (a replay interrupted by another kill is no reason to
give up, so the attempts alone never are).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from stories.clock import Clock
from stories.models import InboxItem

MAX_ATTEMPTS = 5
GIVE_UP_AFTER = timedelta(hours=1)  # and only once this old: a kill mid-replay is no failure
DONE_KEPT = timedelta(days=1)  # finished keys are remembered this long, to spot retries


@dataclass(frozen=True)
class Pending:
    """A request to replay."""

    key: str
    body: str
    headers: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class Arrival:
    """A request to record: its key, raw body and the headers a replay needs."""

    key: str
    body: str
    headers: dict[str, Any]


def receive(
    *,
    session: Session,
    clock: Clock,
    platform: str,
    key: str,
    body: str,
    headers: dict[str, Any],
    instance: str,
) -> bool:
    """Record a request; False when its key was seen before (nothing is recorded then)."""
    [new] = receive_many(
        session=session,
        clock=clock,
        platform=platform,
        arrivals=[Arrival(key, body, headers)],
        instance=instance,
    )
    return new


def receive_many(
    *, session: Session, clock: Clock, platform: str, arrivals: list[Arrival], instance: str
) -> list[bool]:
    """Record requests in one transaction; for each, False when its key was seen before
    (recorded earlier, or earlier in ``arrivals``).

    One statement that skips a key already there (``INSERT ... ON CONFLICT DO NOTHING
    RETURNING``, SQLite and PostgreSQL alike), not ORM inserts in savepoints that fail: this
    runs before every acknowledgement, so it is kept to one round trip and a commit.
    """
    if not arrivals:
        return []
    now = clock.now()
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    rows = [
        {
            "platform": platform,
            "key": a.key,
            "body": a.body,
            "headers": a.headers,
            "received_at": now,
            "claimed_by": instance,
            "claimed_at": now,
            "attempts": 1,
        }
        for a in arrivals
    ]
    result = session.execute(
        insert(InboxItem)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["platform", "key"])
        .returning(col(InboxItem.key))  # a row back for each key inserted
    )
    inserted = set(result.scalars())
    session.commit()
    answers = []
    for arrival in arrivals:
        answers.append(arrival.key in inserted)
        inserted.discard(arrival.key)  # the same key twice in one batch: the first is new
    return answers


def finish(*, session: Session, clock: Clock, platform: str, key: str) -> None:
    """The work is done: the key stays (retries are recognised), the body goes."""
    finish_many(session=session, clock=clock, platform=platform, keys=[key])


def finish_many(*, session: Session, clock: Clock, platform: str, keys: list[str]) -> None:
    """Finish several requests in one transaction (see ``finish``)."""
    if not keys:
        return
    session.execute(
        update(InboxItem)
        .where(col(InboxItem.platform) == platform, col(InboxItem.key).in_(keys))
        .values(done_at=clock.now(), body="", headers={})
    )
    session.commit()


def claim_stale(
    *, session: Session, clock: Clock, platform: str, stale: timedelta, instance: str
) -> list[Pending]:
    """Claim the unfinished requests nobody has touched for ``stale``, for this replica.

    Each row is claimed by a conditional update (on the claim time it was read with), so of
    two replicas looking at once only one replays it. A request tried ``MAX_ATTEMPTS``
    times and older than ``GIVE_UP_AFTER`` is given up: finished without its body.
    """
    now = clock.now()
    rows = session.exec(
        select(InboxItem).where(
            col(InboxItem.platform) == platform,
            col(InboxItem.done_at).is_(None),
            col(InboxItem.claimed_at) < now - stale,
        )
    ).all()
    claimed = []
    for row in rows:
        if row.attempts >= MAX_ATTEMPTS and row.received_at < now - GIVE_UP_AFTER:
            finish(session=session, clock=clock, platform=platform, key=row.key)
            continue
        won = session.execute(
            update(InboxItem)
            .where(col(InboxItem.id) == row.id, col(InboxItem.claimed_at) == row.claimed_at)
            .values(claimed_at=now, claimed_by=instance, attempts=row.attempts + 1)
        )
        session.commit()
        if won.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(Pending(row.key, row.body, dict(row.headers), row.attempts + 1))
    return claimed


def forget_done(*, session: Session, now: datetime) -> int:
    """Drop finished keys older than ``DONE_KEPT`` (a retry that late is not a retry)."""
    result = session.execute(
        delete(InboxItem).where(
            col(InboxItem.done_at).is_not(None), col(InboxItem.done_at) < now - DONE_KEPT
        )
    )
    session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
