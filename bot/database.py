"""Engine construction and schema migrations (Alembic)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

MIGRATIONS = Path(__file__).parent / "migrations"
IMMEDIATE = "sightline_begin_immediate"  # execution option read by _begin on SQLite


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs, as operators usually write them."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


CONNECT_TIMEOUT_SECONDS = 10
STATEMENT_TIMEOUT_SECONDS = 30


def create_db_engine(
    url: str,
    *,
    echo: bool = False,
    connect_timeout: int = CONNECT_TIMEOUT_SECONDS,
    statement_timeout: int = STATEMENT_TIMEOUT_SECONDS,
) -> Engine:
    """Build an engine; SQLite gets WAL, foreign keys and a busy timeout.

    Statement parameters never reach logs or exception messages (``hide_parameters``): they
    hold story text, answers and tokens.

    Args:
        url: SQLAlchemy URL. A SQLite file's folder is created on first use.
        echo: log SQL statements.
        connect_timeout: seconds to wait for a PostgreSQL connection (and for a pooled
            connection to come free).
        statement_timeout: PostgreSQL ``statement_timeout`` in seconds (0: none); on SQLite,
            how long a statement waits for another writer's lock.
    """
    url = normalise_url(url)
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
        if in_memory:
            kwargs["poolclass"] = StaticPool
        else:
            Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
        busy = statement_timeout or 30
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": busy}
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas(wal=not in_memory, busy_seconds=busy))
        event.listen(engine, "begin", _begin)
        return engine
    kwargs["pool_pre_ping"] = True
    kwargs["pool_timeout"] = connect_timeout
    kwargs["connect_args"] = {
        "connect_timeout": connect_timeout,
        "options": f"-c statement_timeout={statement_timeout * 1000}",
    }
    engine = create_engine(url, **kwargs)
    event.listen(engine, "handle_error", _without_row_details)
    return engine


def _without_row_details(context: Any) -> None:
    """Drop PostgreSQL's DETAIL line from errors: "Failing row contains (…)" and "Key (…)=(…)"
    quote the row's values (story text, user ids), which hide_parameters cannot reach."""
    original = context.original_exception
    diag = getattr(original, "diag", None)
    primary = getattr(diag, "message_primary", None)
    if not primary or not getattr(diag, "message_detail", None):
        return
    original.args = (primary,)
    wrapped = context.sqlalchemy_exception
    if wrapped is not None and wrapped.args:
        kind = f"({type(original).__module__}.{type(original).__name__})"
        wrapped.args = (f"{kind} {primary}", *wrapped.args[1:])


def _sqlite_pragmas(*, wal: bool, busy_seconds: int = 30) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted rows are overwritten, not left in free pages: erased and purged text is gone.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_seconds * 1000}")
        cursor.close()

    return on_connect


def _begin(connection: Any) -> None:
    dbapi_connection = connection.connection.dbapi_connection
    options = connection.get_execution_options()
    if options.get(IMMEDIATE) and options.get("isolation_level") != "AUTOCOMMIT":
        # A deferred transaction that reads and then writes fails at once with "database is
        # locked" when another writer got in between (the busy timeout cannot help it), and
        # the sqlite3 module does not put SAVEPOINTs inside a transaction. Taking the write
        # lock at BEGIN makes concurrent writers queue on the busy timeout instead.
        dbapi_connection.isolation_level = None
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        dbapi_connection.isolation_level = ""  # the sqlite3 module's own deferred mode


def for_services(engine: Engine) -> Engine:
    """The engine services write through: on SQLite, transactions take the write lock first.

    Readers that only look (tests, reports) keep the plain engine, so they never hold the
    write lock while the application works.
    """
    return engine.execution_options(**{IMMEDIATE: True})


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema up to ``revision`` (every newest revision by default)."""
    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """The revision(s) the database is at, comma-separated; None when empty."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
    return ",".join(sorted(heads)) or None


def head_revision(engine: Engine) -> str | None:
    """The newest revision(s) the code knows, comma-separated."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config(engine)).get_heads()
    return ",".join(sorted(heads)) or None
