"""The dashboard served by the whole app (`build_sightline(...).web_app()`) on a real port."""

from __future__ import annotations

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
from bot.settings import load_settings
from stories.clock import Clock
from stories.dashboard.signin import link_for_admin
from stories.models import Platform, Workspace
from stories.workspaces import ensure_member, ensure_workspace

KEY = "dashboard-test-key-0123456789abcdef"


@dataclass
class Served:
    base: str
    sightline: Sightline

    def link(self, user: str = "U-LEAD", workspace: str = "T1") -> str:
        """A one-time link for a lead of a workspace (as `sightline dashboard link` makes)."""
        core = self.sightline.core
        assert core.dashboard is not None
        with core.sessions() as session:
            ws = session.exec(select(Workspace).where(Workspace.external_id == workspace)).one()
            return link_for_admin(
                session=session,
                clock=core.clock,
                links=core.dashboard,
                workspace_id=ws.id or 0,
                user=user,
                listed_leads=core.config.cx_leads,
            )

    def path(self, url: str) -> str:
        return url.removeprefix(self.sightline.core.dashboard.base_url)  # type: ignore[union-attr]


def seed_people(engine: Engine, clock: Clock) -> None:
    """Two workspaces, each with a lead; T1 also has a member who is not a lead."""
    with Session(engine, expire_on_commit=False) as session:
        for external, name in (("T1", "Acme"), ("T2", "Globex")):
            ws = ensure_workspace(
                session=session,
                clock=clock,
                platform=Platform.SLACK,
                external_id=external,
                name=name,
            )
            lead = ensure_member(
                session=session,
                clock=clock,
                workspace_id=ws.id or 0,
                platform_user_id="U-LEAD",
                display_name=f"{name} Lead",
            )
            lead.is_cx_lead = True
            session.add(lead)
            ensure_member(
                session=session,
                clock=clock,
                workspace_id=ws.id or 0,
                platform_user_id="U-MEMBER",
                display_name="Ben",
            )
        session.commit()


@asynccontextmanager
async def serve(engine: Engine, clock: Clock, **settings: Any) -> AsyncIterator[Served]:
    config = load_settings(_env_file=None, dashboard_secret_key=KEY, **settings)
    sightline = build_sightline(config, engine=engine, clock=clock)
    runner = web.AppRunner(sightline.web_app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield Served(f"http://127.0.0.1:{port}", sightline)
    finally:
        await runner.cleanup()


@pytest.fixture
async def served(engine: Engine, clock: Clock) -> AsyncIterator[Served]:
    seed_people(engine, clock)
    async with serve(engine, clock) as running:
        yield running


@pytest.fixture
async def http(served: Served) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=served.base, timeout=10) as client:
        yield client
