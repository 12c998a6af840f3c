"""The signed chart route: a genuine link draws the PNG; anything else is a 404, never a 500."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from hashlib import sha256

import httpx
import pytest
from aiohttp import web
from itsdangerous import URLSafeSerializer
from PIL import Image
from sqlalchemy import Engine
from sqlmodel import Session

from bot.app import build_sightline
from bot.charts import (
    SALT,
    ChartLinks,
    ChartSigner,
    _process_key,
    build_chart_links,
)
from bot.runtime import Runtime, build_runtime
from bot.settings import SettingsError, load_settings
from stories.clock import FixedClock
from stories.models import Platform, SourceKind, Story
from stories.periods import parse_period
from stories.summaries import Summary, build_summary
from stories.workspaces import ensure_workspace
from tests.test_summaries import build_world

KEY = "chart-key-for-tests-0123456789abcdef"
PUBLIC = "https://sightline.example.com"


@dataclass
class Server:
    url: str
    runtime: Runtime
    links: ChartLinks
    summary: Summary

    async def get(self, path: str) -> httpx.Response:
        async with httpx.AsyncClient() as client:
            return await client.get(self.url + path, timeout=60)

    def path(self, summary: Summary | None = None) -> str:
        url = self.links.url_for(summary or self.summary)
        assert url is not None
        return url.removeprefix(PUBLIC)


@pytest.fixture
async def server(engine: Engine, clock: FixedClock) -> AsyncIterator[Server]:
    settings = load_settings(
        _env_file=None, teams_allow_anonymous=True, public_url=PUBLIC, chart_signing_key=KEY
    )
    sightline = build_sightline(settings, engine=engine, clock=clock)
    runtime = sightline.runtime
    with Session(engine) as session:
        workspace = ensure_workspace(
            session=session, clock=clock, platform=Platform.TEAMS, external_id="t", name="Acme"
        )
        build_world(session, workspace)
        summary = build_summary(
            session=session,
            workspace_id=workspace.id or 0,
            period=parse_period("30d", now=clock.now()).whole_seconds(),
            now=clock.now(),
        )
    runner = web.AppRunner(sightline.web_app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield Server(f"http://127.0.0.1:{port}", runtime, build_chart_links(runtime), summary)
    await runner.cleanup()


def _image(response: httpx.Response) -> Image.Image:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image.convert("RGB")


async def test_a_signed_link_draws_the_summary_chart(server: Server) -> None:
    image = _image(await server.get(server.path()))
    assert image.size == (1200, 700)
    colours = image.getcolors(maxcolors=1 << 24) or []
    white = next((count for count, colour in colours if colour == (255, 255, 255)), 0)
    assert len(colours) > 50
    assert white < 0.97 * image.width * image.height  # something is drawn on it


def _flip(text: str, index: int) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]


async def test_tampered_foreign_or_malformed_tokens_are_404(server: Server) -> None:
    path = server.path()
    token = path.removeprefix("/charts/").removesuffix(".png")
    payload, signature = token.split(".")
    foreign = ChartSigner(b"another installation's key", server.runtime.clock)
    forged = foreign.sign(
        workspace_id=server.summary.workspace_id, period=server.summary.period, department_id=None
    )
    for bad in (
        f"{_flip(payload, 5)}.{signature}",
        f"{payload}.{_flip(signature, 3)}",
        f"{payload}.",
        payload,
        forged,
        "garbage",
        "..",
    ):
        response = await server.get(f"/charts/{bad}.png")
        assert response.status_code == 404, bad
        assert response.headers["Content-Type"].startswith("text/plain")
    assert (await server.get("/charts/has%20space.png")).status_code == 404


async def test_an_expired_link_is_404(server: Server, clock: FixedClock) -> None:
    path = server.path()
    clock.advance(days=89)
    assert (await server.get(path)).status_code == 200
    clock.advance(days=2)
    assert (await server.get(path)).status_code == 404


async def test_a_link_to_a_department_that_is_gone_is_404(server: Server) -> None:
    token = server.links.signer.sign(
        workspace_id=server.summary.workspace_id, period=server.summary.period, department_id=9999
    )
    assert (await server.get(f"/charts/{token}.png")).status_code == 404


def test_without_a_key_one_random_key_serves_the_whole_process(
    engine: Engine, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    _process_key.cache_clear()
    runtime = build_runtime(load_settings(_env_file=None), engine=engine, clock=clock)
    with caplog.at_level(logging.WARNING, logger="bot.charts"):
        first, second = build_chart_links(runtime), build_chart_links(runtime)
    period = parse_period("7d", now=clock.now())
    token = first.signer.sign(workspace_id=1, period=period, department_id=None)
    assert second.signer.verify(token) is not None  # the prompt sender and the route agree
    assert first.base_url is None  # no public URL: cards say so instead of linking
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.charts"]
    assert len(warnings) == 1
    assert "stop working after a restart" in warnings[0]


def test_a_short_signing_key_is_refused_at_start() -> None:
    with pytest.raises(SettingsError, match="SIGHTLINE_CHART_SIGNING_KEY"):
        load_settings(_env_file=None, chart_signing_key="short")


def test_a_token_round_trips_the_request(clock: FixedClock) -> None:
    signer = ChartSigner(KEY.encode(), clock)
    period = parse_period("quarter", now=clock.now()).whole_seconds()
    asked = signer.verify(signer.sign(workspace_id=7, period=period, department_id=3))
    assert asked is not None
    assert (asked.workspace_id, asked.department_id, asked.period) == (7, 3, period)


def _serializer(salt: str) -> URLSafeSerializer:
    """Another program holding our key (itsdangerous as it comes, compressing payloads)."""
    return URLSafeSerializer(KEY.encode(), salt=salt, signer_kwargs={"digest_method": sha256})


def test_only_a_chart_request_signed_for_charts_is_accepted(clock: FixedClock) -> None:
    signer = ChartSigner(KEY.encode(), clock)
    period = parse_period("7d", now=clock.now()).whole_seconds()
    payload, _ = signer.sign(workspace_id=7, period=period, department_id=None).split(".")
    assert not payload.startswith(".")  # never compressed: always "<payload>.<signature>"
    body = {
        "w": 7,
        "s": int(period.start.timestamp()),
        "e": int(period.end.timestamp()),
        "d": None,
        "l": period.label,
        "x": int(clock.now().timestamp()) + 60,
    }
    accepted = signer.verify(_serializer(SALT).dumps(body))
    assert accepted is not None
    assert accepted.period == period
    assert signer.verify(_serializer("another-use-of-the-key").dumps(body)) is None
    assert signer.verify(_serializer(SALT).dumps({**body, "w": "seven"})) is None
    assert signer.verify(_serializer(SALT).dumps(["not", "a", "request"])) is None


async def test_a_drawn_chart_is_served_again_for_ten_minutes_then_redrawn(
    server: Server, clock: FixedClock, engine: Engine
) -> None:
    path = server.path()
    first = (await server.get(path)).content
    with Session(engine) as session:  # a story arrives in the chart's period
        session.add(
            Story(
                workspace_id=server.summary.workspace_id,
                text="A late story about the login page.",
                touchpoint="login",
                source_kind=SourceKind.SLASH,
                created_at=clock.now() - timedelta(days=1),
            )
        )
        session.commit()
    clock.advance(minutes=9)
    assert (await server.get(path)).content == first  # from the cache
    clock.advance(minutes=2)
    assert (await server.get(path)).content != first  # drawn again, with the new story
