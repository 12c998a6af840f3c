"""Acknowledgement latency of signed `/story <text>` requests (issue 3).

Sightline's full Slack app (capture, redaction, storage, stories-channel post after the
ack) and a bare AsyncApp that only acks, each behind the same aiohttp adapter, are served
from a child process with a local fake Slack Web API; this process drives them with 50
concurrent clients. Target: p99 within 1.3x of the bare app and under 300 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

SECRET = "bench-signing-secret-0123456789abcdef"
TOKEN = "xoxb-bench-token"


def _fake_slack(ready: Any, stop: Any) -> None:
    asyncio.run(_fake_slack_async(ready, stop))


async def _fake_slack_async(ready: Any, stop: Any) -> None:
    from tests.fakes.slack_api import FakeSlackAPI

    # Slack is another machine in real life: the fake runs in its own process.
    async with FakeSlackAPI() as fake:
        ready.put((fake.url, fake.response_url("bench")))
        await asyncio.to_thread(stop.get)


def _serve(kind: str, fake_url: str, ready: Any, stop: Any, url: str | None) -> None:
    asyncio.run(_serve_async(kind, fake_url, ready, stop, url))


async def _serve_async(kind: str, fake_url: str, ready: Any, stop: Any, url: str | None) -> None:
    from aiohttp import web
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncApp, AsyncBoltContext
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.app import build_sightline
    from bot.database import create_db_engine, upgrade
    from bot.server import freeze_long_lived_objects
    from bot.settings import load_settings

    if kind == "sightline":
        if url is None:  # a fresh SQLite file; PostgreSQL: a throw-away database, migrated
            url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='sightline-ack-')) / 'ack.db'}"
        engine = create_db_engine(url)
        upgrade(engine)
        settings = load_settings(
            database_url=url,
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            slack_api_url=fake_url,
            slack_stories_channel="C0STORIES",
            prompts_enabled=False,  # acknowledgements only, as before the composition root
            _env_file=None,
        )
        app = build_sightline(settings, engine=engine).web_app()
    else:
        bolt = AsyncApp(
            signing_secret=SECRET, client=AsyncWebClient(token=TOKEN, base_url=fake_url)
        )

        @bolt.command("/story")
        async def only_ack(ack: Any, context: AsyncBoltContext) -> None:
            await ack()

        async def handle(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await bolt.async_dispatch(await to_bolt_request(request))
            )

        app = web.Application()
        app.router.add_post("/slack/events", handle)
        # The same start-up treatment as Sightline's server (bot/server.py), so the floor
        # measures bolt, not the garbage collector.
        app.on_startup.append(freeze_long_lived_objects)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    ready.put(port)
    await asyncio.to_thread(stop.get)
    await runner.cleanup()


def _signed(body: str) -> dict[str, str]:
    ts = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature or "",
        "Content-Type": "application/x-www-form-urlencoded",
    }


async def _drive(
    base: str,
    response_url: str,
    requests: int,
    clients: int,
    rate: float | None = None,
    tag: str = "run",
) -> list[float]:
    """Send ``requests`` from ``clients`` concurrent clients; at ``rate`` requests/s in all
    (each client on its own steady pace), or flat out when rate is None."""
    latencies: list[float] = []
    begin = time.perf_counter()
    counter = iter(range(requests))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:

        async def worker(worker_id: int) -> None:
            sent = 0
            for n in counter:
                if rate is not None:
                    # Client i sends at begin + (i + k * clients) / rate: an even total rate.
                    due = begin + (worker_id + sent * clients) / rate
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                    sent += 1
                body = urlencode(
                    {
                        "token": "legacy",
                        "team_id": "T0BENCH",
                        "team_domain": "bench",
                        "channel_id": "C0PUBLIC1",
                        "channel_name": "support",
                        "user_id": f"U{worker_id:05d}",
                        "user_name": "bench",
                        "command": "/story",
                        "text": f"Customer {n} waited two weeks for a refund and called us daily.",
                        "response_url": response_url,
                        # Unlike any other request's (the warm-up's too): the durable inbox
                        # answers a request it has seen before at once, without its work.
                        "trigger_id": f"trig-{tag}-{n}",
                        "api_app_id": "A0BENCH",
                    }
                )
                started = time.perf_counter()
                response = await http.post("/slack/events", content=body, headers=_signed(body))
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise RuntimeError(f"ack failed: {response.status_code} {response.text}")

        await asyncio.gather(*(worker(i) for i in range(clients)))
    return latencies


def measure(
    kind: str, requests: int, clients: int, rate: float | None = None, url: str | None = None
) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    fake_ready, fake_stop = context.Queue(), context.Queue()
    fake = context.Process(target=_fake_slack, args=(fake_ready, fake_stop), daemon=True)
    fake.start()
    fake_url, response_url = fake_ready.get(timeout=60)
    ready, stop = context.Queue(), context.Queue()
    server = context.Process(target=_serve, args=(kind, fake_url, ready, stop, url), daemon=True)
    server.start()
    try:
        port = ready.get(timeout=60)
        base = f"http://127.0.0.1:{port}"
        asyncio.run(_drive(base, response_url, min(100, requests), clients, tag="warm-up"))
        latencies = asyncio.run(_drive(base, response_url, requests, clients, rate))
    finally:
        stop.put(True)
        server.join(timeout=30)
        fake_stop.put(True)
        fake.join(timeout=30)
    ordered = sorted(latencies)
    return {
        "p50": statistics.median(ordered),
        "p99": ordered[min(len(ordered) - 1, round(0.99 * len(ordered)))],
        "requests": float(len(ordered)),
    }


def report(
    requests: int = 2000,
    clients: int = 50,
    rate: float = 100.0,
    databases: Callable[[], AbstractContextManager[str | None]] | None = None,
    backend: str = "sqlite",
) -> None:
    """Bare bolt and Sightline, paced then flat out; ``databases`` gives each Sightline run
    a fresh migrated database URL (None: a new SQLite file in a temporary folder)."""
    print(f"| /story ack, {clients} concurrent clients | requests | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|")
    ratios = []
    for label, pace in ((f"{rate:.0f} requests/s in all", rate), ("flat out", None)):
        bare = measure("bare", requests, clients, pace)
        with databases() if databases is not None else contextlib.nullcontext() as url:
            full = measure("sightline", requests, clients, pace, url)
        rows = ((f"bare AsyncApp, {label}", bare), (f"Sightline ({backend}), {label}", full))
        for name, row in rows:
            print(f"| {name} | {row['requests']:,.0f} | {row['p50']:.1f} | {row['p99']:.1f} |")
        ratios.append(f"{label}: {full['p99'] / bare['p99']:.2f}")
    print(f"\np99 Sightline / bare ({'; '.join(ratios)}); target <= 1.3 and p99 < 300 ms")
