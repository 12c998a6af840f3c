"""The silo matrix, themes with quotes, and downloads (the same files as `/cx export`)."""

from __future__ import annotations

import asyncio
from typing import cast

from aiohttp import web

from handlers.web.auth import deps_of
from handlers.web.periods import CHOICES, PeriodChoice, period_of
from handlers.web.render import HEADERS, page
from stories.dashboard.signin import SignedIn
from stories.dashboard.silo import SiloMatrix, silo_matrix
from stories.dashboard.themes import ThemeQuotes, themes_with_quotes
from stories.errors import SightlineError
from stories.exports import KINDS, ExportFile, What, export_files
from stories.periods import Period
from stories.summaries import build_summary
from stories.transfer import Format

TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}


def _period_page(
    request: web.Request, lead: SignedIn, template: str, nav: str, title: str
) -> tuple[Period, PeriodChoice] | web.Response:
    try:
        return period_of(request, deps_of(request).core.clock.now())
    except SightlineError as exc:
        return page(
            template,
            status=400,
            lead=lead,
            nav=nav,
            title=title,
            error=str(exc),
            choices=CHOICES,
            choice=None,
        )


async def handle_silo(request: web.Request, lead: SignedIn) -> web.Response:
    """GET /dashboard/silo: departments x departments for a period."""
    chosen = _period_page(request, lead, "silo.html", "silo", "Silo matrix")
    if isinstance(chosen, web.Response):
        return chosen
    period, choice = chosen
    core = deps_of(request).core

    def work() -> SiloMatrix:
        with core.sessions() as session:
            return silo_matrix(session=session, workspace_id=lead.workspace_id, period=period)

    matrix = await asyncio.to_thread(work)
    return page(
        "silo.html",
        title="Silo matrix",
        nav="silo",
        lead=lead,
        matrix=matrix,
        period=period,
        choices=CHOICES,
        choice=choice,
        error=None,
    )


async def handle_themes(request: web.Request, lead: SignedIn) -> web.Response:
    """GET /dashboard/themes: the summary's themes, each with quotes from the period."""
    chosen = _period_page(request, lead, "themes.html", "themes", "Themes")
    if isinstance(chosen, web.Response):
        return chosen
    period, choice = chosen
    core = deps_of(request).core

    def work() -> list[ThemeQuotes]:
        with core.sessions() as session:
            summary = build_summary(
                session=session,
                workspace_id=lead.workspace_id,
                period=period,
                now=core.clock.now(),
            )
            return themes_with_quotes(
                session=session,
                workspace_id=lead.workspace_id,
                period=period,
                themes=summary.themes,
            )

    themes = await asyncio.to_thread(work)
    return page(
        "themes.html",
        title="Themes",
        nav="themes",
        lead=lead,
        themes=themes,
        period=period,
        choices=CHOICES,
        choice=choice,
        error=None,
    )


async def handle_downloads(request: web.Request, lead: SignedIn) -> web.Response:
    """GET /dashboard/downloads: the export files for a period."""
    chosen = _period_page(request, lead, "downloads.html", "downloads", "Downloads")
    if isinstance(chosen, web.Response):
        return chosen
    period, choice = chosen
    return page(
        "downloads.html",
        title="Downloads",
        nav="downloads",
        lead=lead,
        period=period,
        choices=CHOICES,
        choice=choice,
        error=None,
        kinds=KINDS,
        formats=tuple(TYPES),
    )


async def handle_download(request: web.Request, lead: SignedIn) -> web.StreamResponse:
    """GET /dashboard/downloads/{what}.{format}: one file, as `/cx export` makes it."""
    chosen = _period_page(request, lead, "downloads.html", "downloads", "Downloads")
    if isinstance(chosen, web.Response):
        return chosen
    period, _ = chosen
    what = cast(What, request.match_info["what"])
    fmt = cast(Format, request.match_info["format"])
    core = deps_of(request).core

    def work() -> ExportFile:
        with core.sessions() as session:
            [made] = export_files(
                session=session,
                workspace_id=lead.workspace_id,
                period=period,
                format=fmt,
                what=what,
            )
            return made

    made = await asyncio.to_thread(work)
    headers = {
        **HEADERS,
        "Content-Disposition": f'attachment; filename="{made.name}"',
    }
    return web.Response(
        body=made.content, headers=headers, content_type=TYPES[fmt].split(";")[0], charset="utf-8"
    )
