"""Where the durable inbox (stories/inbox.py) is kept.

On PostgreSQL, and on an in-memory SQLite database, in the main database (table
``inboxitem``, migration 0013): row locks let the record before an acknowledgement proceed
beside the listeners' writes.

On a SQLite file, in a file of its own beside the main one (``sightline.db`` ->
``sightline-inbox.db``). SQLite has one write lock per file, and the record before every
Slack acknowledgement would otherwise wait for it behind the listeners' captures: at
100 requests/s that wait made the ack p99 2.1 s (BENCHMARKS.md). Its own file has its own
lock, taken only by the inbox's short writes. Nothing needs both files in one transaction:
the record, the listener's work and the closing write were already separate transactions,
and a replay after the work was stored stores nothing twice (capture is idempotent by
source). Every process that opens the same main file derives the same inbox file, so
replicas on one machine still share one record per key (its unique constraint) and replay
each other's leftovers. The file gets the main database's pragmas (WAL: a commit survives
SIGKILL; ``secure_delete``: a cleared body is overwritten).

The inbox file's schema is created here, not by Alembic: it holds one table of requests in
flight. ``PRAGMA user_version`` records its version; a later change to the table adds its
step to ``_STEPS`` (run in order, under the write lock, so replicas starting together do
not race).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import URL, make_url

from bot.database import create_db_engine, for_services, normalise_url
from stories.models import InboxItem


def _create_table(connection: Connection) -> None:
    InboxItem.__table__.create(connection, checkfirst=True)  # type: ignore[attr-defined]


_STEPS: tuple[Callable[[Connection], None], ...] = (_create_table,)  # version n = _STEPS[:n]


def inbox_url(engine: Engine) -> URL | None:
    """The inbox's own SQLite file for a main SQLite file; None: the inbox is in ``engine``."""
    url = make_url(normalise_url(engine.url.render_as_string(hide_password=False)))
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    if database.startswith("file:") or url.query.get("mode") == "memory":
        return None  # a URI name (shared memory and the like): keep it whole
    path = Path(database)
    return url.set(database=str(path.with_name(f"{path.stem}-inbox{path.suffix}")))


def open_inbox_engine(engine: Engine) -> Engine:
    """The engine the inbox writes through, its schema ready; ``engine`` itself unless the
    main database is a SQLite file (see the module's docstring)."""
    url = inbox_url(engine)
    if url is None:
        return engine
    own = create_db_engine(url.render_as_string(hide_password=False))
    try:
        _migrate(own)
    except BaseException:
        own.dispose()
        raise
    return own


def _migrate(engine: Engine) -> None:
    with for_services(engine).begin() as connection:  # BEGIN IMMEDIATE: one at a time
        version = int(connection.exec_driver_sql("PRAGMA user_version").scalar_one())
        if version > len(_STEPS):
            raise RuntimeError(
                f"the inbox file {engine.url.database} is from a newer Sightline "
                f"(version {version}); upgrade this one"
            )
        for step in _STEPS[version:]:
            step(connection)
        if version < len(_STEPS):
            connection.exec_driver_sql(f"PRAGMA user_version = {len(_STEPS)}")
