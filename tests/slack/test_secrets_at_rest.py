"""Slack tokens at rest: encrypted with SIGHTLINE_SECRET_KEY, rotated by `sightline secrets
rotate`, OAuth state kept as a keyed hash, and single-token mode's token never stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, text
from sqlmodel import Session
from typer.testing import CliRunner

from bot.app import build_sightline
from bot.cli import app
from bot.secret_box import SecretBox
from bot.settings import SettingsError, load_settings
from stories.clock import FixedClock
from tests.slack.conftest import BOT_TOKEN, SlackHarness
from tests.slack.test_capture import STORY, eventually_posted
from tests.stored_bytes import sqlite_bytes

pytest.importorskip("greenlet")
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import (
    SQLAlchemyInstallationStore,
)

from bot.slack.sealed import SealedInstallationStore

OLD, NEW, OTHER = (Fernet.generate_key().decode() for _ in range(3))
runner = CliRunner()


@pytest.fixture(autouse=True)
def clean_oauth_tables(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in ("slack_installations", "slack_bots", "slack_oauth_states"):
            connection.execute(text(f"DELETE FROM {table}"))


def _installation(team: str, *, user_token: str | None = None) -> Installation:
    return Installation(
        app_id="A0SIGHT01",
        team_id=team,
        team_name=f"Team {team}",
        bot_token=f"xoxb-{team}-bot",
        bot_id="B1",
        bot_user_id="U0BOT0001",
        bot_scopes="commands,chat:write",
        bot_refresh_token=f"xoxe-1-{team}-refresh",
        user_id="U0INSTALLER",
        user_token=user_token,
        installed_at=datetime(2026, 11, 1, tzinfo=UTC).timestamp(),
    )


def _raw_tokens(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        rows = [
            *connection.execute(
                text(
                    "SELECT bot_token, bot_refresh_token, user_token, user_refresh_token "
                    "FROM slack_installations"
                )
            ),
            *connection.execute(text("SELECT bot_token, bot_refresh_token FROM slack_bots")),
        ]
    return [value for row in rows for value in row if value is not None]


def test_tokens_are_encrypted_in_the_tables_and_read_back_in_plain(engine: Engine) -> None:
    store = SealedInstallationStore(client_id="1.2", engine=engine, box=SecretBox([NEW]))
    store.save(_installation("T1", user_token="xoxp-T1-user"))

    raw = _raw_tokens(engine)
    assert len(raw) == 5  # bot, refresh and user tokens; the bot row's bot and refresh tokens
    assert not any("xox" in value for value in raw)
    found = store.find_installation(enterprise_id=None, team_id="T1")
    assert found is not None
    assert (found.bot_token, found.user_token, found.bot_refresh_token) == (
        "xoxb-T1-bot",
        "xoxp-T1-user",
        "xoxe-1-T1-refresh",
    )
    bot = store.find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None
    assert bot.bot_token == "xoxb-T1-bot"


def test_a_token_stored_before_encryption_is_still_read(engine: Engine) -> None:
    SQLAlchemyInstallationStore(client_id="1.2", engine=engine).save(_installation("T2"))
    store = SealedInstallationStore(client_id="1.2", engine=engine, box=SecretBox([NEW]))
    found = store.find_bot(enterprise_id=None, team_id="T2")
    assert found is not None
    assert found.bot_token == "xoxb-T2-bot"


@pytest.mark.usefixtures("cli")
def test_rotate_re_encrypts_with_the_newest_key_and_encrypts_plain_ones(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    SealedInstallationStore(client_id="1.2", engine=engine, box=SecretBox([OLD])).save(
        _installation("T1", user_token="xoxp-T1-user")
    )
    SQLAlchemyInstallationStore(client_id="1.2", engine=engine).save(_installation("T2"))
    monkeypatch.setenv("SIGHTLINE_SECRET_KEY", f"{NEW},{OLD}")

    result = runner.invoke(app, ["secrets", "rotate", "--json"], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"rotated": {"slack_installations": 5, "slack_bots": 4}}
    only_new = SecretBox([NEW])
    assert sorted(only_new.decrypt(value) for value in _raw_tokens(engine)) == sorted(
        [
            "xoxb-T1-bot", "xoxe-1-T1-refresh", "xoxp-T1-user", "xoxb-T1-bot", "xoxe-1-T1-refresh",
            "xoxb-T2-bot", "xoxe-1-T2-refresh", "xoxb-T2-bot", "xoxe-1-T2-refresh",
        ]
    )  # fmt: skip
    assert not any(value.startswith("xox") for value in _raw_tokens(engine))


@pytest.mark.usefixtures("cli")
def test_rotate_without_the_old_key_changes_nothing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    SealedInstallationStore(client_id="1.2", engine=engine, box=SecretBox([OLD])).save(
        _installation("T1")
    )
    before = _raw_tokens(engine)
    monkeypatch.setenv("SIGHTLINE_SECRET_KEY", OTHER)

    result = runner.invoke(app, ["secrets", "rotate"])

    assert result.exit_code != 0
    assert "not in SIGHTLINE_SECRET_KEY" in str(result.exception)
    assert _raw_tokens(engine) == before


def test_generate_key_prints_a_usable_key() -> None:
    result = runner.invoke(app, ["secrets", "generate-key"], catch_exceptions=False)
    key = result.stdout.strip()
    assert SecretBox([key]).decrypt(SecretBox([key]).encrypt("xoxb-1")) == "xoxb-1"


@pytest.mark.parametrize("value", ["not-a-key", f"{NEW},short", " , "])
def test_a_malformed_key_is_refused_with_one_line(value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(_env_file=None, secret_key=value)
    message = str(raised.value)
    assert message.startswith("Setting SIGHTLINE_SECRET_KEY is invalid")
    assert "\n" not in message
    assert "generate-key" in message


def test_oauth_mode_without_a_key_refuses_to_start_with_one_line(
    database_url: str, engine: Engine, clock: FixedClock
) -> None:
    settings = load_settings(
        _env_file=None,
        database_url=database_url,
        SLACK_CLIENT_ID="1.2",
        SLACK_CLIENT_SECRET="c",
        SLACK_SIGNING_SECRET="s",
    )
    with pytest.raises(SettingsError) as raised:
        build_sightline(settings, engine=engine, clock=clock)
    assert "\n" not in str(raised.value)
    assert str(raised.value).startswith("Setting SIGHTLINE_SECRET_KEY is missing")


async def test_single_token_mode_keeps_the_token_in_the_environment_only(
    make_harness: Any, engine: Engine, session: Session, database_url: str
) -> None:
    slack: SlackHarness = await make_harness()
    await slack.command(STORY)
    await slack.fake.wait_for("response_url")
    await eventually_posted(session)
    session.close()
    assert _raw_tokens(engine) == []
    if database_url.startswith("sqlite"):
        engine.dispose()  # checkpoint the WAL into the file
        assert BOT_TOKEN.encode() not in sqlite_bytes(database_url)
