"""Slack composition: the bolt AsyncApp, its sender and listeners, and its endpoints.

Three ways to run, all decided from settings:

* single workspace: ``SLACK_BOT_TOKEN`` + ``SLACK_SIGNING_SECRET``;
* multi-workspace OAuth: ``SLACK_CLIENT_ID`` + ``SLACK_CLIENT_SECRET`` + signing secret, with
  installations and OAuth state in Sightline's database (slack_sdk's SQLAlchemy stores);
* Socket Mode on top of either when ``SLACK_APP_TOKEN`` is set (no public URL needed).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientSession, web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.listener.async_builtins import AsyncTokenRevocationListeners
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.allowance import SharedAllowance
from bot.runtime import Runtime
from bot.scheduler.config import default_instance_name
from bot.settings import slack_mode
from bot.slack.inbox import SlackInbox
from bot.slack.oauth import INSTALL_PATH, REDIRECT_PATH, oauth_settings
from bot.slack.shape import well_formed
from bot.slack.socket_inbox import InboxSocketModeHandler
from bot.slack.transport import (
    EventDeduplicator,
    build_web_client,
    client_lookup,
    counted,
    pooled_respond,
)
from handlers.slack.acks import ANSWER_READY
from handlers.slack.deps import PromptNow, SlackDeps
from handlers.slack.lifecycle import register_lifecycle
from handlers.slack.listeners import Listeners, register
from handlers.slack.sender import SlackPromptSender
from stories.conversation import texts
from stories.conversation.context import CoreEnv
from stories.installs import mark_installed
from stories.models import Platform

logger = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"


@dataclass(frozen=True)
class SlackParts:
    """What Slack needs built once per process: the bolt app and the scheduler's sender."""

    app: AsyncApp
    sender: SlackPromptSender


