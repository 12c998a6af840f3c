"""Property-based fuzzing of the two chat endpoints (issue 14, item 8): generated bodies,
headers and signatures sent to `/slack/events` and `/api/messages` of the whole app, served
on a real port. Never a 5xx, never a traceback in the log, and nothing stored from a
request that is not signed (Slack) or not authenticated (Teams)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot.app import build_sightline
from bot.database import create_db_engine
from bot.settings import load_settings
from stories.models import Member, Story, Workspace
from tests.conftest import BACKENDS
from tests.fakes.slack_api import FakeSlackAPI

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
FUZZ = settings(
    max_examples=int(os.environ.get("SIGHTLINE_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
# What HTTP allows in a header value: printable ASCII, no surrounding spaces.
HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80).map(
    str.strip
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
SLACK_KEYS = ("type", "event", "team_id", "command", "text", "user_id", "payload", "token")
TEAMS_KEYS = ("type", "channelId", "serviceUrl", "from", "conversation", "text", "value", "name")


def _shaped(keys: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with the field names a real payload has and generated values."""
    return st.dictionaries(st.sampled_from(keys), JSON, max_size=len(keys))


SLACK_BODIES = st.one_of(
    st.binary(max_size=400),
    _shaped(SLACK_KEYS).map(lambda d: json.dumps(d).encode()),
    _shaped(SLACK_KEYS).map(lambda d: urlencode({k: json.dumps(v) for k, v in d.items()}).encode()),
    _shaped(SLACK_KEYS).map(lambda d: urlencode({"payload": json.dumps(d)}).encode()),
)
CONTENT_TYPES = (
    st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain", ""])
    | HEADER_TEXT
)


class TracebackCatcher(logging.Handler):
    """Every log record that carries a traceback, from any thread."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.tracebacks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.tracebacks.append(f"{record.name}: {record.getMessage()}")


class Served:
    """The whole app (Slack single-workspace + authenticated Teams) on a thread's own loop."""

    def __init__(self, database_url: str, engine: Engine) -> None:
        self.database_url, self.engine = database_url, engine
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.url = ""

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(30)

    async def _start(self) -> None:
        self.fake = await FakeSlackAPI().start()
        settings = load_settings(
            _env_file=None,
            database_url=self.database_url,
            SLACK_BOT_TOKEN="xoxb-fuzz",
            SLACK_SIGNING_SECRET=SECRET,
            slack_api_url=self.fake.url,
            MICROSOFT_APP_ID="6f1c1a37-0f5d-4b61-9a2c-5b1e3c0d7a11",
            MICROSOFT_APP_PASSWORD="not-a-real-password",
            MICROSOFT_APP_TENANT_ID="0b9a1c55-4d1e-4f35-8a43-2b7d1d2f6e01",
            prompts_enabled=False,
            data_jobs_enabled=False,
        )
        app = build_sightline(settings, engine=self.engine).web_app()
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]

    def stop(self) -> None:
        async def stop() -> None:
            await self.runner.cleanup()
            await self.fake.stop()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="module", params=BACKENDS)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_database")
    engine = create_db_engine(url)
    with pytest.MonkeyPatch.context() as patch:
        # A well-formed token would make botbuilder fetch signing keys from the internet.
        from botframework.connector.auth import ChannelValidation

        patch.setattr(ChannelValidation, "open_id_metadata_endpoint", "http://127.0.0.1:9/openid")
        server = Served(url, engine)
        server.start()
        yield server
        server.stop()
    engine.dispose()


@pytest.fixture
def tracebacks() -> Iterator[TracebackCatcher]:
    catcher = TracebackCatcher()
    root = logging.getLogger()
    root.addHandler(catcher)
    try:
        yield catcher
    finally:
        root.removeHandler(catcher)


def _stored(engine: Engine) -> tuple[int, int, int]:
    with Session(engine) as session:
        return tuple(  # type: ignore[return-value]
            int(session.exec(select(func.count()).select_from(model)).one())
            for model in (Workspace, Member, Story)
        )


def _post(served: Served, path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    with httpx.Client(base_url=served.url, timeout=30) as client:
        return client.post(path, content=body, headers=headers)


@FUZZ
@given(
    body=SLACK_BODIES,
    content_type=CONTENT_TYPES,
    timestamp=HEADER_TEXT | st.integers(0, 2**40).map(str),
    signature=HEADER_TEXT | st.binary(min_size=32, max_size=32).map(lambda b: "v0=" + b.hex()),
)
def test_unsigned_slack_requests_never_fail_and_store_nothing(
    served: Served,
    tracebacks: TracebackCatcher,
    body: bytes,
    content_type: str,
    timestamp: str,
    signature: str,
) -> None:
    before = _stored(served.engine)
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }
    response = _post(served, "/slack/events", body, headers)
    assert response.status_code < 500
    assert response.status_code in (401, 403) or _stored(served.engine) == before
    assert _stored(served.engine) == before
    assert tracebacks.tracebacks == []


@FUZZ
@given(body=SLACK_BODIES, content_type=CONTENT_TYPES)
def test_signed_slack_requests_with_any_body_never_fail(
    served: Served, tracebacks: TracebackCatcher, body: bytes, content_type: str
) -> None:
    """Signed garbage reaches bolt's listeners: still never a 5xx, never a traceback."""
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(
        timestamp=timestamp, body=body.decode("utf-8", "replace")
    )
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": str(signature),
    }
    response = _post(served, "/slack/events", body, headers)
    assert response.status_code < 500
    assert tracebacks.tracebacks == []


TEAMS_BODIES = st.one_of(
    st.binary(max_size=400),
    _shaped(TEAMS_KEYS).map(lambda d: json.dumps(d).encode()),
    _shaped(TEAMS_KEYS).map(lambda d: json.dumps({**d, "type": "message"}).encode()),
)
TOKEN_PART = st.text("abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=30)
AUTHORIZATION = st.one_of(
    st.just(""),
    HEADER_TEXT,
    HEADER_TEXT.map(lambda t: f"Bearer {t}".strip()),
    st.lists(
        st.text("abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=30),
        min_size=3,
        max_size=3,
    ).map(lambda parts: "Bearer " + ".".join(parts)),
)


@FUZZ
@given(body=TEAMS_BODIES, content_type=CONTENT_TYPES, authorization=AUTHORIZATION)
def test_unauthenticated_teams_requests_never_fail_and_store_nothing(
    served: Served,
    tracebacks: TracebackCatcher,
    body: bytes,
    content_type: str,
    authorization: str,
) -> None:
    before = _stored(served.engine)
    headers = {"Content-Type": content_type, "Authorization": authorization}
    response = _post(served, "/api/messages", body, headers)
    assert response.status_code < 500
    assert response.status_code in (400, 401, 403, 415)
    assert _stored(served.engine) == before
    assert tracebacks.tracebacks == []


def test_the_fuzzed_app_is_the_real_one(served: Served) -> None:
    """The endpoints answer a correct request, so the properties above test something."""
    assert Path(__file__).exists()
    response = _post(served, "/slack/events", b"{}", {"Content-Type": "application/json"})
    assert response.status_code == 401  # unsigned
    with httpx.Client(base_url=served.url) as client:
        assert client.get("/healthz").status_code == 200
