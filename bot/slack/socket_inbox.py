"""Socket Mode through the durable inbox, as HTTP requests go (bot/slack/platform.py).

bolt's Socket Mode handler acknowledges an envelope once the listener has acked; a process
killed after that would lose the work, and Slack would not send the envelope again. Here each
envelope's payload is recorded first (keyed like an HTTP request: the event id, else the whole
body), a repeat is acknowledged without running again, and a record left unfinished is
replayed by any replica (SlackInbox.replay_stale dispatches it as a Socket Mode request).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from time import time

from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import send_async_response
from slack_bolt.adapter.socket_mode.internals import build_headers
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.inbox import SlackInbox
from handlers.slack.acks import ANSWER_READY

logger = logging.getLogger(__name__)
JSON = {"content-type": "application/json"}  # how a replay reads the recorded payload back


class InboxSocketModeHandler(AsyncSocketModeHandler):
    """bolt's Socket Mode handler with every envelope recorded before it is acknowledged."""

    def __init__(
        self, app: AsyncApp, *, inbox: SlackInbox, app_token: str, web_client: AsyncWebClient
    ) -> None:
        super().__init__(app, app_token=app_token, web_client=web_client)
        self.inbox = inbox

    async def handle(  # type: ignore[override]
        self, client: SocketModeClient, req: SocketModeRequest
    ) -> None:
        start = time()
        raw = json.dumps(req.payload)
        headers: dict[str, str | Sequence[str]] = {**(build_headers(req) or {}), **JSON}
        read = AsyncBoltRequest(mode="socket_mode", body=raw, headers=headers)
        work = await self.inbox.accept(read, raw, JSON)
        if work is None:  # seen before: already being done, or done
            await send_async_response(client, req, BoltResponse(status=200, body=""), start)
            return
        answered = asyncio.Event()
        ANSWER_READY.set(answered)
        response = BoltResponse(status=200, body="")  # Slack must never see a failure
        try:
            response = await self.app.async_dispatch(read)
        except Exception:
            logger.exception("Slack Socket Mode request failed")
        finally:
            answered.set()  # listeners' work after their ack may start now
            self.inbox.settle(work, response.status)
        await send_async_response(client, req, response, start)
