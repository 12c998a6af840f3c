"""The Slack app under test: real AsyncApp behind the real aiohttp server, signed requests,
and a fake Slack Web API server on another local port."""

from __future__ import annotations

import copy
import itertools
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from aiohttp import web
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine

from bot.app import Sightline, build_sightline
from bot.runtime import Runtime
from bot.settings import Settings, load_settings
from bot.slack import SlackPlatform
from stories.clock import FixedClock
from tests.fakes.slack_api import FakeSlackAPI

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-T0SIGHT01-test"
STORIES_CHANNEL = "C0STORIES"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "slack"


def fixture(name: str) -> dict[str, Any]:
    """A fresh copy of a real-shaped Slack payload from tests/fixtures/slack/."""
    return copy.deepcopy(json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8")))


def sign(
    body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """Headers Slack sends: the v0 HMAC signature over ``v0:{timestamp}:{body}``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


_triggers = itertools.count(13345224609)


@dataclass
class SlackHarness:
    http: httpx.AsyncClient
    fake: FakeSlackAPI
    sightline: Sightline  # the whole app, as `sightline serve` builds it

    @property
    def runtime(self) -> Runtime:
        return self.sightline.runtime

    @property
    def platform(self) -> SlackPlatform:
        platform = self.sightline.platforms[0]
        assert isinstance(platform, SlackPlatform)
        return platform

    async def post(self, body: str, content_type: str, **sign_args: Any) -> httpx.Response:
        headers = {"Content-Type": content_type, **sign(body, **sign_args)}
        return await self.http.post("/slack/events", content=body, headers=headers)

    async def command(
        self,
        text: str,
        *,
        user: str = "U0ALICE01",
        channel: str = "C0PUBLIC1",
        channel_name: str = "support",
        response_key: str = "r1",
        trigger_id: str | None = None,
    ) -> httpx.Response:
        """`/story <text>` as Slack sends it: every invocation has its own trigger id."""
        payload = fixture("slash_command")
        payload.update(
            trigger_id=trigger_id or f"{next(_triggers)}.738474920.8088930838d88f008e0",
            text=text,
            user_id=user,
            channel_id=channel,
            channel_name=channel_name,
            response_url=self.fake.response_url(response_key),
        )
        return await self.post(urlencode(payload), "application/x-www-form-urlencoded")

    async def cx(self, text: str, *, user: str, key: str) -> dict[str, Any]:
        """Send `/cx <text>` as ``user`` and return what came back on its response_url."""
        payload = fixture("slash_command")
        payload.update(
            command="/cx", text=text, user_id=user, response_url=self.fake.response_url(key)
        )
        count = len(self.fake.calls_to("response_url")) + 1
        response = await self.post(urlencode(payload), "application/x-www-form-urlencoded")
        assert response.status_code == 200
        calls = await self.fake.wait_for("response_url", count)
        return calls[-1].json or {}

    async def interaction(self, payload: dict[str, Any]) -> httpx.Response:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded")

    async def event(self, payload: dict[str, Any], *, retry: int | None = None) -> httpx.Response:
        body = json.dumps(payload)
        headers = {"Content-Type": "application/json", **sign(body)}
        if retry is not None:
            headers.update(
                {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
            )
        return await self.http.post("/slack/events", content=body, headers=headers)


def slack_settings(database_url: str, fake: FakeSlackAPI, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "slack_api_url": fake.url,
        "slack_stories_channel": STORIES_CHANNEL,
        # Tests run sweeps themselves (harness.sightline.scheduler) rather than on a timer.
        "prompts_enabled": False,
        "_env_file": None,
    }
    values.update(extra)
    return load_settings(**values)


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlackAPI]:
    async with FakeSlackAPI() as fake:
        yield fake


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


HarnessFactory = Callable[..., Any]


@pytest.fixture
async def make_harness(
    database_url: str, engine: Engine, clock: FixedClock, fake_slack: FakeSlackAPI
) -> AsyncIterator[HarnessFactory]:
    """Build the server with settings overrides; everything is torn down after the test."""
    runners: list[web.AppRunner] = []
    clients: list[httpx.AsyncClient] = []

    async def make(**extra: Any) -> SlackHarness:
        settings = slack_settings(database_url, fake_slack, **extra)
        sightline = build_sightline(settings, engine=engine, clock=clock)
        runner, base = await _serve(sightline.web_app())
        runners.append(runner)
        http = httpx.AsyncClient(base_url=base, timeout=10)
        clients.append(http)
        return SlackHarness(http, fake_slack, sightline)

    yield make
    for http in clients:
        await http.aclose()
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
async def slack(make_harness: HarnessFactory) -> SlackHarness:
    harness: SlackHarness = await make_harness()
    return harness
