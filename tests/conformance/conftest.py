"""One fixture, two platforms: every scenario here runs once through Slack and once through
Teams, each served by the whole app (`build_sightline`) on a real local port."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web
from sqlalchemy import Engine

from bot.app import build_sightline
from stories.clock import FixedClock
from tests.conformance.drivers import LEAD, TEAMS_STORIES, Driver, SlackDriver, TeamsDriver
from tests.fakes.slack_api import FakeSlackAPI
from tests.slack.conftest import SlackHarness, slack_settings
from tests.teams.test_teams_bot import serve_teams, teams_settings


@pytest.fixture(params=["slack", "teams"])
async def chat(
    request: pytest.FixtureRequest, database_url: str, engine: Engine, clock: FixedClock
) -> AsyncIterator[Driver]:
    if request.param == "teams":
        settings = teams_settings(
            teams_cx_leads=[f"aad-{LEAD}"], teams_stories_conversation=TEAMS_STORIES
        )
        async with serve_teams(settings, engine, clock) as harness:
            driver = TeamsDriver(harness, engine, clock)
            await driver.start()
            yield driver
        return
    async with FakeSlackAPI() as fake:
        settings = slack_settings(
            database_url, fake, cx_leads=SlackDriver.uid(LEAD), slack_admins_are_cx_leads=False
        )
        sightline = build_sightline(settings, engine=engine, clock=clock)
        runner = web.AppRunner(sightline.web_app())
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            yield SlackDriver(SlackHarness(http, fake, sightline), engine, clock)
        await runner.cleanup()
