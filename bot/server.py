"""The one aiohttp server: health, metrics, and the chat platforms' endpoints."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from importlib.metadata import version
from typing import Protocol

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from bot.runtime import Runtime

logger = logging.getLogger(__name__)
RUNTIME_KEY = web.AppKey("runtime", Runtime)
READY_TIMEOUT_SECONDS = 5.0  # /readyz gives up on the database after this long
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Platform(Protocol):
    """A chat platform's runtime part (Slack, Teams): routes and background tasks."""

    name: str

    def attach(self, app: web.Application) -> None:
        """Add routes and start/stop hooks (on_startup, on_cleanup) to the server."""
        ...


def build_web_app(runtime: Runtime, *, platforms: Sequence[Platform] = ()) -> web.Application:
    """Build the aiohttp application with each configured platform's endpoints."""
    app = web.Application(middlewares=[_metrics_middleware])
    app[RUNTIME_KEY] = runtime
    app.router.add_get("/healthz", handle_healthz)
    app.router.add_get("/readyz", handle_readyz)
    app.router.add_get("/metrics", handle_metrics)
    for platform in platforms:
        platform.attach(app)
    app.on_startup.append(freeze_long_lived_objects)  # last: after the platforms' start-up
    app.on_cleanup.append(_unfreeze)
    return app


async def freeze_long_lived_objects(app: web.Application) -> None:
    """Keep what was built at start out of the cyclic garbage collector's way.

    The libraries and the app's object graph live as long as the process; while the collector
    kept walking them, its full passes paused the event loop long enough to show up as p99
    acknowledgement latency (BENCHMARKS.md). Refcounting still frees them as usual.
    """
    gc.collect()
    gc.freeze()


async def _unfreeze(app: web.Application) -> None:
    gc.unfreeze()  # a server started again in the same process (tests) starts clean


@web.middleware
async def _metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    metrics = request.app[RUNTIME_KEY].metrics
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else "unmatched"
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        metrics.http_requests.labels(route=route, status=str(status)).inc()
        metrics.http_latency.labels(route=route).observe(time.perf_counter() - started)


async def handle_healthz(request: web.Request) -> web.Response:
    """Liveness: the process answers. Never touches the database, so it cannot hang on it."""
    return web.json_response({"status": "ok", "version": version("sightline")})


async def handle_readyz(request: web.Request) -> web.Response:
    """Readiness: 200 when the database answers within READY_TIMEOUT_SECONDS, else 503."""
    runtime = request.app[RUNTIME_KEY]

    def ping() -> None:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    body = {"status": "ok", "version": version("sightline"), "database": "ok"}
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            await asyncio.to_thread(ping)
    except TimeoutError:
        logger.warning("readiness: the database did not answer within %ss", READY_TIMEOUT_SECONDS)
        body.update(status="unavailable", database="timeout")
        return web.json_response(body, status=503)
    except Exception:  # any database failure means "not ready", whatever its type
        logger.exception("readiness: database unreachable")
        body.update(status="unavailable", database="unreachable")
        return web.json_response(body, status=503)
    return web.json_response(body)


async def handle_metrics(request: web.Request) -> web.Response:
    """Prometheus text exposition of this runtime's registry."""
    payload = generate_latest(request.app[RUNTIME_KEY].metrics.registry)
    return web.Response(body=payload, headers={"Content-Type": CONTENT_TYPE_LATEST})
