"""Line-of-sight prompts in Slack: the sender the scheduler uses to post them.

The scheduler (bot/scheduler.py) owns timing and the exactly-once ledger; this module only
talks to Slack. Each prompt post carries Slack message metadata with its delivery id, so a
post that went out just before a crash is found again instead of being sent twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack import prompt_cards as cards
from handlers.slack.blocks import block_dicts, fallback
from handlers.slack.summary_blocks import summary_blocks, summary_text
from stories.digest import DigestMessage, LeadsNotice
from stories.models import Platform
from stories.prompts import PromptMessage, ReminderMessage

logger = logging.getLogger(__name__)
ClientFor = Callable[[str], Awaitable[AsyncWebClient]]

# Errors after which retrying the same channel cannot help; said in words leads understand.
PERMANENT = {
    "channel_not_found": "the channel no longer exists or the bot cannot see it",
    "not_in_channel": "the bot is not a member of the channel; invite @Sightline",
    "is_archived": "the channel is archived",
    "channel_is_archived": "the channel is archived",
    "restricted_action": "the workspace does not allow the bot to post there",
    "invalid_auth": "the Slack token is no longer valid; reinstall Sightline",
    "token_revoked": "the Slack token was revoked; reinstall Sightline",
    "account_inactive": "the Slack app was uninstalled",
}
CHANNEL_PACE_SECONDS = 1.0  # Slack allows about one message per second per channel
HISTORY_LOOKBACK_SECONDS = 6 * 3600


class SlackDeliveryError(Exception):
    """Slack refused a post for good; the message is the reason shown to leads."""


class SlackPromptSender:
    """Posts prompts, reminders and author notices through the Slack Web API."""

    platform = Platform.SLACK.value

    def __init__(self, client_for: ClientFor, *, post_rate: float | None = None) -> None:
        """``post_rate``: messages per second across all channels (None: only per channel)."""
        self._client_for = client_for
        self._last_post: dict[str, float] = {}
        self._channel_locks: dict[str, asyncio.Lock] = {}
        self._interval = 1.0 / post_rate if post_rate else 0.0
        self._next_slot = 0.0

    async def client_for(self, team: str) -> AsyncWebClient:
        """The Web API client for a workspace (the dashboard's post follow-ups use it)."""
        return await self._client_for(team)

    async def send_prompt(self, *, message: PromptMessage) -> str:
        client = await self._client_for(message.workspace_external_id)
        response = await self._post(
            client,
            channel=message.destination,
            text=cards.prompt_text(message),
            blocks=block_dicts(cards.prompt_blocks(message)),
            metadata=cards.prompt_metadata(message),
        )
        return f"{response['channel']}:{response['ts']}"

    async def find_sent(self, *, message: PromptMessage) -> str | None:
        client = await self._client_for(message.workspace_external_id)
        oldest = message.occurrence_at.timestamp() - HISTORY_LOOKBACK_SECONDS
        try:
            history = await client.conversations_history(
                channel=message.destination,
                oldest=f"{oldest:.6f}",
                include_all_metadata=True,
                limit=200,
            )
        except SlackApiError as exc:
            raise _failure(exc) from exc
        posts: list[dict[str, Any]] = history.get("messages", [])
        for post in posts:
            metadata = post.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == cards.METADATA_EVENT and str(
                payload.get("delivery_id")
            ) == str(message.delivery_id):
                return f"{message.destination}:{post['ts']}"
        return None

    async def send_reminder(self, *, reminder: ReminderMessage) -> None:
        channel, _, ts = reminder.message_ref.partition(":")
        client = await self._client_for(reminder.prompt.workspace_external_id)
        await self._post(
            client,
            channel=channel,
            thread_ts=ts,
            text=fallback(reminder.text),
            blocks=block_dicts(cards.reminder_blocks(reminder.text)),
        )

    async def send_digest(self, *, digest: DigestMessage) -> str:
        """The weekly summary in the leads' channel, with its chart as an image after it."""
        client = await self._client_for(digest.workspace_external_id)
        note = "📈 The chart follows this message." if digest.chart_png else None
        response = await self._post(
            client,
            channel=digest.destination,
            text=fallback("Weekly digest · " + summary_text(digest.summary)),
            blocks=block_dicts(summary_blocks(digest.summary, chart_note=note)),
        )
        ref = f"{response['channel']}:{response['ts']}"
        if digest.chart_png:
            period = digest.summary.period
            try:
                await upload_chart(
                    client,
                    channel=digest.destination,
                    png=digest.chart_png,
                    filename=f"sightline-digest-{period.start:%Y-%m-%d}.png",
                    title=f"Stories per week and response rate, {period.label}",
                )
            except SlackApiError as exc:
                # The digest itself is delivered (and must not be posted twice); say why
                # the picture is missing where the leads will look for it.
                error = exc.response.get("error")
                logger.warning("digest chart upload failed: %s", error)
                await self._post(
                    client,
                    channel=digest.destination,
                    thread_ts=response["ts"],
                    text=f"The chart could not be attached ({error}). Run `/cx summary` for it.",
                )
        return ref

    async def send_leads_notice(self, *, notice: LeadsNotice) -> str:
        client = await self._client_for(notice.workspace_external_id)
        response = await self._post(
            client,
            channel=notice.destination,
            text=fallback(notice.text),
            blocks=block_dicts(cards.reminder_blocks(notice.text)),
        )
        return f"{response['channel']}:{response['ts']}"

    async def channel_members(self, *, workspace_external_id: str, destination: str) -> list[str]:
        """Who is in a department's channel (people only), for the department roster.

        Raises:
            SlackDeliveryError: the channel cannot be read; the message says why.
        """
        client = await self._client_for(workspace_external_id)
        bot_user = (await client.auth_test()).get("user_id")
        members: list[str] = []
        cursor: str | None = None
        try:
            while True:
                page = await client.conversations_members(
                    channel=destination, limit=1000, cursor=cursor
                )
                listed: list[str] = page.get("members", [])
                members += [m for m in listed if m != bot_user]
                cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
                if not cursor:
                    return members
        except SlackApiError as exc:
            raise _failure(exc) from exc

    async def _post(self, client: AsyncWebClient, *, channel: str, **fields: Any) -> Any:
        lock = self._channel_locks.setdefault(channel, asyncio.Lock())
        async with lock:  # one post at a time per channel, at Slack's pace
            wait = self._last_post.get(channel, 0.0) + CHANNEL_PACE_SECONDS - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if self._interval:
                # Reserve the next workspace-wide slot before sleeping, so concurrent sends
                # queue in order instead of all waking together and meeting a 429.
                slot = max(time.monotonic(), self._next_slot)
                self._next_slot = slot + self._interval
                await asyncio.sleep(slot - time.monotonic())
            try:
                # 429s are retried after Retry-After by the client's retry handlers.
                return await client.chat_postMessage(channel=channel, **fields)
            except SlackApiError as exc:
                raise _failure(exc) from exc
            finally:
                self._last_post[channel] = time.monotonic()


async def upload_chart(
    client: AsyncWebClient, *, channel: str, png: bytes, filename: str, title: str
) -> None:
    """Share a PNG in a conversation (slack_sdk's three-step external upload)."""
    await client.files_upload_v2(
        channel=channel, content=png, filename=filename, title=title, alt_txt=title
    )


def _failure(exc: SlackApiError) -> Exception:
    error = str(exc.response.get("error", "")) if exc.response is not None else ""
    if error in PERMANENT:
        return SlackDeliveryError(f"{PERMANENT[error]} ({error})")
    return exc
