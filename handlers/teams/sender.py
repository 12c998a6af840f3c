"""Proactive Teams messages: prompts, replies in a prompt's thread, the storyteller's notice,
the leads' digest and notices, and department rosters.

Teams needs a conversation reference saved from an earlier turn to post unprompted (the
core keeps them, see ``stories.conversation.places``). Sends keep to about seven a second per
conversation and retry what Teams asks bots to retry (412, 429, 502, 504), after its
``Retry-After`` or with jittered exponential backoff (tenacity); any other refusal fails at
once with its reason.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, Attachment, ConversationReference
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from handlers.teams.cards import CARD_TYPE, Card, fit
from handlers.teams.history import ChannelHistory, posted_card
from handlers.teams.insights import summary_reply
from handlers.teams.ports import ChartUrls
from handlers.teams.prompt_cards import prompt_card, reminder_dm_card
from stories.conversation import places
from stories.conversation.context import CoreEnv
from stories.conversation.places import TEAM_KEY
from stories.digest import DigestMessage, LeadsNotice
from stories.models import Platform
from stories.prompts import PromptMessage, ReminderMessage

logger = logging.getLogger(__name__)
ROSTER_PAGE_SIZE = 500  # Teams' largest page of members
RETRYABLE = {412, 429, 502, 504}  # what Teams asks bots to retry, with backoff
SEND_ATTEMPTS = 5
SEND_INTERVAL = 1 / 7
BACKOFF = 0.5  # seconds before the first retry when Teams gives no Retry-After
THREAD = ";messageid="


class TeamsDeliveryError(Exception):
    """Teams cannot take a post for this destination; the message says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def card_activity(card: Card) -> Activity:
    """A message carrying one card, cut to fit; its fallback text shows in notifications."""
    fitted = fit(card)
    activity = MessageFactory.attachment(Attachment(content_type=CARD_TYPE, content=fitted))
    if fitted.get("fallbackText"):
        activity.summary = fitted["fallbackText"]
    return activity


def thread_of(conversation: str, post: str) -> str:
    """The conversation id of a post's thread in a channel, which replies are posted to.

    ``post`` is the post's activity id, or already its thread (what ``send_prompt`` returns).
    """
    if THREAD in post:
        return post
    if THREAD in conversation:
        return conversation
    return f"{conversation}{THREAD}{post}"


def message_link(conversation: str, thread: str) -> str | None:
    """A link that opens a channel post (a prompt) in Teams, from its thread reference."""
    channel, _, message = thread.partition(THREAD)
    if not message:
        return None
    return (
        f"https://teams.microsoft.com/l/message/{quote(channel or conversation, safe='')}/{message}"
    )


def http_status(exc: BaseException) -> tuple[int | None, float | None]:
    """The HTTP status and Retry-After (seconds) of a failed connector call, if known."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    headers = getattr(response, "headers", None) or {}
    raw = headers.get("Retry-After")
    try:
        retry_after = float(str(raw)) if raw else None
    except ValueError:
        retry_after = None
    return (int(status) if status is not None else None), retry_after


def _retryable(exc: BaseException) -> bool:
    return http_status(exc)[0] in RETRYABLE


_backoff = wait_exponential_jitter(multiplier=BACKOFF, jitter=BACKOFF)


def _wait(state: RetryCallState) -> float:
    """Teams' own Retry-After when it gives one, else jittered exponential backoff."""
    failure = state.outcome.exception() if state.outcome else None
    retry_after = http_status(failure)[1] if failure else None
    return retry_after if retry_after is not None else float(_backoff(state))


