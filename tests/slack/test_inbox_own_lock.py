"""On SQLite the durable inbox has a file and a write lock of its own (bot/inbox_store.py):
the record before a Slack acknowledgement does not wait for the listeners' writes to the
main database. Held here at its extreme: the main file's write lock is taken and kept while
a signed event arrives; the event is still recorded and acknowledged (with the inbox in the
main file the request would wait out the 30 s busy timeout, past the client's 10 s)."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.inbox_store import open_inbox_engine
from stories.models import InboxItem
from tests.slack.conftest import fixture


async def test_the_ack_does_not_wait_for_the_main_databases_write_lock(
    make_harness: Any, engine: Engine, database_url: str
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL locks rows, not the database: the inbox stays in it")
    slack = await make_harness()
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    inbox = open_inbox_engine(engine)
    try:
        holder.execute("BEGIN IMMEDIATE")  # a listener's long write, as it were
        event = fixture("app_home_opened")
        assert (await slack.event(event)).status_code == 200
        with Session(inbox) as session:
            [item] = session.exec(select(InboxItem)).all()
        assert (item.key, item.done_at) == (f"event:{event['event_id']}", None)
        holder.execute("ROLLBACK")  # the listener's work may now reach the database
        await slack.fake.wait_for("views.publish")
        await slack.platform.listeners.drain()
        with Session(inbox) as session:
            [item] = session.exec(select(InboxItem)).all()
        assert item.done_at is not None
    finally:
        holder.close()
        inbox.dispose()
