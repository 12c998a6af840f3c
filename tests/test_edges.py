"""Loose edges: database timeouts and hidden parameters, SDK log levels, every `--json`
command on an empty database, and anonymous Teams kept to the loopback address."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from typer.testing import CliRunner

from bot.cli import app
from bot.cli.serve import is_loopback
from bot.database import create_db_engine
from bot.logs import configure_logging
from bot.settings import load_settings
from stories.errors import NoWorkspaceError

runner = CliRunner()
SDK_LOGGERS = ("slack_sdk", "slack_bolt", "botbuilder", "sqlalchemy.engine", "aiohttp.client")


def test_statement_parameters_never_reach_the_error_text(engine: Engine) -> None:
    """Story text travels as a parameter; an error about the statement must not quote it."""
    secret = "Ana's refund story, redacted but still private"
    with pytest.raises(IntegrityError) as raised, engine.begin() as connection:
        connection.execute(
            text("INSERT INTO story (id, text) VALUES (:id, :text)"), {"id": 1, "text": secret}
        )
    assert secret not in str(raised.value)
    assert "hidden due to hide_parameters" in str(raised.value)


def test_postgres_cancels_a_statement_after_the_statement_timeout(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no statement timeout; it waits for locks (busy timeout)")
    engine = create_db_engine(database_url, statement_timeout=1)
    try:
        with pytest.raises(DBAPIError, match="statement timeout"), engine.connect() as connection:
            connection.execute(text("SELECT pg_sleep(3)"))
        with engine.connect() as connection:  # the connection is usable again
            assert connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


def test_sqlite_waits_for_locks_as_long_as_the_statement_timeout(database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL: see the statement timeout test")
    engine = create_db_engine(database_url, statement_timeout=7)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 7000
    finally:
        engine.dispose()


def test_postgres_connect_gives_up_after_the_connect_timeout() -> None:
    """A server that accepts TCP and never speaks: connecting fails instead of hanging."""
    import socket

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        engine = create_db_engine(f"postgresql://nobody@127.0.0.1:{port}/none", connect_timeout=1)
        try:
            with pytest.raises(DBAPIError, match="timeout"), engine.connect():
                pass
        finally:
            engine.dispose()


@pytest.fixture
def restore_logging() -> Iterator[None]:
    names = ("", *SDK_LOGGERS, "bot", "handlers", "stories", "sightline")
    saved = {name: logging.getLogger(name).level for name in names}
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.usefixtures("restore_logging")
def test_debug_logging_keeps_the_sdks_at_info() -> None:
    configure_logging(load_settings(_env_file=None, log_level="DEBUG"))
    assert logging.getLogger("bot.slack.oauth").getEffectiveLevel() == logging.DEBUG
    assert logging.getLogger("stories.capture").getEffectiveLevel() == logging.DEBUG
    for name in SDK_LOGGERS:
        assert logging.getLogger(name).getEffectiveLevel() >= logging.INFO, name


@pytest.mark.usefixtures("restore_logging")
def test_sdk_debug_logging_is_a_deliberate_second_switch() -> None:
    configure_logging(load_settings(_env_file=None, log_level="DEBUG", log_sdk_debug=True))
    for name in ("slack_sdk", "slack_bolt", "botbuilder", "aiohttp.client"):
        assert logging.getLogger(name).getEffectiveLevel() == logging.DEBUG, name


@pytest.mark.usefixtures("restore_logging")
def test_a_quieter_level_applies_to_everyone() -> None:
    configure_logging(load_settings(_env_file=None, log_level="WARNING"))
    assert logging.getLogger("slack_sdk").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("bot").getEffectiveLevel() == logging.WARNING


JSON_LISTINGS = [
    (("stories", "list"), "stories"),
    (("stories", "search", "refund"), "stories"),
    (("departments", "list"), "departments"),
    (("prompts", "deliveries"), "deliveries"),
    (("summary",), "stories"),
]


@pytest.mark.usefixtures("cli")
@pytest.mark.parametrize(("args", "key"), JSON_LISTINGS, ids=lambda a: " ".join(a))
def test_every_json_listing_prints_json_and_exits_0_on_an_empty_database(
    args: tuple[str, ...], key: str
) -> None:
    result = runner.invoke(app, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert key in payload
    if isinstance(payload[key], list):
        assert payload[key] == []
    # Nothing was created by asking.
    again = runner.invoke(app, ["stories", "list"])
    assert isinstance(again.exception, NoWorkspaceError)


@pytest.mark.usefixtures("cli")
def test_an_empty_summary_counts_zero_everywhere() -> None:
    result = runner.invoke(app, ["summary", "--json"], catch_exceptions=False)
    payload = json.loads(result.stdout)
    assert payload["stories"]["value"] == 0
    assert payload["prompts_sent"]["value"] == 0


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.1.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),  # noqa: S104
        ("::", False),
        ("192.168.1.20", False),
        ("sightline.example.com", False),
    ],
)
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.usefixtures("cli")
def test_anonymous_teams_refuses_to_serve_beyond_the_loopback_address(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SIGHTLINE_TEAMS_ALLOW_ANONYMOUS", "true")
    monkeypatch.delenv("MICROSOFT_APP_ID", raising=False)
    from bot.cli import main

    monkeypatch.setattr("sys.argv", ["sightline", "serve", "--host", "0.0.0.0"])  # noqa: S104
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    said = capsys.readouterr().err.strip()
    assert said.count("\n") == 0  # one clear line
    assert "loopback" in said
    assert "0.0.0.0" in said  # noqa: S104
