"""Signed chart links: `GET /charts/{token}.png` draws a summary's chart for a card's Image.

Teams shows a card's picture by fetching its URL, so the chart must live on the bot's own
server. The token names the workspace, period and department and when it expires, and is
signed (itsdangerous, HMAC-SHA256) so nobody can ask for another workspace's figures or
another period; the route recomputes the summary from the database and draws it in a worker
thread. A bad, tampered or expired token gets 404, and no failure ever answers 500.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from cachetools import TTLCache
from itsdangerous import BadData, URLSafeSerializer
from itsdangerous.encoding import base64_encode

from bot.runtime import Runtime
from stories.chart import render_chart
from stories.clock import Clock
from stories.errors import SightlineError
from stories.periods import Period
from stories.summaries import Summary, build_summary

logger = logging.getLogger(__name__)
ROUTE = "/charts/{token:[A-Za-z0-9_.-]+}.png"
LINK_LIFETIME = timedelta(days=90)  # a digest is looked back at for weeks
SALT = "sightline-chart-v1"  # keeps these signatures apart from any other use of the key
CACHE_SIZE = 32  # drawn charts kept, each for CACHE_SECONDS
CACHE_SECONDS = 600.0


@dataclass(frozen=True)
class ChartRequest:
    """What a verified token asks for."""

    workspace_id: int
    period: Period
    department_id: int | None


class _TokenSerializer(URLSafeSerializer):
    """Never compresses, so a token is always ``<payload>.<signature>`` in URL-safe base64
    (itsdangerous marks a compressed payload with a leading dot)."""

    def dump_payload(self, obj: Any) -> bytes:
        return base64_encode(self.serializer.dumps(obj))


class ChartSigner:
    """Makes and checks chart tokens, each carrying its own expiry."""

    def __init__(self, key: bytes, clock: Clock) -> None:
        self._tokens = _TokenSerializer(
            key, salt=SALT, signer_kwargs={"digest_method": hashlib.sha256}
        )
        self.clock = clock

    def sign(self, *, workspace_id: int, period: Period, department_id: int | None) -> str:
        """A token for this summary's chart, valid for :data:`LINK_LIFETIME`.

        Args:
            workspace_id: the workspace summarised.
            period: the summary's period, carried to the second (see :meth:`Period.whole_seconds`).
            department_id: the department, or None for the whole workspace.

        Returns:
            ``<payload>.<signature>``, URL-safe.
        """
        expires = self.clock.now() + LINK_LIFETIME
        body = {
            "w": workspace_id,
            "s": int(period.start.timestamp()),
            "e": int(period.end.timestamp()),
            "d": department_id,
            "l": period.label,
            "x": int(expires.timestamp()),
        }
        return self._tokens.dumps(body)

    def verify(self, token: str) -> ChartRequest | None:
        """The request a genuine, unexpired token carries; None for anything else."""
        try:
            body = self._tokens.loads(token)
            if int(body["x"]) < self.clock.now().timestamp():
                return None
            department = body.get("d")
            return ChartRequest(
                workspace_id=int(body["w"]),
                period=Period(
                    start=datetime.fromtimestamp(int(body["s"]), UTC),
                    end=datetime.fromtimestamp(int(body["e"]), UTC),
                    label=str(body.get("l") or ""),
                ),
                department_id=int(department) if department is not None else None,
            )
        except BadData:  # not signed with our key and salt, or not a token at all
            return None
        except (ValueError, TypeError, KeyError, AttributeError):
            return None  # signed by us but unreadable: only a key shared with other software


@functools.cache
def _process_key() -> bytes:
    logger.warning(
        "SIGHTLINE_CHART_SIGNING_KEY is not set: chart links use a random key for this "
        "process, so they stop working after a restart and on other replicas. Set it to a "
        "long random value shared by every replica."
    )
    return secrets.token_bytes(32)


class ChartLinks:
    """Signed chart URLs on this bot's public address (None where there is none)."""

    def __init__(self, signer: ChartSigner, base_url: str | None) -> None:
        self.signer = signer
        self.base_url = base_url.rstrip("/") if base_url else None

    def url_for(self, summary: Summary) -> str | None:
        """The chart of ``summary``, or None when this installation has no public URL."""
        if self.base_url is None:
            return None
        token = self.signer.sign(
            workspace_id=summary.workspace_id,
            period=summary.period,
            department_id=summary.department.department_id if summary.department else None,
        )
        return f"{self.base_url}/charts/{token}.png"


def build_chart_links(runtime: Runtime) -> ChartLinks:
    """Signer and base URL from settings; one random key per process when none is set."""
    settings = runtime.settings
    secret = settings.chart_signing_key
    key = secret.get_secret_value().encode("utf-8") if secret else _process_key()
    base = str(settings.public_url) if settings.public_url else None
    return ChartLinks(ChartSigner(key, runtime.clock), base)


def attach_chart_route(app: web.Application, runtime: Runtime, signer: ChartSigner) -> None:
    """Serve ``GET /charts/{token}.png`` on the shared server."""
    # Teams fetches a card's image again on every client that shows it. The cache keeps time
    # by the runtime's clock, like the tokens' expiry.
    cache: TTLCache[str, bytes, float] = TTLCache(
        maxsize=CACHE_SIZE, ttl=CACHE_SECONDS, timer=lambda: runtime.clock.now().timestamp()
    )

    async def chart(request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        asked = signer.verify(token)
        if asked is None:
            return web.Response(status=404, text="No such chart (the link may have expired).")
        hit = cache.get(token)
        if hit is not None:
            return _png(hit)
        try:
            png = await _draw(runtime, asked)
        except SightlineError:  # the workspace or department has gone since the link was made
            return web.Response(status=404, text="No such chart.")
        except Exception:  # never 500: an image host retries and shows a broken picture anyway
            logger.exception("could not draw chart for workspace %s", asked.workspace_id)
            return web.Response(status=503, text="The chart cannot be drawn right now.")
        cache[token] = png
        return _png(png)

    app.router.add_get(ROUTE, chart)


async def _draw(runtime: Runtime, asked: ChartRequest) -> bytes:
    summary = await runtime.run(
        lambda session: build_summary(
            session=session,
            workspace_id=asked.workspace_id,
            period=asked.period,
            department_id=asked.department_id,
            now=runtime.clock.now(),
        )
    )
    return await asyncio.to_thread(render_chart, summary)  # matplotlib: seconds of CPU


def _png(body: bytes) -> web.Response:
    return web.Response(
        body=body, content_type="image/png", headers={"Cache-Control": "private, max-age=3600"}
    )
