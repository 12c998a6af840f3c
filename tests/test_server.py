"""The aiohttp server over real HTTP: health and metrics."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web
from sqlalchemy import Engine

from bot.runtime import Runtime, build_runtime
from bot.server import build_web_app
from bot.settings import load_settings
from stories.clock import FixedClock


@pytest.fixture
async def server(engine: Engine, clock: FixedClock) -> AsyncIterator[tuple[str, Runtime]]:
    runtime = build_runtime(load_settings(_env_file=None), engine=engine, clock=clock)
    runner = web.AppRunner(build_web_app(runtime))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", runtime
    await runner.cleanup()


async def test_healthz_is_liveness_and_readyz_reports_the_database(
    server: tuple[str, Runtime],
) -> None:
    base, _ = server
    async with httpx.AsyncClient(base_url=base) as client:
        live = await client.get("/healthz")
        ready = await client.get("/readyz")
    assert live.status_code == 200
    assert live.json()["status"] == "ok"
    assert live.json()["version"]
    assert "database" not in live.json()  # liveness never asks the database
    assert ready.status_code == 200
    assert ready.json()["database"] == "ok"


async def test_readyz_is_503_when_database_is_gone_and_healthz_still_200(
    server: tuple[str, Runtime],
) -> None:
    base, runtime = server
    from bot.database import create_db_engine

    runtime.engine = create_db_engine("postgresql://nobody@127.0.0.1:1/none")
    async with httpx.AsyncClient(base_url=base) as client:
        ready = await client.get("/readyz")
        live = await client.get("/healthz")
    assert ready.status_code == 503
    assert ready.json()["database"] == "unreachable"
    assert live.status_code == 200


async def test_readyz_gives_up_on_a_database_that_never_answers(
    server: tuple[str, Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that accepts the connection and then says nothing: /readyz answers 503 at its
    own deadline instead of hanging with the pool."""
    base, runtime = server
    from bot import server as server_module
    from bot.database import create_db_engine

    accepted: list[asyncio.StreamWriter] = []

    async def silent(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)

    mute = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = mute.sockets[0].getsockname()[1]
    monkeypatch.setattr(server_module, "READY_TIMEOUT_SECONDS", 0.5)
    runtime.engine = create_db_engine(
        f"postgresql://nobody@127.0.0.1:{port}/none", connect_timeout=3
    )
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["database"] == "timeout"
        assert accepted  # the probe did reach the silent server
    finally:
        for writer in accepted:
            writer.close()
        mute.close()
        await mute.wait_closed()


async def test_metrics_count_requests(server: tuple[str, Runtime]) -> None:
    base, _ = server
    async with httpx.AsyncClient(base_url=base) as client:
        await client.get("/healthz")
        await client.get("/nowhere")
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert 'sightline_http_requests_total{route="/healthz",status="200"} 1.0' in lines
    assert 'sightline_http_requests_total{route="unmatched",status="404"} 1.0' in lines


async def test_the_running_server_keeps_start_up_objects_out_of_the_collectors_way(
    engine: Engine, clock: FixedClock
) -> None:
    """Frozen at start (no collector pauses on the long-lived graph), unfrozen at cleanup."""
    runtime = build_runtime(load_settings(_env_file=None), engine=engine, clock=clock)
    runner = web.AppRunner(build_web_app(runtime))
    await runner.setup()
    try:
        assert gc.get_freeze_count() > 0
    finally:
        await runner.cleanup()
    assert gc.get_freeze_count() == 0
