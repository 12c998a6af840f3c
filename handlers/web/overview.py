"""The overview page: the period's figures against the previous period, and their trends."""

from __future__ import annotations

import asyncio

from aiohttp import web

from handlers.web.auth import deps_of
from handlers.web.periods import CHOICES, period_of
from handlers.web.render import page
from stories.dashboard.coverage import Coverage, line_of_sight_coverage
from stories.dashboard.overview import Chart, overview_of, summary_and_trends
from stories.dashboard.signin import SignedIn
from stories.errors import SightlineError
from stories.summaries import Summary


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

    def summary() -> tuple[Summary, tuple[Chart, ...]]:
        with core.sessions() as session:
            return summary_and_trends(
                session=session,
                workspace_id=lead.workspace_id,
                period=period,
                now=core.clock.now(),
            )

    def coverage() -> Coverage:
        with core.sessions() as session:
            return line_of_sight_coverage(
                session=session, workspace_id=lead.workspace_id, period=period
            )

    # Two independent reads, each in its own worker thread and connection: the page waits
    # for the slower one instead of both in turn (BENCHMARKS.md).
    (found, charts), reached = await asyncio.gather(
        asyncio.to_thread(summary), asyncio.to_thread(coverage)
    )
    overview = overview_of(found, charts, reached)
    return page(
        "overview.html",
        lead=lead,
        overview=overview,
        choices=CHOICES,
        choice=choice,
        error=None,
        nav="overview",
    )