def build_slack_parts(runtime: Runtime) -> SlackParts:
    """The bolt app (listeners come later) and the sender, for the mode settings choose.

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
        "client": build_web_client(settings, on_rate_limited=counted(runtime)),
        # Listeners ack first and work after; bolt answers Slack on ack.
        "process_before_response": False,
        "request_verification_enabled": signing_secret is not None,
        "ignoring_self_events_enabled": True,
    }
    if mode == "oauth":
        installed = _mark_installed(runtime)
        app = AsyncApp(oauth_settings=oauth_settings(settings, runtime.engine, installed), **common)
    else:
        assert settings.slack_bot_token is not None
        common["client"] = build_web_client(
            settings, settings.slack_bot_token.get_secret_value(), on_rate_limited=counted(runtime)
        )
        app = AsyncApp(**common)  # the client carries the bot token
    app.middleware(EventDeduplicator())
    app.middleware(pooled_respond(app.client))
    sender = SlackPromptSender(
        client_lookup(runtime, single=app.client if mode == "single" else None),
        allowance=shared_allowance(runtime),
        on_retry=runtime.metrics.post_retries.labels(platform="slack").inc,
    )
    return SlackParts(app=app, sender=sender)


def build_slack_sender(runtime: Runtime) -> SlackPromptSender | None:
    """The sender alone, for a process that serves no Slack requests (`prompts send`)."""
    if slack_mode(runtime.settings) is None:
        return None
    return SlackPromptSender(
        client_lookup(runtime),
        allowance=shared_allowance(runtime),
        on_retry=runtime.metrics.post_retries.labels(platform="slack").inc,
    )


def shared_allowance(runtime: Runtime) -> SharedAllowance | None:
    """The workspace-wide posting rate, shared with every other replica (None: unlimited)."""
    rate = runtime.settings.slack_post_rate
    return SharedAllowance(runtime, platform="slack", rate=rate) if rate else None


def register_listeners(
    runtime: Runtime, parts: SlackParts, core: CoreEnv, prompt_now: PromptNow | None
) -> Listeners:
    settings = runtime.settings
    deps = SlackDeps(
        core=core,
        reaction_emoji=settings.slack_reaction_emoji.strip(":"),
        cx_lead_usergroup=settings.slack_cx_lead_usergroup,
        admins_are_cx_leads=settings.slack_admins_are_cx_leads,
        prompt_now=prompt_now,
    )
    listeners = register(parts.app, deps)
    revocation = (
        AsyncTokenRevocationListeners(parts.app.installation_store)
        if parts.app.installation_store is not None and slack_mode(settings) == "oauth"
        else None
    )
    register_lifecycle(parts.app, core, revocation, listeners.inflight.guard)
    return listeners


def _mark_installed(runtime: Runtime) -> Callable[[str], None]:
    """An OAuth install completed: a removed workspace is active again, nothing deleted."""

    def mark(team_id: str) -> None:
        with runtime.session() as session:
            mark_installed(
                session=session, clock=runtime.clock, platform=Platform.SLACK, external_id=team_id
            )

    return mark


class SlackPlatform:
    """Slack's part of the server: HTTP endpoints and, optionally, a Socket Mode connection."""

    name = "slack"

    def __init__(self, runtime: Runtime, parts: SlackParts, listeners: Listeners) -> None:
        self.runtime = runtime
        self.app = parts.app
        self.listeners = listeners
        self.socket_handler: AsyncSocketModeHandler | None = None
        instance = runtime.settings.scheduler_instance or default_instance_name()
        self.inbox = SlackInbox(runtime, parts.app, instance)
        secret = runtime.settings.slack_signing_secret  # None: Socket Mode only, no HTTP
        self.verifier = SignatureVerifier(secret.get_secret_value()) if secret else None

    @property
    def mode(self) -> str:
        return slack_mode(self.runtime.settings) or "off"

    def attach(self, app: web.Application) -> None:
        if self.runtime.settings.slack_signing_secret is not None:
            # Without a signing secret nothing could be verified: Socket Mode only.
            app.router.add_post(EVENTS_PATH, self.handle_events)
        if self.runtime.settings.slack_signing_secret or self.runtime.settings.slack_app_token:
            app.on_startup.append(self._start_inbox)
            app.on_cleanup.append(self._stop_inbox)
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
        read = await self._signed_request(request)
        if isinstance(read, web.Response):
            return read
        # Recorded before bolt acknowledges it: a process killed after the ack leaves the
        # row for any replica to replay, and a retry or a second replica finds it.
        work = await self.inbox.accept(read, read.raw_body, dict(request.headers))
        if work is None:
            return web.Response(status=200)  # seen before: already being done, or done
        answered = asyncio.Event()
        ANSWER_READY.set(answered)  # this handler's own context: one event per request
        bolt_response = None
        try:
            bolt_response = await self.app.async_dispatch(read)
        except Exception:  # Slack must never see a 500: log it, answer politely
            logger.exception("Slack request failed")
            return web.json_response({"response_type": "ephemeral", "text": texts.SORRY})
        finally:
            answered.set()  # listeners' work after their ack may start now
            self.inbox.settle(work, bolt_response.status if bolt_response else 500)
        if bolt_response.status >= 500:
            return web.json_response({"response_type": "ephemeral", "text": texts.SORRY})
        return await to_aiohttp_response(bolt_response)

    async def _signed_request(self, request: web.Request) -> AsyncBoltRequest | web.Response:
        """The request for bolt, once it is known to come from Slack; else a 4xx to answer.

        Checked before bolt parses the body: bolt's parser raises on a body that is not
        UTF-8 or not the JSON it says, which would reach the log as a traceback for what is
        simply a request nobody signed.
        """
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        raw = await request.read()
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return web.json_response({"error": "invalid request"}, status=400)
        verifier = self.verifier
        assert verifier is not None  # the route exists only with a signing secret
        if not timestamp.isdigit() or not verifier.is_valid(
            body=body, timestamp=timestamp, signature=signature
        ):
            return web.json_response({"error": "invalid request"}, status=401)
        headers: dict[str, str | Sequence[str]] = {
            name: request.headers.getall(name) for name in request.headers
        }
        try:
            read = AsyncBoltRequest(body=body, query=request.query_string, headers=headers)
        except (ValueError, TypeError, KeyError, AttributeError):
            read = None  # signed, yet not the JSON or form its content type says
        if read is None or not well_formed(read.body):
            logger.warning("Slack sent a signed request Sightline cannot read; answered 400")
            return web.json_response({"error": "unreadable request"}, status=400)
        return read

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

    async def _start_inbox(self, _app: web.Application) -> None:
        await self.inbox.start()  # replays what a dead process left, then keeps watching

    async def _stop_inbox(self, _app: web.Application) -> None:
        await self.inbox.stop()

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
        self.socket_handler = InboxSocketModeHandler(
            self.app,
            inbox=self.inbox,
            app_token=token.get_secret_value(),
            web_client=self.app.client,
        )
        await self.socket_handler.connect_async()  # type: ignore[no-untyped-call]

    async def _stop_socket_mode(self, _app: web.Application) -> None:
        if self.socket_handler is not None:
            await self.socket_handler.close_async()  # type: ignore[no-untyped-call]
            self.socket_handler = None
