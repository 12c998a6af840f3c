"""Authenticated Teams: every forged, stale or misdirected token gets 401, never a 500 or a reply.

botbuilder checks a Bot Framework token against the signing keys published at an OpenID
metadata address on the internet. `ChannelValidation.open_id_metadata_endpoint` is botbuilder's
own override for that address: here it points at a local metadata server (in a thread, because
botbuilder fetches it with blocking `requests`) that publishes one key the tests hold. So the
suite runs offline, and a token that is correct in every way is accepted: each rejected case
differs from it in one respect, and botbuilder's recorded reason names that respect.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from aiohttp import web
from botframework.connector.auth import ChannelValidation, JwtTokenValidation
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.app import build_sightline
from bot.settings import load_settings
from stories.clock import FixedClock
from stories.models import ChatConversation, Workspace
from tests.fakes.bot_connector import FakeBotConnector

APP_ID = "6f1c1a37-0f5d-4b61-9a2c-5b1e3c0d7a11"
ISSUER = "https://api.botframework.com"  # what Bot Framework channel tokens carry
KID = "local-signing-key"


@pytest.fixture(scope="module")
def trusted_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def foreign_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class MetadataServer:
    """Publishes the OpenID configuration and the one trusted key, as login.botframework.com."""

    key: rsa.RSAPrivateKey
    requests: list[str] = field(default_factory=list)
    url: str = ""

    def documents(self) -> dict[str, dict[str, Any]]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid=KID, use="sig", endorsements=["msteams"])
        return {
            "/v1/.well-known/openidconfiguration": {
                "issuer": ISSUER,
                "jwks_uri": f"{self.url}/v1/.well-known/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
            },
            "/v1/.well-known/keys": {"keys": [jwk]},
        }


@pytest.fixture
def metadata(trusted_key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    server_state = MetadataServer(trusted_key)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server_state.requests.append(self.path)
            body = server_state.documents().get(self.path)
            payload = json.dumps(body).encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setattr(
        ChannelValidation,
        "open_id_metadata_endpoint",
        f"{server_state.url}/v1/.well-known/openidconfiguration",
    )
    monkeypatch.setattr(JwtTokenExtractor, "metadataCache", {})  # no keys from another test
    yield server_state
    server.shutdown()
    server.server_close()


@dataclass
class Bot:
    url: str
    connector: FakeBotConnector
    engine: Engine
    rejections: list[BaseException]  # what botbuilder's token validation raised, in order


@pytest.fixture
async def bot(
    engine: Engine, clock: FixedClock, metadata: MetadataServer, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Bot]:
    rejections: list[BaseException] = []
    validate: Callable[..., Awaitable[Any]] = JwtTokenValidation.authenticate_request

    async def recording(*args: Any, **kwargs: Any) -> Any:
        try:
            return await validate(*args, **kwargs)
        except BaseException as exc:  # recorded to check the reason, then re-raised as is
            rejections.append(exc)
            raise

    monkeypatch.setattr(JwtTokenValidation, "authenticate_request", recording)
    settings = load_settings(
        _env_file=None,
        MICROSOFT_APP_ID=APP_ID,
        MICROSOFT_APP_PASSWORD="not-used-offline",
        MICROSOFT_APP_TENANT_ID="tenant-1",  # a single-tenant bot, as Azure creates them now
    )
    sightline = build_sightline(settings, engine=engine, clock=clock)
    async with FakeBotConnector() as connector:
        runner = web.AppRunner(sightline.web_app())
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        yield Bot(f"http://127.0.0.1:{port}", connector, engine, rejections)
        await runner.cleanup()


def fetch_task(bot: Bot) -> dict[str, Any]:
    """A message action's first invoke: answered in the HTTP response, no connector call."""
    return {
        "type": "invoke",
        "name": "composeExtension/fetchTask",
        "id": "f:1",
        "channelId": "msteams",
        "serviceUrl": bot.connector.url,
        "from": {"id": "29:ada", "aadObjectId": "aad-ada", "name": "Ada"},
        "recipient": {"id": f"28:{APP_ID}", "name": "Sightline"},
        "conversation": {"id": "a:personal-1", "conversationType": "personal", "tenantId": "t1"},
        "channelData": {"tenant": {"id": "t1"}},
        "value": {
            "commandId": "saveStory",
            "commandContext": "message",
            "messagePayload": {"body": {"contentType": "text", "content": "Loved the call"}},
        },
    }


