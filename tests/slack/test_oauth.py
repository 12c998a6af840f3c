"""Multi-workspace OAuth install with slack_sdk's SQLAlchemy stores on our own tables."""

from __future__ import annotations

import asyncio
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session

from bot.secret_box import SecretBox
from tests.slack.conftest import SlackHarness
from tests.slack.test_capture import STORY, eventually_posted, stories

# slack_sdk's SQLAlchemy stores import sqlalchemy.ext.asyncio, which needs greenlet.
pytest.importorskip("greenlet")

TABLES = ("slack_installations", "slack_bots", "slack_oauth_states")
SECRET_KEY = "VGhpcyBpcyBhIHRlc3Qga2V5IGZvciBTaWdodGxpbmU="  # a Fernet key, for tests only


@pytest.fixture
def clean_oauth_tables(engine: Engine) -> None:
    # conftest truncates only SQLModel's tables between PostgreSQL tests.
    with engine.begin() as connection:
        for table in TABLES:
            connection.execute(text(f"DELETE FROM {table}"))


def test_migration_matches_the_stores_own_tables(engine: Engine) -> None:
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
    from sqlalchemy import MetaData

    metadata = MetaData()
    expected = [
        SQLAlchemyInstallationStore.build_installations_table(metadata, "slack_installations"),
        SQLAlchemyInstallationStore.build_bots_table(metadata, "slack_bots"),
        SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, "slack_oauth_states"),
    ]
    inspector = inspect(engine)
    for table in expected:
        actual = {c["name"]: c for c in inspector.get_columns(table.name)}
        assert set(actual) == {c.name for c in table.columns}, table.name
        for column in table.columns:
            assert actual[column.name]["nullable"] == column.nullable, (table.name, column.name)
            assert type(actual[column.name]["type"]).__name__ in _same_type(column.type), (
                table.name,
                column.name,
                actual[column.name]["type"],
            )
        indexes = {i["name"] for i in inspector.get_indexes(table.name)}
        assert {i.name for i in table.indexes} <= indexes


def _same_type(declared: object) -> set[str]:
    name = type(declared).__name__
    aliases = {
        "String": {"VARCHAR", "String"},
        "Integer": {"INTEGER", "Integer"},
        "Boolean": {"BOOLEAN", "Boolean"},
        "DateTime": {"DATETIME", "TIMESTAMP", "DateTime"},
    }
    return aliases.get(name, {name})


@pytest.mark.usefixtures("clean_oauth_tables")
async def test_install_stores_the_workspace_and_uninstall_forgets_it(
    make_harness: object, session: Session, engine: Engine
) -> None:
    slack: SlackHarness = await make_harness(  # type: ignore[operator]
        SLACK_BOT_TOKEN=None,
        SLACK_CLIENT_ID="1111.2222",
        SLACK_CLIENT_SECRET="client-secret",
        public_url="https://stories.acme.test",
        secret_key=SECRET_KEY,
    )
    assert slack.platform.mode == "oauth"

    install = await slack.http.get("/slack/install")
    assert install.status_code == 200
    link = re.search(r'href="([^"]+oauth/v2/authorize[^"]+)"', install.text)
    assert link is not None
    query = parse_qs(urlsplit(link.group(1).replace("&amp;", "&")).query)
    assert urlsplit(link.group(1)).netloc == urlsplit(slack.fake.url).netloc  # same host as API
    assert query["client_id"] == ["1111.2222"]
    assert set(query["scope"][0].split(",")) >= {"commands", "chat:write"}
    assert query["redirect_uri"] == ["https://stories.acme.test/slack/oauth_redirect"]
    state = query["state"][0]
    cookie = install.headers["set-cookie"].split(";")[0]
    with engine.connect() as connection:
        stored_state = connection.execute(text("SELECT state FROM slack_oauth_states")).scalar()
    assert stored_state == SecretBox([SECRET_KEY]).digest(state)  # a keyed hash, not the state

    done = await slack.http.get(
        "/slack/oauth_redirect",
        params={"code": "the-code", "state": state},
        headers={"Cookie": cookie},
    )
    assert done.status_code == 200, done.text
    [exchange] = slack.fake.calls_to("oauth.v2.access")
    assert exchange["code"] == "the-code"
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT team_id, bot_token, client_id FROM slack_installations")
        ).one()
        states = connection.execute(text("SELECT count(*) FROM slack_oauth_states")).scalar()
    team, sealed, client = tuple(row)
    assert (team, client) == ("T0SIGHT01", "1111.2222")
    assert "xoxb" not in sealed  # encrypted at rest
    assert SecretBox([SECRET_KEY]).decrypt(sealed) == "xoxb-T0SIGHT01-installed"
    assert states == 0  # a state is good for one use

    # A replayed callback (state already consumed) is refused and stores nothing new.
    replay = await slack.http.get(
        "/slack/oauth_redirect",
        params={"code": "again", "state": state},
        headers={"Cookie": cookie},
    )
    assert replay.status_code >= 400

    slack.fake.reset_calls()
    await slack.command(STORY)
    await slack.fake.wait_for("response_url")
    await eventually_posted(session)  # the stories-channel post is done too
    assert len(stories(session)) == 1
    assert {c.token for c in slack.fake.calls if c.method != "response_url"} == {
        "xoxb-T0SIGHT01-installed"
    }

    uninstalled = {
        "token": "x",
        "team_id": "T0SIGHT01",
        "api_app_id": "A0SIGHT01",
        "event": {"type": "app_uninstalled", "event_ts": "1790000500.000100"},
        "type": "event_callback",
        "event_id": "Ev0UNINST01",
        "event_time": 1790000500,
        "authorizations": [{"team_id": "T0SIGHT01", "user_id": "U0BOT0001", "is_bot": True}],
    }
    assert (await slack.event(uninstalled)).status_code == 200
    for _ in range(100):
        with engine.connect() as connection:
            left = connection.execute(text("SELECT count(*) FROM slack_installations")).scalar()
            bots = connection.execute(text("SELECT count(*) FROM slack_bots")).scalar()
        if left == 0 and bots == 0:
            break
        await asyncio.sleep(0.02)
    assert (left, bots) == (0, 0)

    slack.fake.reset_calls()
    refused = await slack.command(STORY + " Again.")
    assert refused.status_code in (200, 401)
    await asyncio.sleep(0.2)
    assert len(stories(session)) == 1
    # bolt tells the person to reinstall; nothing else reaches Slack.
    [told] = slack.fake.calls_to("response_url")
    assert "reinstall" in told["text"]
    assert [c.method for c in slack.fake.calls if c.method != "response_url"] == []


@pytest.mark.usefixtures("clean_oauth_tables")
async def test_unknown_workspace_is_refused_cleanly(make_harness: object, session: Session) -> None:
    slack: SlackHarness = await make_harness(  # type: ignore[operator]
        SLACK_BOT_TOKEN=None,
        SLACK_CLIENT_ID="1111.2222",
        SLACK_CLIENT_SECRET="s",
        secret_key=SECRET_KEY,
    )
    response = await slack.command(STORY)
    assert response.status_code < 500
    await asyncio.sleep(0.2)
    assert stories(session) == []
