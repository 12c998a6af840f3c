"""The overview page: the period's figures against the previous period, and their trends."""

from __future__ import annotations

import asyncio

from aiohttp import web

from handlers.web.auth import deps_of
from handlers.web.periods import CHOICES, period_of
from handlers.web.render import page
from stories.dashboard.overview import Overview, build_overview
from stories.dashboard.signin import SignedIn
from stories.errors import SightlineError


async def handle_overview(request: web.Request, lead: SignedIn) -> web.Response:
    """GET /dashboard: figures for the chosen period, scoped to the lead's workspace."""
    core = deps_of(request).core
    try:
        period, choice = period_of(request, core.clock.now())
    except SightlineError as exc:
        return page(
            "overview.html",
            status=400,
            lead=lead,
            error=str(exc),
            choices=CHOICES,
            choice=None,
            overview=None,
            nav="overview",
        )

    def work() -> Overview:
        with core.sessions() as session:
            return build_overview(
                session=session,
                workspace_id=lead.workspace_id,
                period=period,
                now=core.clock.now(),
            )

    overview = await asyncio.to_thread(work)
    return page(
        "overview.html",
        lead=lead,
        overview=overview,
        choices=CHOICES,
        choice=choice,
        error=None,
        nav="overview",
    )
