"""The Teams endpoint over real HTTP, replying through a fake Bot Connector."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from aiohttp import web
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.app import Sightline, build_sightline
from bot.runtime import Runtime
from bot.settings import Settings, load_settings
from stories.clock import FixedClock
from stories.models import Engagement, Platform, SourceKind, Story, Workspace
from tests.fakes.bot_connector import FakeBotConnector

TENANT = "tenant-1"
_ids = itertools.count(1)


@dataclass
class Harness:
    url: str
    sightline: Sightline  # the whole app, as `sightline serve` builds it
    connector: FakeBotConnector
    engine: Engine

    @property
    def runtime(self) -> Runtime:
        return self.sightline.runtime

    def activity(self, **fields: Any) -> dict[str, Any]:
        """A message in Ada's personal chat with the bot, unless ``fields`` say otherwise."""
        base: dict[str, Any] = {
            "type": "message",
            "id": f"act-{next(_ids)}",
            "channelId": "msteams",
            "serviceUrl": self.connector.url,
            "from": {"id": "29:user", "name": "Ada", "aadObjectId": "aad-ada"},
            "recipient": {"id": "28:bot", "name": "Sightline"},
            "conversation": {"id": "conv-1", "tenantId": TENANT, "conversationType": "personal"},
            "channelData": {"tenant": {"id": TENANT}},
        }
        base.update(fields)
        return base

    async def post(self, activity: dict[str, Any]) -> httpx.Response:
        async with httpx.AsyncClient() as client:
            return await client.post(f"{self.url}/api/messages", json=activity)


def teams_settings(**extra: Any) -> Settings:
    """Teams in local (anonymous) mode; tests run prompt sweeps themselves, not on a timer."""
    values: dict[str, Any] = {"_env_file": None, "teams_allow_anonymous": True}
    values["prompts_enabled"] = False
    values.update(extra)
    return load_settings(**values)


@asynccontextmanager
async def serve_teams(
    settings: Settings, engine: Engine, clock: FixedClock
) -> AsyncIterator[Harness]:
    """The whole app on a local port, replying through a fake Bot Connector."""
    sightline = build_sightline(settings, engine=engine, clock=clock)
    async with FakeBotConnector() as connector:
        runner = web.AppRunner(sightline.web_app())
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            yield Harness(f"http://127.0.0.1:{port}", sightline, connector, engine)
        finally:
            await runner.cleanup()


@pytest.fixture
async def teams(engine: Engine, clock: FixedClock) -> AsyncIterator[Harness]:
    async with serve_teams(teams_settings(), engine, clock) as harness:
        yield harness


