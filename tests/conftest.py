"""Shared fixtures: a fresh, migrated database per test on SQLite and (when configured) PostgreSQL.

Set SIGHTLINE_TEST_POSTGRES_URL (``.ci/run`` always does) to run every storage test
against PostgreSQL too. Each test run gets its own PostgreSQL database, migrated
once and truncated between tests, so parallel runs on one server never collide.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

from bot.database import create_db_engine, normalise_url, upgrade
from stories.clock import FixedClock
from stories.models import Platform, Workspace
from stories.redaction import Redactor
from stories.workspaces import ensure_workspace

POSTGRES_URL = os.environ.get("SIGHTLINE_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", *(["postgres"] if POSTGRES_URL else [])]
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy, so migrations run once."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = create_db_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A throw-away PostgreSQL database for this test run, migrated once."""
    if not POSTGRES_URL:
        pytest.skip("SIGHTLINE_TEST_POSTGRES_URL is not set")
    admin_url = normalise_url(POSTGRES_URL)
    name = f"sightline_test_{uuid.uuid4().hex[:12]}"
    admin = create_db_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = create_db_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _truncate_all(engine: Engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, fully migrated database on each configured backend."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "sightline.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_database")
    engine = create_db_engine(url)
    _truncate_all(engine)
    engine.dispose()
    yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def redactor() -> Redactor:
    return Redactor(default_region="GB", extra_regions=("US",))


@pytest.fixture
def workspace(session: Session, clock: FixedClock) -> Workspace:
    return ensure_workspace(
        session=session, clock=clock, platform=Platform.LOCAL, external_id="t1", name="Test Co"
    )


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """The `sightline` CLI's state reset to a fresh database, with no chat platform set."""
    from bot.cli.context import STATE

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SIGHTLINE_DATABASE_URL", database_url)
    for name in ("SIGHTLINE_WORKSPACE", "SLACK_BOT_TOKEN", "MICROSOFT_APP_ID"):
        monkeypatch.delenv(name, raising=False)
    STATE.database_url = None
    STATE._settings = None
    STATE._runtime = None
    yield
    if STATE._runtime is not None:
        STATE._runtime.engine.dispose()
    STATE._runtime = None
    STATE._settings = None
