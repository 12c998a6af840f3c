"""Line-of-sight prompts in Slack: the sender the scheduler uses, and the answer listeners.

The scheduler (bot/scheduler.py) owns timing and the exactly-once ledger; this module only
talks to Slack. Each prompt post carries Slack message metadata with its delivery id, so a
post that went out just before a crash is found again instead of being sent twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from handlers.slack import prompt_cards as cards
from handlers.slack.renderers import block_dicts
from handlers.slack.summary_blocks import summary_blocks, summary_text
from stories.answers import (
    author_notice,
    mark_not_relevant,
    record_answer,
    set_author_notifications,
)
from stories.clock import Clock
from stories.digest import DigestMessage, LeadsNotice
from stories.errors import SightlineError
from stories.models import Member, Platform, PromptTemplate, Story
from stories.prompt_ledger import get_delivery
from stories.prompts import AuthorNotice, PromptMessage, ReminderMessage
from stories.redaction import Redactor
from stories.workspaces import ensure_member, ensure_workspace

logger = logging.getLogger(__name__)
T = TypeVar("T")
Run = Callable[[Callable[[Session], T]], Awaitable[T]]
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
            text=reminder.text,
            blocks=block_dicts(cards.reminder_blocks(reminder.text)),
        )

    async def notify_author(self, *, notice: AuthorNotice) -> None:
        client = await self._client_for(notice.workspace_external_id)
        opened = await client.conversations_open(users=notice.author_platform_user_id)
        await self._post(
            client,
            channel=opened["channel"]["id"],
            text=f"{notice.department_name} reflected on your customer story",
            blocks=block_dicts(cards.author_notice_blocks(notice)),
        )

    async def send_digest(self, *, digest: DigestMessage) -> str:
        """The weekly summary in the leads' channel, with its chart as an image after it."""
        client = await self._client_for(digest.workspace_external_id)
        note = "📈 The chart follows this message." if digest.chart_png else None
        response = await self._post(
            client,
            channel=digest.destination,
            text="Weekly digest · " + summary_text(digest.summary),
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
            text=notice.text,
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


class PromptListeners:
    """Answer, "Not relevant to us" and the author's "stop these messages" button."""

    def __init__(
        self, *, run: Run[Any], clock: Clock, redactor: Redactor, sender: SlackPromptSender
    ) -> None:
        self._run = run
        self._clock = clock
        self._redactor = redactor
        self._sender = sender

    def register(self, app: AsyncApp, guard: Callable[[Any], Any]) -> None:
        app.action(cards.ANSWER_ACTION)(guard(self.answer_clicked))
        app.action(cards.NOT_RELEVANT_ACTION)(guard(self.not_relevant_clicked))
        app.action(cards.NOTICES_OFF_ACTION)(guard(self.notices_off_clicked))
        app.view_submission(cards.ANSWER_CALLBACK)(guard(self.answer_submitted))

    def _member(self, session: Session, body: dict[str, Any]) -> Member:
        team = body.get("team") or {}
        user = body["user"]
        team_id = team.get("id") or user.get("team_id", "")
        workspace = ensure_workspace(
            session=session,
            clock=self._clock,
            platform=Platform.SLACK,
            external_id=team_id,
            name=team.get("domain") or team_id,
        )
        return ensure_member(
            session=session,
            clock=self._clock,
            workspace_id=workspace.id or 0,
            platform_user_id=user["id"],
        )

    async def answer_clicked(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        delivery_id = int(action["value"])

        def load(session: Session) -> tuple[str, str]:
            delivery = get_delivery(session=session, delivery_id=delivery_id)
            template = session.get(PromptTemplate, delivery.template_id or 0)
            story = session.get(Story, delivery.story_id or 0)
            return (template.text if template else "Your answer"), (story.text if story else "")

        question, story_text = await self._run(load)
        await client.views_open(
            trigger_id=body["trigger_id"],
            view=cards.answer_modal(
                delivery_id=delivery_id, question=question, story_text=story_text
            ),
        )

    async def answer_submitted(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        delivery_id = int(view["private_metadata"])
        text = view["state"]["values"][cards.ANSWER_BLOCK][cards.ANSWER_INPUT].get("value") or ""

        def store(session: Session) -> tuple[int, bool, str, str | None, AuthorNotice | None]:
            member = self._member(session, body)
            result = record_answer(
                session=session,
                clock=self._clock,
                redactor=self._redactor,
                delivery_id=delivery_id,
                member=member,
                text=text,
            )
            delivery = get_delivery(session=session, delivery_id=delivery_id)
            answer_id = result.answer.id or 0
            notice = author_notice(session=session, answer_id=answer_id) if result.created else None
            return answer_id, result.created, result.answer.text, delivery.message_ref, notice

        try:
            _, created, stored_text, message_ref, notice = await self._run(store)
        except SightlineError as exc:
            await ack(response_action="errors", errors={cards.ANSWER_BLOCK: str(exc)})
            return
        await ack()
        if message_ref:
            channel, _, ts = message_ref.partition(":")
            user_id = body["user"]["id"]
            await client.chat_postMessage(
                channel=channel,
                thread_ts=ts,
                text=f"<@{user_id}> answered",
                blocks=block_dicts(
                    cards.answer_posted(
                        user_id=user_id, answer_text=stored_text, edited=not created
                    )
                ),
            )
        if notice is not None:
            try:
                await self._sender.notify_author(notice=notice)
            except Exception:  # the answer is stored; a failed DM must not hide that
                logger.exception("could not tell the author of story %s", notice.story_id)

    async def not_relevant_clicked(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        delivery_id = int(action["value"])

        def mark(session: Session) -> None:
            member = self._member(session, body)
            mark_not_relevant(
                session=session, clock=self._clock, delivery_id=delivery_id, member=member
            )

        await self._run(mark)
        await respond(
            response_type="ephemeral",
            replace_original=False,
            text="Thanks: stories like this one will come to your department less often.",
        )

    async def notices_off_clicked(
        self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()

        def switch_off(session: Session) -> None:
            member = self._member(session, body)
            set_author_notifications(
                session=session, clock=self._clock, member_id=member.id or 0, enabled=False
            )

        await self._run(switch_off)
        await respond(
            replace_original=False,
            text="Done: you will no longer hear when other departments reflect on your stories.",
        )
