"""Slack composition: the bolt AsyncApp, its Web API clients, OAuth stores and transports.

Three ways to run, all decided from settings:

* single workspace: ``SLACK_BOT_TOKEN`` + ``SLACK_SIGNING_SECRET``;
* multi-workspace OAuth: ``SLACK_CLIENT_ID`` + ``SLACK_CLIENT_SECRET`` + signing secret, with
  installations and OAuth state in Sightline's database (slack_sdk's SQLAlchemy stores);
* Socket Mode on top of either when ``SLACK_APP_TOKEN`` is set (no public URL needed).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import ClientSession, web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp, AsyncBoltContext, AsyncBoltRequest, AsyncRespond
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook import WebhookResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient
from sqlalchemy import Engine

if TYPE_CHECKING:
    # slack_sdk's SQLAlchemy stores import sqlalchemy.ext.asyncio, which needs greenlet:
    # imported only in OAuth mode so single-workspace and Socket Mode never need it.
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

from bot.runtime import Runtime
from bot.scheduler import PromptScheduler
from bot.settings import Settings
from handlers.slack.listeners import ANSWER_READY, Listeners, SlackDeps, register
from handlers.slack.prompts import ClientFor, SlackDeliveryError, SlackPromptSender

logger = logging.getLogger(__name__)

# The bot scopes Sightline needs, and nothing more (kept in step with the manifest).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "channels:read",
    "channels:history",
    "groups:history",
    "groups:read",
    "im:write",
    "files:write",
    "reactions:read",
    "users:read",
    "usergroups:read",
)
EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
OAUTH_STATE_SECONDS = 600
RATE_LIMIT_RETRIES = 5


def slack_mode(settings: Settings) -> str | None:
    """ "oauth", "single" or None (Slack not configured)."""
    if settings.slack_signing_secret is None and settings.slack_app_token is None:
        return None
    if settings.slack_client_id and settings.slack_client_secret:
        return "oauth"
    if settings.slack_bot_token is not None:
        return "single"
    return None


def retry_handlers() -> list[AsyncRetryHandler]:
    """Retry 429s after Retry-After and transient connection errors (slack_sdk's handlers)."""
    return [
        AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
    ]


def build_web_client(settings: Settings, token: str | None = None) -> AsyncWebClient:
    """A Web API client for ``SIGHTLINE_SLACK_API_URL`` (GovSlack, tests) with retries."""
    return AsyncWebClient(
        token=token, base_url=str(settings.slack_api_url), retry_handlers=retry_handlers()
    )


class ThreadedInstallationStore(AsyncInstallationStore):
    """slack_sdk's SQLAlchemyInstallationStore, run in worker threads for the async app.

    The store itself is synchronous (our engines are sync: SQLite and psycopg); running it
    in a thread keeps the event loop free while it reads and writes the same tables.
    """

    def __init__(self, store: SQLAlchemyInstallationStore) -> None:
        self.store = store

    @property
    def logger(self) -> logging.Logger:
        return logger

    async def async_save(self, installation: Installation) -> None:
        await asyncio.to_thread(self.store.save, installation)

    async def async_save_bot(self, bot: Bot) -> None:
        await asyncio.to_thread(self.store.save_bot, bot)

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        return await asyncio.to_thread(
            self.store.find_bot,
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        return await asyncio.to_thread(
            self.store.find_installation,
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(self.store.delete_bot, enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        await asyncio.to_thread(
            self.store.delete_installation,
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
        )

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(self.store.delete_all, enterprise_id=enterprise_id, team_id=team_id)


class ThreadedOAuthStateStore(AsyncOAuthStateStore):
    """slack_sdk's SQLAlchemyOAuthStateStore, run in worker threads."""

    def __init__(self, store: SQLAlchemyOAuthStateStore) -> None:
        self.store = store

    @property
    def logger(self) -> logging.Logger:
        return logger

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        return await asyncio.to_thread(self.store.issue, *args, **kwargs)

    async def async_consume(self, state: str) -> bool:
        return await asyncio.to_thread(self.store.consume, state)


def installation_store(settings: Settings, engine: Engine) -> SQLAlchemyInstallationStore:
    """slack_sdk's store on the tables migration 0003 creates (never create_tables())."""
    try:
        from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    except ImportError as exc:  # SQLAlchemy's asyncio module, imported by slack_sdk, needs it
        raise RuntimeError(
            "Slack OAuth mode needs the 'greenlet' package (pip install greenlet), "
            f"which slack_sdk's SQLAlchemy stores import: {exc}"
        ) from None

    assert settings.slack_client_id is not None
    return SQLAlchemyInstallationStore(client_id=settings.slack_client_id, engine=engine)


def authorization_url(settings: Settings) -> str:
    """Slack's consent page on the same host as the Web API (slack.com, slack-gov.com…)."""
    api = str(settings.slack_api_url)
    base = api[: -len("/api/")] if api.endswith("/api/") else api.rstrip("/")
    return f"{base}/oauth/v2/authorize"


def oauth_settings(settings: Settings, engine: Engine) -> AsyncOAuthSettings:
    assert settings.slack_client_secret is not None
    installations = installation_store(settings, engine)  # fails clearly without greenlet
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    redirect_uri = (
        str(settings.public_url).rstrip("/") + REDIRECT_PATH if settings.public_url else None
    )
    return AsyncOAuthSettings(
        authorization_url=authorization_url(settings),
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES),
        redirect_uri=redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=ThreadedInstallationStore(installations),
        state_store=ThreadedOAuthStateStore(
            SQLAlchemyOAuthStateStore(expiration_seconds=OAUTH_STATE_SECONDS, engine=engine)
        ),
    )


class PooledRespond(AsyncRespond):
    """bolt's ``respond()``, sent on the app's pooled HTTP session.

    bolt builds a new aiohttp session, and so a new connection, for every ``respond()``. At a
    few dozen commands a second that set-up work delayed the acks of the requests behind
    it: p99 ack latency 51 ms against 17 ms without it (see BENCHMARKS.md).
    """

    def __init__(self, *, response_url: str, session: ClientSession, client: AsyncWebClient):
        super().__init__(response_url=response_url, proxy=client.proxy, ssl=client.ssl)
        self._webhook = AsyncWebhookClient(
            url=response_url, session=session, proxy=client.proxy, ssl=client.ssl
        )

    async def __call__(  # type: ignore[override]
        self, text: str | dict[str, Any] = "", **fields: Any
    ) -> WebhookResponse:
        body = dict(text) if isinstance(text, dict) else {"text": text, **fields}
        return await self._webhook.send_dict(body)


def _pooled_respond(client: AsyncWebClient) -> Callable[..., Awaitable[None]]:
    async def middleware(context: AsyncBoltContext, next_: Callable[[], Awaitable[None]]) -> None:
        session = client.session
        if context.response_url and session is not None and not session.closed:
            context["respond"] = PooledRespond(
                response_url=context.response_url, session=session, client=client
            )
        await next_()

    return middleware


def client_lookup(runtime: Runtime, single: AsyncWebClient | None = None) -> ClientFor:
    """How to reach a workspace's Web API: the one bot token, or its OAuth installation."""
    settings = runtime.settings
    if slack_mode(settings) == "single":
        assert settings.slack_bot_token is not None
        client = single or build_web_client(settings, settings.slack_bot_token.get_secret_value())

        async def the_client(_team_id: str) -> AsyncWebClient:
            return client

        return the_client
    store = ThreadedInstallationStore(installation_store(settings, runtime.engine))

    async def installed_client(team_id: str) -> AsyncWebClient:
        bot = await store.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or not bot.bot_token:
            raise SlackDeliveryError("Sightline is not installed in this Slack workspace")
        return build_web_client(settings, bot.bot_token)

    return installed_client


def build_prompt_sender(runtime: Runtime) -> SlackPromptSender | None:
    """The scheduler's Slack sender (bot.delivery finds it by name), or None."""
    if slack_mode(runtime.settings) is None:
        return None
    return SlackPromptSender(client_lookup(runtime), post_rate=runtime.settings.slack_post_rate)


def build_slack_app(runtime: Runtime) -> tuple[AsyncApp, Listeners]:
    """The bolt app with Sightline's listeners, for whichever mode the settings choose.

    Raises:
        ValueError: Slack is not (completely) configured.
    """
    settings = runtime.settings
    mode = slack_mode(settings)
    if mode is None:
        raise ValueError("Slack is not configured: set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN")
    signing_secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    common: dict[str, Any] = {
        "signing_secret": signing_secret,
        "client": build_web_client(settings),
        # Listeners ack first and work after; bolt answers Slack on ack.
        "process_before_response": False,
        "request_verification_enabled": signing_secret is not None,
        "ignoring_self_events_enabled": True,
    }
    if mode == "oauth":
        app = AsyncApp(oauth_settings=oauth_settings(settings, runtime.engine), **common)
        app.enable_token_revocation_listeners()
    else:
        assert settings.slack_bot_token is not None
        common["client"] = build_web_client(settings, settings.slack_bot_token.get_secret_value())
        app = AsyncApp(**common)  # the client carries the bot token
        app.event("app_uninstalled")(_token_gone)
        app.event("tokens_revoked")(_token_gone)
    app.middleware(EventDeduplicator())
    app.middleware(_pooled_respond(app.client))
    sender = SlackPromptSender(
        client_lookup(runtime, single=app.client if mode == "single" else None),
        post_rate=settings.slack_post_rate,
    )
    listeners = register(
        app,
        SlackDeps(
            runtime=runtime,
            stories_channel=settings.slack_stories_channel,
            reaction_emoji=settings.slack_reaction_emoji.strip(":"),
            cx_leads=list(settings.cx_leads),
            cx_lead_usergroup=settings.slack_cx_lead_usergroup,
            admins_are_cx_leads=settings.slack_admins_are_cx_leads,
            prompt_sender=sender,
            send_prompt_now=_manual_sender(runtime, sender),
        ),
    )
    return app, listeners


def _manual_sender(
    runtime: Runtime, sender: SlackPromptSender
) -> Callable[[int], Awaitable[tuple[str, str | None]]]:
    """`/cx prompt now`: the scheduler's manual occurrence, through the same ledger."""

    async def send_now(department_id: int) -> tuple[str, str | None]:
        scheduler = PromptScheduler(runtime, {sender.platform: sender})
        outcome = await scheduler.send_now(department_id=department_id)
        status = outcome.status.value if outcome.status is not None else "not sent"
        return status, outcome.reason

    return send_now


async def _token_gone(body: dict[str, Any]) -> None:
    # Single-workspace mode: the token lives in the environment, not in our database, and
    # Slack has already made it invalid; say so loudly, since every call fails from now on.
    logger.error(
        "Slack workspace %s uninstalled the app or revoked its tokens: SLACK_BOT_TOKEN no "
        "longer works. Reinstall the app and set the new token.",
        body.get("team_id"),
    )


class EventDeduplicator:
    """Drop Events API deliveries this process has already seen (retries, repeats).

    bolt runs a retried event again; capture is idempotent in the database anyway (unique
    source_ref), this saves the Web API calls and keeps other events from running twice.
    """

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self.seen: OrderedDict[str, None] = OrderedDict()

    async def __call__(
        self,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse | None]],
    ) -> BoltResponse | None:
        body = req.body
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if isinstance(event_id, str):
            if event_id in self.seen:
                return BoltResponse(status=200, body="")
            self.seen[event_id] = None
            if len(self.seen) > self.size:
                self.seen.popitem(last=False)
        return await next()


class SlackPlatform:
    """Slack's part of the server: HTTP endpoints and, optionally, a Socket Mode connection."""

    name = "slack"

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.app, self.listeners = build_slack_app(runtime)
        self.socket_handler: AsyncSocketModeHandler | None = None

    @property
    def mode(self) -> str:
        return slack_mode(self.runtime.settings) or "off"

    def attach(self, app: web.Application) -> None:
        if self.runtime.settings.slack_signing_secret is not None:
            # Without a signing secret nothing could be verified: Socket Mode only.
            app.router.add_post(EVENTS_PATH, self.handle_events)
        if self.app.oauth_flow is not None:
            app.router.add_get(INSTALL_PATH, self.handle_install)
            app.router.add_get(REDIRECT_PATH, self.handle_oauth_redirect)
        if self.runtime.settings.slack_app_token is not None:
            app.on_startup.append(self._start_socket_mode)
            app.on_cleanup.append(self._stop_socket_mode)
        app.on_startup.append(self._open_http_session)
        app.on_shutdown.append(self._drain)
        app.on_cleanup.append(self._close_http_session)
        logger.info(
            "Slack: %s mode, %s",
            self.mode,
            "Socket Mode" if self.runtime.settings.slack_app_token else f"HTTP at {EVENTS_PATH}",
        )

    async def handle_events(self, request: web.Request) -> web.Response:
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        if not timestamp.isdigit():
            # bolt's verifier would raise on int() and answer 500; this is simply unsigned.
            return web.json_response({"error": "invalid request"}, status=401)
        answered = asyncio.Event()
        ANSWER_READY.set(answered)  # this handler's own context: one event per request
        try:
            bolt_response = await self.app.async_dispatch(await to_bolt_request(request))
        except Exception:  # Slack must never see a 500: log it, answer politely
            logger.exception("Slack request failed")
            return web.json_response({"response_type": "ephemeral", "text": _SORRY})
        finally:
            answered.set()  # listeners' work after their ack may start now
        if bolt_response.status >= 500:
            return web.json_response({"response_type": "ephemeral", "text": _SORRY})
        return await to_aiohttp_response(bolt_response)

    async def handle_install(self, request: web.Request) -> web.Response:
        flow = self.app.oauth_flow
        assert flow is not None
        return await to_aiohttp_response(
            await flow.handle_installation(await to_bolt_request(request))
        )

    async def handle_oauth_redirect(self, request: web.Request) -> web.Response:
        flow = self.app.oauth_flow
        assert flow is not None
        return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

    async def _open_http_session(self, _app: web.Application) -> None:
        # One pooled session for every Web API call: without it slack_sdk opens (and, over
        # TLS, negotiates) a new connection per call. Bolt's per-workspace clients reuse it.
        self.app.client.session = ClientSession()

    async def _close_http_session(self, _app: web.Application) -> None:
        session, self.app.client.session = self.app.client.session, None
        if session is not None:
            await session.close()

    async def _drain(self, _app: web.Application) -> None:
        await self.listeners.drain()

    async def _start_socket_mode(self, _app: web.Application) -> None:
        token = self.runtime.settings.slack_app_token
        assert token is not None
        self.socket_handler = AsyncSocketModeHandler(
            self.app, app_token=token.get_secret_value(), web_client=self.app.client
        )
        await self.socket_handler.connect_async()  # type: ignore[no-untyped-call]

    async def _stop_socket_mode(self, _app: web.Application) -> None:
        if self.socket_handler is not None:
            await self.socket_handler.close_async()  # type: ignore[no-untyped-call]
            self.socket_handler = None


_SORRY = "Sorry, Sightline hit a problem. Nothing was lost; please try again in a moment."
