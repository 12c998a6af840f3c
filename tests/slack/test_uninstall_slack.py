"""Slack uninstall and token revocation through the real endpoint: the workspace goes
inactive at once, later requests are refused politely (never a 5xx) and store nothing, and
an OAuth reinstall brings it back with its data."""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from stories.models import Workspace, WorkspaceRemoval
from tests.fakes.slack_api import TEAM_ID
from tests.slack.conftest import SlackHarness
from tests.slack.test_capture import STORY, stories

pytest.importorskip("greenlet")
SECRET_KEY = "VGhpcyBpcyBhIHRlc3Qga2V5IGZvciBTaWdodGxpbmU="


def _event(kind: str, event_id: str, **event: Any) -> dict[str, Any]:
    return {
        "token": "x",
        "team_id": TEAM_ID,
        "api_app_id": "A0SIGHT01",
        "event": {"type": kind, "event_ts": "1790000500.000100", **event},
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1790000500,
        "authorizations": [{"team_id": TEAM_ID, "user_id": "U0BOT0001", "is_bot": True}],
    }


async def _active(session: Session, want: bool) -> Workspace:
    """The workspace once its state is ``want`` (the event's work runs after Slack's ack)."""
    for _ in range(200):
        session.expire_all()
        found = session.exec(select(Workspace).where(Workspace.external_id == TEAM_ID)).one()
        session.commit()
        if found.active is want:
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"the workspace never became {'active' if want else 'inactive'}")


async def test_uninstall_makes_the_workspace_inactive_and_later_stories_are_refused(
    slack: SlackHarness, session: Session
) -> None:
    await slack.command(STORY)
    await slack.fake.wait_for("response_url")
    assert len(stories(session)) == 1

    assert (await slack.event(_event("app_uninstalled", "Ev0UNINST01"))).status_code == 200
    await _active(session, False)
    removal = session.exec(select(WorkspaceRemoval)).one()
    assert removal.reason == "app_uninstalled"

    slack.fake.reset_calls()
    response = await slack.command(STORY + " Told after the uninstall.", response_key="late")
    assert response.status_code == 200
    [told] = await slack.fake.wait_for("response_url")
    assert "removed from this workspace" in str(told.json)
    assert len(stories(session)) == 1  # nothing stored
    posted = [c.method for c in slack.fake.calls if c.method not in ("response_url",)]
    assert "chat.postMessage" not in posted


async def test_revoking_only_user_tokens_keeps_the_workspace(
    slack: SlackHarness, session: Session
) -> None:
    await slack.command(STORY)
    await slack.fake.wait_for("response_url")
    user_only = _event("tokens_revoked", "Ev0REVOKE1", tokens={"oauth": ["U0ALICE01"]})
    assert (await slack.event(user_only)).status_code == 200
    await slack.platform.listeners.drain()  # its work is done
    assert (await _active(session, True)).active
    bot = _event("tokens_revoked", "Ev0REVOKE2", tokens={"bot": ["U0BOT0001"]})
    assert (await slack.event(bot)).status_code == 200
    await _active(session, False)  # only the bot token's revocation removed it
    assert session.exec(select(WorkspaceRemoval)).one().reason == "tokens_revoked"


async def _install(slack: SlackHarness) -> None:
    install = await slack.http.get("/slack/install")
    link = re.search(r'href="([^"]+oauth/v2/authorize[^"]+)"', install.text)
    assert link is not None
    state = parse_qs(urlsplit(link.group(1).replace("&amp;", "&")).query)["state"][0]
    cookie = install.headers["set-cookie"].split(";")[0]
    done = await slack.http.get(
        "/slack/oauth_redirect",
        params={"code": "the-code", "state": state},
        headers={"Cookie": cookie},
    )
    assert done.status_code == 200, done.text


async def test_oauth_uninstall_deletes_tokens_and_a_reinstall_brings_the_workspace_back(
    make_harness: Any, session: Session, engine: Engine
) -> None:
    with engine.begin() as connection:
        for table in ("slack_installations", "slack_bots", "slack_oauth_states"):
            connection.execute(text(f"DELETE FROM {table}"))
    slack: SlackHarness = await make_harness(
        SLACK_BOT_TOKEN=None,
        SLACK_CLIENT_ID="1111.2222",
        SLACK_CLIENT_SECRET="client-secret",
        public_url="https://stories.acme.test",
        secret_key=SECRET_KEY,
    )
    await _install(slack)
    await slack.command(STORY)
    await slack.fake.wait_for("response_url")
    assert len(stories(session)) == 1

    assert (await slack.event(_event("app_uninstalled", "Ev0UNINST02"))).status_code == 200
    await _active(session, False)
    with engine.connect() as connection:
        tokens = connection.execute(text("SELECT count(*) FROM slack_bots")).scalar()
    assert tokens == 0

    await _install(slack)
    await _active(session, True)
    session.expire_all()
    assert session.exec(select(WorkspaceRemoval)).all() == []
    assert len(stories(session)) == 1  # the data stayed through the grace period
