"""The dashboard's pages over the summary bench's organisation (scale 1.0: 1,000,000 stories,
5,000,000 answers, 10,000,000 engagement rows): server time and page size.

The whole app (`build_sightline(...).web_app()`) serves on a local port over the kept data set
(its own copy, `var/bench/dashboard*.db` and PostgreSQL `sightline_bench_dashboard*`, since
the dashboard's migration differs from the summary bench's); a signed-in lead asks for each
page in turn, after one untimed request each. Times are loopback round trips measured by the
client (server time plus a fraction of a millisecond); sizes are the bytes of each response
as sent (no compression).

Targets (issue 15): the overview and the stories page, p95 < 300 ms on SQLite and PostgreSQL,
each under 500 KB.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import timedelta
from typing import Any

import httpx
from aiohttp import web
from sqlmodel import Session, col, select

from bench.summary import dataset
from bench.synthetic import BENCH_START, WorldSize
from bot.app import build_sightline
from bot.settings import load_settings
from stories.clock import FixedClock
from stories.dashboard.signin import issue_link
from stories.models import Member

PAGES = {
    "overview, 30 days (default)": "/dashboard",
    "overview, 90 days": "/dashboard?period=90d",
    "stories, newest (default)": "/dashboard/stories",
    "stories, search 'refund'": "/dashboard/stories?q=refund",
    "stories, search + touchpoint + dates": (
        "/dashboard/stories?q=late+delivery&touchpoint=billing&since=2025-01-01&until=2025-12-31"
    ),
    "stories, page 40": "/dashboard/stories?page=40",
}
KEY = "bench-dashboard-key-0123456789abcdef"


async def _run(engine: Any, workspace: int, now: Any, repeat: int) -> dict[str, dict[str, float]]:
    from bench.__main__ import percentile

    clock = FixedClock(now)
    settings = load_settings(_env_file=None, dashboard_secret_key=KEY, prompts_enabled=False)
    sightline = build_sightline(settings, engine=engine, clock=clock)
    assert sightline.core.dashboard is not None
    with Session(engine) as session:
        lead = session.exec(
            select(Member.id).where(Member.workspace_id == workspace).order_by(col(Member.id))
        ).first()
        url = issue_link(
            session=session,
            clock=clock,
            links=sightline.core.dashboard,
            workspace_id=workspace,
            member_id=lead or 0,
        )
    runner = web.AppRunner(sightline.web_app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    times: dict[str, list[float]] = {name: [] for name in PAGES}
    sizes: dict[str, int] = {}
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            path = url.removeprefix(sightline.core.dashboard.base_url.rstrip("/"))
            assert (await http.post(path)).status_code == 303
            for name, page in PAGES.items():  # untimed: first reads of each table
                response = await http.get(page)
                assert response.status_code == 200, (name, response.text[:300])
            for _ in range(repeat):
                for name, page in PAGES.items():
                    started = time.perf_counter()
                    response = await http.get(page)
                    times[name].append((time.perf_counter() - started) * 1000)
                    sizes[name] = len(response.content)
    finally:
        await runner.cleanup()
    return {
        name: {
            "p50": statistics.median(values),
            "p95": percentile(values, 95),
            "kb": sizes[name] / 1024,
        }
        for name, values in times.items()
    }


def report(backends: list[str], scale: float, repeat: int) -> None:
    """Print the Markdown table for BENCHMARKS.md, one backend at a time."""
    size = WorldSize.at(scale)
    print(
        f"| Dashboard page, {size.stories:,} stories, {size.answers:,} answers, "
        f"{size.engagement:,} engagement rows | backend | p50 ms | p95 ms | KB |"
    )
    print("|---|---|---:|---:|---:|")
    for backend in backends:
        with dataset(backend, scale, name="dashboard") as (engine, workspace):
            now = BENCH_START + timedelta(days=size.days) - timedelta(hours=14)
            found = asyncio.run(_run(engine, workspace, now, repeat))
        for name, figures in found.items():
            print(
                f"| {name} | {backend} | {figures['p50']:.0f} | {figures['p95']:.0f} "
                f"| {figures['kb']:.0f} |"
            )
