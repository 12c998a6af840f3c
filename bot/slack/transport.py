"""Talking to Slack's Web API: retrying clients, one pooled HTTP session for `respond()`,
de-duplicating retried events, and finding a workspace's client."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import ClientSession
from cachetools import LRUCache
from slack_bolt.async_app import AsyncBoltContext, AsyncBoltRequest, AsyncRespond
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook import WebhookResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.runtime import Runtime
from bot.settings import Settings, slack_mode
from bot.slack.oauth import ThreadedInstallationStore, installation_store
from handlers.slack.sender import ClientFor, SlackDeliveryError

logger = logging.getLogger(__name__)
RATE_LIMIT_RETRIES = 5
SEEN_EVENTS = 10_000
POST_METHOD = "chat.postMessage"


def retry_handlers(on_rate_limited: Callable[[], None] | None = None) -> list[AsyncRetryHandler]:
    """Retry 429s after Retry-After, and connection errors and 5xx answers with backoff
    (slack_sdk's handlers), except for posting a message: a post that failed that way may
    have landed, so the prompt sender checks the channel before it retries one.

    Args:
        on_rate_limited: called on every 429 (the metrics count them).
    """
    return [
        _CountedRateLimit(max_retry_count=RATE_LIMIT_RETRIES, on_rate_limited=on_rate_limited),
        _NotForPosts(AsyncConnectionErrorRetryHandler(max_retry_count=2)),
        _NotForPosts(AsyncServerErrorRetryHandler(max_retry_count=2)),
    ]


class _CountedRateLimit(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 handler, telling someone about each 429 it meets."""

    def __init__(self, *, max_retry_count: int, on_rate_limited: Callable[[], None] | None) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._on_rate_limited = on_rate_limited

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        limited = response is not None and response.status_code == 429
        if limited and self._on_rate_limited is not None:
            self._on_rate_limited()
        return limited


class _NotForPosts(AsyncRetryHandler):
    """A retry handler that never repeats ``chat.postMessage`` (which is not idempotent)."""

    def __init__(self, inner: AsyncRetryHandler) -> None:
        super().__init__(inner.max_retry_count, inner.interval_calculator)
        self._inner = inner

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if request.url.rstrip("/").endswith(POST_METHOD):
            return False
        return await self._inner._can_retry_async(
            state=state, request=request, response=response, error=error
        )


def build_web_client(
    settings: Settings,
    token: str | None = None,
    *,
    on_rate_limited: Callable[[], None] | None = None,
) -> AsyncWebClient:
    """A Web API client for ``SIGHTLINE_SLACK_API_URL`` (GovSlack, tests) with retries."""
    return AsyncWebClient(
        token=token,
        base_url=str(settings.slack_api_url),
        retry_handlers=retry_handlers(on_rate_limited),
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


def pooled_respond(client: AsyncWebClient) -> Callable[..., Awaitable[None]]:
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
        client = single or build_web_client(
            settings, settings.slack_bot_token.get_secret_value(), on_rate_limited=counted(runtime)
        )

        async def the_client(_team_id: str) -> AsyncWebClient:
            return client

        return the_client
    store = ThreadedInstallationStore(installation_store(settings, runtime.engine))

    async def installed_client(team_id: str) -> AsyncWebClient:
        bot = await store.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or not bot.bot_token:
            raise SlackDeliveryError("Sightline is not installed in this Slack workspace")
        return build_web_client(settings, bot.bot_token, on_rate_limited=counted(runtime))

    return installed_client


REPLAY = "sightline_replay"  # set in a replayed request's context by bot/slack/inbox.py


def counted(runtime: Runtime) -> Callable[[], None]:
    """Counts a Slack 429 in the runtime's metrics."""
    return runtime.metrics.rate_limited.labels(platform="slack").inc


class EventDeduplicator:
    """Drop Events API deliveries this process has already seen (retries, repeats).

    bolt runs a retried event again; capture is idempotent in the database anyway (unique
    source_ref), this saves the Web API calls and keeps other events from running twice.
    """

    def __init__(self, size: int = SEEN_EVENTS) -> None:
        self.seen: LRUCache[str, bool] = LRUCache(maxsize=size)

    async def __call__(
        self,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse | None]],
    ) -> BoltResponse | None:
        body = req.body
        if req.context.get(REPLAY):  # the durable inbox replaying what a dead process left
            return await next()
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if isinstance(event_id, str):
            if event_id in self.seen:
                return BoltResponse(status=200, body="")
            self.seen[event_id] = True
        return await next()
