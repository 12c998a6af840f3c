"""Line-of-sight prompts in Slack: the sender the scheduler uses to post them.

The scheduler (bot/scheduler/) owns timing and the exactly-once ledger; this module only
talks to Slack. Each prompt post carries Slack message metadata with its delivery id, so a
post that went out just before a crash is found again instead of being sent twice.

Pacing: one post per second per channel (in this process: a department's prompt is claimed
by one replica), and the workspace-wide rate through an `Allowance` the composition root
shares between replicas (slots reserved in the database). A prompt post answered with a 5xx
or lost to a connection error may have landed: it is retried with backoff, but each retry
first looks for it in the channel (metadata, paged through everything since the occurrence).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

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
HISTORY_MARGIN_SECONDS = 60  # a post is looked for from a minute before its occurrence
HISTORY_PAGE = 200
POST_ATTEMPTS = 4  # a prompt post that failed transiently, checked before each retry
POST_BACKOFF = 0.5  # seconds before the first retry, doubling, with jitter


class Allowance(Protocol):
    """The workspace-wide posting rate, shared by every replica (built in `bot/`)."""

    async def reserve(self, workspace: str) -> float:
        """Reserve the next post's slot; return how many seconds to wait for it."""
        ...


def transient(exc: BaseException) -> bool:
    """A failure after which the post may or may not have landed: 5xx, connection, timeout."""
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", None)
        return status is not None and int(status) >= 500
    return isinstance(exc, ClientError | asyncio.TimeoutError)


class SlackDeliveryError(Exception):
    """Slack refused a post for good; the message is the reason shown to leads."""