class TeamsSender:
    """Every proactive post, built once per process and shared by the bot and the scheduler."""

    platform = Platform.TEAMS.value

    def __init__(
        self,
        core: CoreEnv,
        adapter: CloudAdapter,
        app_id: str,
        *,
        charts: ChartUrls | None,
        history: ChannelHistory | None = None,
        on_rate_limited: Callable[[], None] | None = None,
    ) -> None:
        self.core = core
        self.on_rate_limited = on_rate_limited  # told of every 429 (the metrics count them)
        self.history = history  # reads a channel's posts (Graph); None: no way to look
        self.adapter = adapter
        self.app_id = app_id
        self.charts = charts
        self._locks: dict[str, asyncio.Lock] = {}
        self._last: dict[str, float] = {}

    def _throttled(self, state: RetryCallState) -> None:
        failure = state.outcome.exception() if state.outcome else None
        if failure is not None and http_status(failure)[0] == 429 and self.on_rate_limited:
            self.on_rate_limited()

    async def _reference(self, key: str) -> ConversationReference:
        """The saved reference of a conversation (a thread: of its channel, pointed at it)."""
        channel, _, root = key.partition(THREAD)
        saved = await asyncio.to_thread(places.reference_of, env=self.core, key=channel)
        if saved is None:
            raise TeamsDeliveryError(
                "Sightline has not been added to this Teams conversation (or was removed): "
                "add the app to the channel, then mention @Sightline there once"
            )
        reference = ConversationReference.deserialize(saved)
        if root:
            reference.conversation.id = key
        return reference

    async def _turn(
        self, reference: ConversationReference, work: Callable[[TurnContext], Awaitable[None]]
    ) -> None:
        """Run ``work`` in a proactive turn and raise what it raised.

        The adapter is shared with the bot, whose turn-error handler would otherwise swallow
        a refused send (and answer the channel "sorry"): the caller must see the failure.
        """
        failures: list[Exception] = []

        async def guarded(context: TurnContext) -> None:
            try:
                await work(context)
            except Exception as exc:  # noqa: BLE001 - re-raised below, outside the pipeline
                failures.append(exc)

        await self.adapter.continue_conversation(reference, guarded, self.app_id)
        if failures:
            raise failures[0]

    async def _continue(self, key: str, work: Callable[[TurnContext], Awaitable[None]]) -> None:
        """Run ``work`` in a proactive turn, paced per conversation, retried as Teams asks."""
        reference = await self._reference(key)
        channel = key.partition(THREAD)[0]  # a thread shares its channel's pace
        async with self._locks.setdefault(channel, asyncio.Lock()):
            retrying = AsyncRetrying(
                stop=stop_after_attempt(SEND_ATTEMPTS),
                wait=_wait,
                retry=retry_if_exception(_retryable),
                before_sleep=self._throttled,
                reraise=True,
            )
            async for attempt in retrying:
                with attempt:
                    wait = self._last.get(channel, 0.0) + SEND_INTERVAL - time.monotonic()
                    if wait > 0:
                        await asyncio.sleep(wait)
                    try:
                        await self._turn(reference, work)
                    finally:
                        self._last[channel] = time.monotonic()

    async def post(self, key: str, activity: Activity) -> str:
        """Post into a conversation (or a thread of one); return the new activity's id."""
        sent: list[str] = []

        async def send(context: TurnContext) -> None:
            response = await context.send_activity(activity)
            sent.append(response.id if response is not None and response.id else "")

        await self._continue(key, send)
        return sent[-1] if sent else ""

    async def update(self, key: str, activity_id: str, activity: Activity) -> None:
        """Replace an earlier post (a story's card, the storyteller's notice)."""
        activity.id = activity_id

        async def change(context: TurnContext) -> None:
            await context.update_activity(activity)

        await self._continue(key, change)

    async def delete(self, key: str, activity_id: str) -> None:
        """Delete an earlier post (it carried the words of someone who was erased)."""

        async def remove(context: TurnContext) -> None:
            await context.delete_activity(activity_id)

        await self._continue(key, remove)

    async def post_card(self, key: str, card: Card) -> str:
        return await self.post(key, card_activity(card))

    # --- the scheduler's sender ---------------------------------------------------------

    async def send_prompt(self, *, message: PromptMessage) -> str:
        """Post the prompt; the reference returned is its thread, where answers go."""
        activity = card_activity(prompt_card(message))
        activity.channel_data = {"sightline": {"delivery_id": message.delivery_id}}
        activity_id = await self.post(message.destination, activity)
        return thread_of(message.destination, activity_id)

    async def find_sent(self, *, message: PromptMessage) -> str | None:
        """The prompt's thread if its card is already in the channel (read through Graph, see
        :mod:`handlers.teams.history`). Without Graph (no credentials: local testing) nothing
        can be read and None is the answer, so a crash between Teams accepting the card and
        the ledger recording it repeats that one card.

        Raises:
            Exception: Graph was configured but could not be asked; the claim is left alone.
        """
        if self.history is None:
            return None
        saved = await asyncio.to_thread(places.reference_of, env=self.core, key=message.destination)
        team = (saved or {}).get(TEAM_KEY)
        if not team:
            return None  # not a team channel (a group chat): Graph lists no posts there
        reference = await self._reference(message.destination)
        posts = await self.history.recent_posts(
            tenant=message.workspace_external_id,  # the tenant that owns the channel
            team_group_id=await self._team_group(reference, str(team)),
            channel=message.destination,
        )
        found = posted_card(posts, app_id=self.history.app_id, delivery_id=message.delivery_id)
        return thread_of(message.destination, found) if found else None

    async def _team_group(self, reference: ConversationReference, team: str) -> str:
        """The team's Microsoft 365 group id, which Graph names teams by (Teams' own id is
        the General channel's). botbuilder's ``TeamsInfo.get_team_details`` calls the
        connector synchronously, on the event loop; its client is called in a worker thread."""
        group: list[str] = []

        async def details(context: TurnContext) -> None:
            connector = await TeamsInfo.get_teams_connector_client(context)
            found = await asyncio.to_thread(connector.teams.get_team_details, team)
            group.append(found.aad_group_id)

        await self._turn(reference, details)
        return group[0]

    async def send_reminder(self, *, reminder: ReminderMessage) -> int:
        """The one reminder, in each non-responder's personal chat, linking to the prompt.

        A member who never opened a personal chat with Sightline cannot be written to (Teams
        needs a saved reference): they are skipped. Returns how many recipients it reached.
        """
        card = reminder_dm_card(
            reminder.text, message_link(reminder.prompt.destination, reminder.message_ref)
        )
        reached = 0
        for user in reminder.recipients:
            chat = await asyncio.to_thread(
                places.personal_chat,
                env=self.core,
                platform=Platform.TEAMS,
                workspace=reminder.prompt.workspace_external_id,
                user=user,
            )
            try:
                if chat is None:
                    raise TeamsDeliveryError("no personal chat with Sightline yet")
                await self.post_card(chat, card)
            except Exception as exc:  # noqa: BLE001 - one unreachable member stops nobody else
                logger.warning(
                    "a reminder of delivery %s did not reach one recipient: %s",
                    reminder.prompt.delivery_id,
                    getattr(exc, "reason", None) or type(exc).__name__,
                )
                continue
            reached += 1
        return reached

    async def send_digest(self, *, digest: DigestMessage) -> str:
        """The summary card in the leads' conversation, its chart from a signed link.

        ``digest.chart_png`` goes unused: a card can only show a picture by URL, and an
        inline image would not fit Teams' 28 KB message limit.
        """
        card = summary_reply(digest.summary, self.charts, heading="Weekly digest")
        return await self.post_card(digest.destination, card)

    async def send_leads_notice(self, *, notice: LeadsNotice) -> str:
        """A short text in the leads' conversation (a prompt that could not be delivered)."""
        return await self.post(notice.destination, MessageFactory.text(notice.text))

    async def channel_members(self, *, workspace_external_id: str, destination: str) -> list[str]:
        """Who is in a department's channel (people only, by Azure AD object id). A standard
        channel's members are its team's members.

        Raises:
            TeamsDeliveryError: the channel cannot be read; the message says why.
        """
        reference = await self._reference(destination)
        bot_id = reference.bot.id if reference.bot else None
        members: list[str] = []

        async def read(context: TurnContext) -> None:
            # A proactive turn's activity has no channelData, on which TeamsInfo would
            # fail; without a team id it lists the conversation (the channel) itself.
            context.activity.channel_data = context.activity.channel_data or {}
            token: str | None = None
            while True:
                page = await TeamsInfo.get_paged_members(context, token, ROSTER_PAGE_SIZE)
                members.extend(
                    m.aad_object_id or m.id for m in page.members or [] if m.id != bot_id
                )
                token = page.continuation_token
                if not token:
                    return

        try:
            await self._turn(reference, read)
        except Exception as exc:
            status, _ = http_status(exc)
            raise TeamsDeliveryError(
                f"Teams would not list this channel's members (HTTP {status or 'error'}); "
                "check that Sightline is still installed in the team"
            ) from exc
        return members