def _card(call: Any) -> dict[str, Any]:
    attachment = call.body["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    return dict(attachment["content"])


async def test_story_message_is_captured_and_answered_with_a_card(teams: Harness) -> None:
    response = await teams.post(teams.activity(text="story The invoice export saved her a day"))
    assert response.status_code in (200, 201)
    assert len(teams.connector.replies) == 1
    card = _card(teams.connector.replies[0])
    assert "The invoice export saved her a day" in str(card["body"])
    with Session(teams.engine) as session:
        story = session.exec(select(Story)).one()
        workspace = session.get(Workspace, story.workspace_id)
    assert workspace is not None
    assert workspace.platform == Platform.TEAMS
    assert workspace.external_id == TENANT
    assert story.source_kind == SourceKind.TEAMS_MESSAGE


async def test_resonates_counts_once_per_person(teams: Harness) -> None:
    await teams.post(teams.activity(text="story Support called back within the hour"))
    story_id = _card(teams.connector.replies[0])["actions"][0]["data"]["story_id"]
    for _ in range(2):
        await teams.post(
            teams.activity(
                text=None,
                replyToId="reply-1",
                value={"sightline": "resonate", "story_id": story_id},
            )
        )
    assert len(teams.connector.updates) == 2
    assert "1 resonate" in str(_card(teams.connector.updates[-1])["body"])
    with Session(teams.engine) as session:
        assert len(session.exec(select(Engagement)).all()) == 1


async def test_help_and_unknown_text_show_help(teams: Harness) -> None:
    await teams.post(teams.activity(text="hello"))
    assert "search <words>" in str(_card(teams.connector.replies[0]))


async def test_message_extension_fetch_and_submit(teams: Harness) -> None:
    fetch = await teams.post(
        teams.activity(
            type="invoke",
            name="composeExtension/fetchTask",
            value={
                "commandId": "saveStory",
                "commandContext": "message",
                "messagePayload": {"body": {"content": "Loved the onboarding call"}},
            },
        )
    )
    assert fetch.status_code == 200
    form = fetch.json()["task"]["value"]["card"]["content"]
    inputs = {e["id"]: e for e in form["body"] if "id" in e}
    assert inputs["text"]["value"] == "Loved the onboarding call"
    submit = await teams.post(
        teams.activity(
            type="invoke",
            name="composeExtension/submitAction",
            value={
                "commandId": "saveStory",
                "data": {"text": "Loved the onboarding call", "customer_label": "Acme"},
            },
        )
    )
    assert submit.status_code == 200
    with Session(teams.engine) as session:
        story = session.exec(select(Story)).one()
    assert story.source_kind == SourceKind.TEAMS_EXTENSION
    assert story.customer_label == "Acme"


async def test_invoke_body_is_serialised_once_without_the_workaround_it_fails() -> None:
    """botbuilder 4.17.1 serialises invoke bodies twice; our bot keeps the model for the adapter."""
    from botbuilder.core import ActivityHandler
    from botbuilder.core.serializer_helper import serializer_helper
    from botbuilder.schema.teams import MessagingExtensionActionResponse

    from handlers.teams.bot import SightlineTeamsBot

    body = MessagingExtensionActionResponse()
    stock = ActivityHandler._create_invoke_response(body)
    with pytest.raises(AttributeError):
        serializer_helper(stock.body)  # what CloudAdapter.process does: the SDK bug
    fixed = SightlineTeamsBot._create_invoke_response(body)
    assert serializer_helper(fixed.body) == {}


@pytest.mark.parametrize("header", [None, "Bearer garbage", "Basic abc"])
async def test_authenticated_mode_rejects_bad_tokens_with_401(
    engine: Engine, clock: FixedClock, header: str | None
) -> None:
    settings = load_settings(
        _env_file=None,
        MICROSOFT_APP_ID="app-id-1",
        MICROSOFT_APP_PASSWORD="secret",
        MICROSOFT_APP_TENANT_ID="tenant-1",
    )
    sightline = build_sightline(settings, engine=engine, clock=clock)
    async with FakeBotConnector() as connector:
        runner = web.AppRunner(sightline.web_app())
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        harness = Harness(f"http://127.0.0.1:{port}", sightline, connector, engine)
        headers = {"Authorization": header} if header else {}
        async with httpx.AsyncClient() as client:
            response = await client.post(
                f"{harness.url}/api/messages",
                json=harness.activity(text="story should never be stored"),
                headers=headers,
                timeout=20,
            )
        await runner.cleanup()
    assert response.status_code == 401
    assert connector.calls == []


async def test_channel_stories_are_shared_and_chat_stories_stay_private(teams: Harness) -> None:
    await teams.post(
        teams.activity(text="story A private chat story about a refund that never came")
    )
    grace = {"id": "29:grace", "name": "Grace", "aadObjectId": "aad-grace"}
    grace_chat = {"id": "conv-grace", "tenantId": TENANT, "conversationType": "personal"}
    await teams.post(teams.activity(text="random", conversation=grace_chat, **{"from": grace}))
    assert "No stories yet" in str(_card(teams.connector.replies[-1])["body"])
    channel = {"id": "19:finance@thread.tacv2", "tenantId": TENANT, "conversationType": "channel"}
    await teams.post(
        teams.activity(text="story A channel story about a late parcel", conversation=channel)
    )
    await teams.post(teams.activity(text="random", conversation=grace_chat, **{"from": grace}))
    assert "late parcel" in str(_card(teams.connector.replies[-1])["body"])
    with Session(teams.engine) as session:
        shared = {s.text: (s.shared, s.channel_private) for s in session.exec(select(Story))}
    assert shared == {
        "A private chat story about a refund that never came": (False, True),
        "A channel story about a late parcel": (True, False),
    }
