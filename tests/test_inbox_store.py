"""Where the durable inbox is kept (bot/inbox_store.py): on a SQLite file, a file of its own
with its own write lock; elsewhere the main database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, inspect, text
from sqlmodel import Session

from bot.database import create_db_engine, for_services
from bot.inbox_store import inbox_url, open_inbox_engine
from stories.clock import FixedClock
from stories.inbox import receive


def test_a_sqlite_file_keeps_its_inbox_in_a_file_beside_it(tmp_path: Path) -> None:
    main = create_engine(f"sqlite:///{tmp_path / 'var' / 'sightline.db'}")
    url = inbox_url(main)
    assert url is not None
    assert url.database == str(tmp_path / "var" / "sightline-inbox.db")


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:///:memory:", "postgresql://postgres@127.0.0.1:5432/x"]
)
def test_other_databases_keep_the_inbox_in_themselves(url: str) -> None:
    assert inbox_url(create_engine(url.replace("postgresql:", "postgresql+psycopg:"))) is None


def test_the_inbox_file_is_created_once_and_shared(tmp_path: Path, clock: FixedClock) -> None:
    main = create_db_engine(f"sqlite:///{tmp_path / 'sightline.db'}")
    first, second = open_inbox_engine(main), open_inbox_engine(main)  # two replicas
    try:
        assert first is not main
        assert inspect(first).get_table_names() == ["inboxitem"]
        assert "inboxitem" not in inspect(main).get_table_names()  # not migrated here
        with first.connect() as connection:
            assert connection.execute(text("PRAGMA user_version")).scalar_one() == 1
        kept = {"platform": "slack", "key": "event:E1", "body": "{}", "headers": {}}
        with Session(for_services(first)) as session:
            assert receive(session=session, clock=clock, instance="a", **kept)
        with Session(for_services(second)) as session:  # the other replica sees the key
            assert not receive(session=session, clock=clock, instance="b", **kept)
    finally:
        first.dispose()
        second.dispose()


def test_an_inbox_file_from_a_newer_version_is_refused_clearly(tmp_path: Path) -> None:
    main = create_db_engine(f"sqlite:///{tmp_path / 'sightline.db'}")
    newer = create_db_engine(f"sqlite:///{tmp_path / 'sightline-inbox.db'}")
    with newer.begin() as connection:
        connection.exec_driver_sql("PRAGMA user_version = 99")
    newer.dispose()
    with pytest.raises(RuntimeError, match="from a newer Sightline"):
        open_inbox_engine(main)


def test_postgres_keeps_the_inbox_in_the_main_database(engine: Engine) -> None:
    own = open_inbox_engine(engine)
    if engine.dialect.name == "postgresql":
        assert own is engine
    else:
        assert own is not engine
        own.dispose()
