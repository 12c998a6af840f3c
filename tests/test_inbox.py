"""The durable inbox's rules on a real database (both backends): one record per key, one
replica claims a stale record, and a record is given up only when tried often and old."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from stories.clock import FixedClock
from stories.inbox import (
    MAX_ATTEMPTS,
    Arrival,
    claim_stale,
    finish,
    finish_many,
    forget_done,
    receive,
    receive_many,
)
from stories.models import InboxItem

STALE = timedelta(seconds=30)


def _receive(session: Session, clock: FixedClock, key: str = "event:Ev1") -> bool:
    return receive(
        session=session,
        clock=clock,
        platform="slack",
        key=key,
        body="text=The+parcel+was+late",
        headers={"content-type": "application/x-www-form-urlencoded"},
        instance="a",
    )


def _claim(session: Session, clock: FixedClock, instance: str) -> list[str]:
    found = claim_stale(
        session=session, clock=clock, platform="slack", stale=STALE, instance=instance
    )
    return [p.key for p in found]


def test_a_key_is_recorded_once(session: Session, clock: FixedClock) -> None:
    assert _receive(session, clock)
    assert not _receive(session, clock)  # a retry, here or on another replica
    assert len(session.exec(select(InboxItem)).all()) == 1


def test_a_stale_record_is_claimed_by_one_replica_and_kept_until_done(
    session: Session, clock: FixedClock
) -> None:
    _receive(session, clock)
    assert _claim(session, clock, "b") == []  # still fresh: its process may be working
    clock.advance(seconds=31)
    assert _claim(session, clock, "b") == ["event:Ev1"]
    assert _claim(session, clock, "c") == []  # b has it now
    finish(session=session, clock=clock, platform="slack", key="event:Ev1")
    clock.advance(seconds=31)
    assert _claim(session, clock, "c") == []
    session.expire_all()
    item = session.exec(select(InboxItem)).one()
    assert (item.body, item.headers, item.attempts) == ("", {}, 2)
    clock.advance(days=2)
    assert forget_done(session=session, now=clock.now()) == 1


def test_interrupted_replays_are_retried_until_the_record_is_old(
    session: Session, clock: FixedClock
) -> None:
    _receive(session, clock)
    for _ in range(MAX_ATTEMPTS + 2):  # every replay killed in turn
        clock.advance(seconds=31)
        assert _claim(session, clock, "b") == ["event:Ev1"]
    clock.advance(hours=2)
    assert _claim(session, clock, "b") == []  # tried often and old: given up
    session.expire_all()
    item = session.exec(select(InboxItem)).one()
    assert item.done_at is not None
    assert item.body == ""


def test_a_batch_is_recorded_in_one_go_and_tells_each_key_apart(
    session: Session, clock: FixedClock
) -> None:
    """Group commit (bot/slack/group_commit.py) records several requests in one statement:
    a key seen before, or twice in the batch, is new only once."""
    assert _receive(session, clock, "event:Old")
    arrivals = [Arrival(k, f"body of {k}", {}) for k in ("event:A", "event:Old", "event:A")]
    new = receive_many(
        session=session, clock=clock, platform="slack", arrivals=arrivals, instance="a"
    )
    assert new == [True, False, False]
    rows = session.exec(select(InboxItem).order_by(col(InboxItem.key))).all()
    assert [(r.key, r.body) for r in rows] == [
        ("event:A", "body of event:A"),
        ("event:Old", "text=The+parcel+was+late"),
    ]
    finish_many(session=session, clock=clock, platform="slack", keys=["event:A", "event:Old"])
    session.expire_all()
    done = session.exec(select(InboxItem)).all()
    assert [(r.body, r.done_at is not None) for r in done] == [("", True), ("", True)]
