"""Browser tests: the real dashboard in headless Chromium (the operating system's package),
driven by Playwright. One browser and one server for all of tests/browser; the server runs the
whole app (`build_sightline(...).web_app()`) in its own thread over a seeded SQLite file.
Package scope, not session: Playwright's sync API keeps an event loop running in this thread
until it stops, which the asyncio tests after these must not find.

`make test` installs Chromium (`apt-get install chromium`) and axe-core (`npm ci` into
tests/browser/node_modules) when they are missing. Without them these tests are skipped with
the reason, so a bare `pytest` still runs everything else.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.app import Sightline, build_sightline
from bot.database import create_db_engine, upgrade
from bot.settings import load_settings
from stories.clock import FixedClock
from stories.dashboard.signin import link_for_admin
from stories.models import Workspace
from tests.conftest import START
from tests.dashboard.conftest import KEY
from tests.dashboard.seed import Seeded, seed_workspace
from tests.fakes.slack_api import FakeSlackAPI
from tests.slack.conftest import BOT_TOKEN, SIGNING_SECRET

CHROMIUM = os.environ.get("SIGHTLINE_CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@dataclass
class Site:
    base: str
    sightline: Sightline
    engine: Engine
    clock: FixedClock
    seeded: Seeded
    database_url: str
    slack: FakeSlackAPI

    def link(self, user: str = "U-LEAD", workspace: str = "T1") -> str:
        core = self.sightline.core
        assert core.dashboard is not None
        with core.sessions() as session:
            ws = session.exec(select(Workspace).where(Workspace.external_id == workspace)).one()
            url = link_for_admin(
                session=session,
                clock=core.clock,
                links=core.dashboard,
                workspace_id=ws.id or 0,
                user=user,
                listed_leads=core.config.cx_leads,
            )
        return url.replace(core.dashboard.base_url.rstrip("/"), self.base)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


@pytest.fixture(scope="package")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'sightline.db'}"
    engine = create_db_engine(url)
    upgrade(engine)
    clock = FixedClock(START)
    seeded = seed_workspace(engine, clock)
    loop = asyncio.new_event_loop()
    fake = FakeSlackAPI()  # prompt now and the stories channel's posts go here
    loop.run_until_complete(fake.__aenter__())
    settings = load_settings(
        _env_file=None,
        database_url=url,
        dashboard_secret_key=KEY,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        slack_api_url=fake.url,
        prompts_enabled=False,
    )
    sightline = build_sightline(settings, engine=engine, clock=clock)
    runner = web.AppRunner(sightline.web_app())
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{port}", sightline, engine, clock, seeded, url, fake)
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        asyncio.run_coroutine_threadsafe(fake.__aexit__(None, None, None), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        engine.dispose()


@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: `make test` installs the chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield launched
        launched.close()