class SlackPromptSender:
    """Posts prompts, reminders and author notices through the Slack Web API."""

    platform = Platform.SLACK.value

    def __init__(
        self,
        client_for: ClientFor,
        *,
        allowance: Allowance | None = None,
        backoff: float = POST_BACKOFF,
        on_retry: Callable[[], None] | None = None,
    ) -> None:
        """``allowance``: the shared workspace-wide rate (None: only per-channel pacing);
        ``on_retry``: told of each prompt post retried (the metrics count them)."""
        self._client_for = client_for
        self._last_post: dict[str, float] = {}
        self._channel_locks: dict[str, asyncio.Lock] = {}
        self._allowance = allowance
        self._backoff = backoff
        self.retries = 0  # transient failures retried (after checking the channel)
        self._on_retry = on_retry

    async def client_for(self, team: str) -> AsyncWebClient:
        """The Web API client for a workspace (the dashboard's post follow-ups use it)."""
        return await self._client_for(team)

    async def send_prompt(self, *, message: PromptMessage) -> str:
        client = await self._client_for(message.workspace_external_id)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(POST_ATTEMPTS),
            wait=wait_exponential_jitter(multiplier=self._backoff, jitter=self._backoff),
            retry=retry_if_exception(transient),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                if attempt.retry_state.attempt_number > 1:
                    self.retries += 1
                    if self._on_retry is not None:
                        self._on_retry()
                    # The failed post may have landed: never repeat it blindly.
                    if (found := await self.find_sent(message=message)) is not None:
                        return found
                response = await self._post(
                    client,
                    workspace=message.workspace_external_id,
                    channel=message.destination,
                    text=cards.prompt_text(message),
                    blocks=block_dicts(cards.prompt_blocks(message)),
                    metadata=cards.prompt_metadata(message),
                )
                return f"{response['channel']}:{response['ts']}"
        raise AssertionError("unreachable: tenacity re-raises the last failure")

    async def find_sent(self, *, message: PromptMessage) -> str | None:
        """The prompt's post, looked for in every message of its channel since the
        occurrence (page by page, however busy the channel), by its metadata."""
        client = await self._client_for(message.workspace_external_id)
        oldest = message.occurrence_at.timestamp() - HISTORY_MARGIN_SECONDS
        cursor: str | None = None
        while True:
            try:
                page = await client.conversations_history(
                    channel=message.destination,
                    oldest=f"{oldest:.6f}",
                    include_all_metadata=True,
                    limit=HISTORY_PAGE,
                    cursor=cursor,
                )
            except SlackApiError as exc:
                raise _failure(exc) from exc
            posts: list[dict[str, Any]] = page.get("messages", [])
            if (ts := _carrying(posts, message.delivery_id)) is not None:
                return f"{message.destination}:{ts}"
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not page.get("has_more") or not cursor:
                return None

    async def send_reminder(self, *, reminder: ReminderMessage) -> int:
        """The one reminder, in each non-responder's direct message, linking to the prompt.

        Returns how many recipients it reached; one that cannot be reached (deactivated,
        the app blocked) does not stop the others.
        """
        channel, _, ts = reminder.message_ref.partition(":")
        client = await self._client_for(reminder.prompt.workspace_external_id)
        try:
            found = await client.chat_getPermalink(channel=channel, message_ts=ts)
            link: str | None = found.get("permalink")
        except SlackApiError:
            link = None  # the reminder still says which prompt; only the button is missing
        blocks = block_dicts(cards.reminder_dm_blocks(reminder.text, link))
        reached = 0
        for user in reminder.recipients:
            try:
                opened = await client.conversations_open(users=user)
                dm = opened["channel"]["id"]
                await self._post(
                    client,
                    workspace=reminder.prompt.workspace_external_id,
                    channel=dm,
                    text=fallback(reminder.text),
                    blocks=blocks,
                )
            except (SlackApiError, SlackDeliveryError) as exc:
                logger.warning(
                    "a reminder of delivery %s did not reach one recipient: %s",
                    reminder.prompt.delivery_id,
                    _failure(exc) if isinstance(exc, SlackApiError) else exc,
                )
                continue
            reached += 1
        return reached

    async def send_digest(self, *, digest: DigestMessage) -> str:
        """The weekly summary in the leads' channel, with its chart as an image after it."""
        client = await self._client_for(digest.workspace_external_id)
        note = "📈 The chart follows this message." if digest.chart_png else None
        response = await self._post(
            client,
            workspace=digest.workspace_external_id,
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
                    workspace=digest.workspace_external_id,
                    channel=digest.destination,
                    thread_ts=response["ts"],
                    text=f"The chart could not be attached ({error}). Run `/cx summary` for it.",
                )
        return ref

    async def send_leads_notice(self, *, notice: LeadsNotice) -> str:
        client = await self._client_for(notice.workspace_external_id)
        response = await self._post(
            client,
            workspace=notice.workspace_external_id,
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

    async def _post(
        self, client: AsyncWebClient, *, workspace: str, channel: str, **fields: Any
    ) -> Any:
        lock = self._channel_locks.setdefault(channel, asyncio.Lock())
        async with lock:  # one post at a time per channel, at Slack's pace
            wait = self._last_post.get(channel, 0.0) + CHANNEL_PACE_SECONDS - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if self._allowance is not None:
                # Reserve the next workspace-wide slot (shared by every replica) before
                # sleeping, so concurrent sends queue in order instead of meeting a 429.
                await asyncio.sleep(await self._allowance.reserve(workspace))
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


def _carrying(posts: list[dict[str, Any]], delivery_id: int) -> str | None:
    """The ts of the post whose Sightline metadata names ``delivery_id``, if any."""
    for post in posts:
        metadata = post.get("metadata") or {}
        payload = metadata.get("event_payload") or {}
        if metadata.get("event_type") == cards.METADATA_EVENT and str(
            payload.get("delivery_id")
        ) == str(delivery_id):
            return str(post["ts"])
    return None


def _failure(exc: SlackApiError) -> Exception:
    error = str(exc.response.get("error", "")) if exc.response is not None else ""
    if error in PERMANENT:
        return SlackDeliveryError(f"{PERMANENT[error]} ({error})")
    return exc