def token(
    bot: Bot,
    key: rsa.RSAPrivateKey,
    *,
    kid: str = KID,
    algorithm: str = "RS256",
    expires_in: int = 3600,
    **claims: Any,
) -> str:
    """A Bot Framework channel token; keyword arguments replace or add claims."""
    now = int(time.time())  # PyJWT checks exp and nbf against the wall clock
    body = {
        "iss": ISSUER,
        "aud": APP_ID,
        "serviceurl": bot.connector.url,
        "nbf": now - 60,
        "iat": now - 60,
        "exp": now + expires_in,
        **claims,
    }
    signing_key: Any = key if algorithm == "RS256" else None
    return jwt.encode(body, signing_key, algorithm=algorithm, headers={"kid": kid})


async def post(bot: Bot, authorization: str | None) -> httpx.Response:
    headers = {"Authorization": authorization} if authorization is not None else {}
    async with httpx.AsyncClient() as client:
        return await client.post(
            f"{bot.url}/api/messages", json=fetch_task(bot), headers=headers, timeout=20
        )


def nothing_happened(bot: Bot) -> None:
    """The turn never started: no reply, no conversation remembered, no workspace made."""
    assert bot.connector.calls == []
    with Session(bot.engine) as session:
        assert session.exec(select(ChatConversation)).all() == []
        assert session.exec(select(Workspace)).all() == []


async def test_a_correct_token_is_accepted(
    bot: Bot, trusted_key: rsa.RSAPrivateKey, metadata: MetadataServer
) -> None:
    """The control: the same harness accepts a token that is right in every respect."""
    response = await post(bot, f"Bearer {token(bot, trusted_key)}")
    assert response.status_code == 200, response.text
    assert response.json()["task"]["value"]["title"] == "Save as customer story"
    assert bot.rejections == []
    assert metadata.requests == ["/v1/.well-known/openidconfiguration", "/v1/.well-known/keys"]
    with Session(bot.engine) as session:
        assert session.exec(select(ChatConversation)).one().conversation_id == "a:personal-1"


@pytest.mark.parametrize("authorization", [None, "", "Basic YWxhZGRpbjpvcGVuc2VzYW1l"])
async def test_no_bearer_token_is_refused_before_botbuilder(
    bot: Bot, authorization: str | None
) -> None:
    response = await post(bot, authorization)
    assert response.status_code == 401
    assert bot.rejections == []  # refused by Sightline itself: no token to validate
    nothing_happened(bot)


Case = Callable[[Bot, rsa.RSAPrivateKey, rsa.RSAPrivateKey], str]
CASES: dict[str, tuple[Case, type[BaseException], str]] = {
    "garbage": (lambda b, k, f: "Bearer garbage", jwt.DecodeError, ""),
    "signed with a key the bot does not trust": (
        lambda b, k, f: f"Bearer {token(b, f)}",
        jwt.InvalidSignatureError,
        "Signature verification failed",
    ),
    "a key id the metadata does not publish": (
        # botbuilder looks the key id up in the published keys and finds none.
        lambda b, k, f: f"Bearer {token(b, f, kid='someone-elses-key')}",
        IndexError,
        "",
    ),
    "unsigned (alg none)": (
        lambda b, k, f: f"Bearer {token(b, k, algorithm='none')}",
        Exception,
        "Token signing algorithm not in allowed list",
    ),
    "wrong issuer": (
        lambda b, k, f: f"Bearer {token(b, k, iss='https://sts.example.com/')}",
        PermissionError,
        "No valid identity",
    ),
    "wrong audience": (
        lambda b, k, f: f"Bearer {token(b, k, aud='another-bots-app-id')}",
        PermissionError,
        "Invalid AppId",
    ),
    "expired": (
        lambda b, k, f: f"Bearer {token(b, k, expires_in=-3600)}",
        jwt.ExpiredSignatureError,
        "expired",
    ),
    "issued for another service URL": (
        lambda b, k, f: f"Bearer {token(b, k, serviceurl='https://smba.example.com/')}",
        PermissionError,
        "service_url claim do not match",
    ),
}


@pytest.mark.parametrize("case", CASES)
async def test_bad_token_is_401_for_the_right_reason(
    bot: Bot,
    trusted_key: rsa.RSAPrivateKey,
    foreign_key: rsa.RSAPrivateKey,
    case: str,
) -> None:
    make, reason, message = CASES[case]
    response = await post(bot, make(bot, trusted_key, foreign_key))
    assert response.status_code == 401, response.text
    assert "Traceback" not in response.text
    [rejection] = bot.rejections
    assert isinstance(rejection, reason), repr(rejection)
    assert message in str(rejection)
    nothing_happened(bot)
