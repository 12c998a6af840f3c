"""Microsoft Teams: the Bot Framework endpoint POST /api/messages on the shared server.

The adapter is built from settings when the platform is attached, never at import. With no app
id (local testing, `teams_allow_anonymous`) the Bot Framework skips authentication.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from botbuilder.core import MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    Attachment,
    ConversationReference,
    InvokeResponse,
)
from botbuilder.schema.teams import (
    MessagingExtensionAction,
    MessagingExtensionActionResponse,
    TaskModuleContinueResponse,
    TaskModuleTaskInfo,
)
from sqlmodel import Session, col, select

from bot.runtime import Runtime
from bot.settings import Settings
from handlers.teams import cards
from stories.capture import StoryDraft, capture_story, random_shared_story
from stories.conversations import find_conversation, forget_conversation, remember_conversation
from stories.engagement import record_resonates, resonance
from stories.errors import SightlineError
from stories.models import (
    ChatConversation,
    Department,
    Member,
    Platform,
    PromptTemplate,
    SourceKind,
    Story,
)
from stories.prompt_ledger import get_delivery, mark_not_relevant, record_answer
from stories.prompts import AuthorNotice, PromptMessage, ReminderMessage
from stories.search import search_stories
from stories.workspaces import ensure_member, ensure_workspace

logger = logging.getLogger(__name__)
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
FRIENDLY = "Sorry, something went wrong on our side. Please try again."


def teams_configured(settings: Settings) -> bool:
    """Teams runs with an app id and password, or anonymously for local testing."""
    has_credentials = bool(settings.teams_app_id and settings.teams_app_password)
    return has_credentials or settings.teams_allow_anonymous


@dataclass(frozen=True)
class _AuthConfig:
    """The attribute names ConfigurationBotFrameworkAuthentication reads."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str


def card_attachment(card: cards.Card) -> Attachment:
    return Attachment(content_type=CARD_TYPE, content=card)


def _in_channel(turn: TurnContext) -> bool:
    """A team channel is public to the team; personal and group chats stay private."""
    conversation = turn.activity.conversation
    return conversation is not None and conversation.conversation_type == "channel"


def _view(session: Session, story: Story) -> cards.StoryView:
    assert story.id is not None
    return cards.StoryView(
        story_id=story.id,
        text=story.text,
        customer_label=story.customer_label,
        touchpoint=story.touchpoint,
        resonates=resonance(session=session, story_id=story.id).total,
    )


class SightlineTeamsBot(TeamsActivityHandler):  # type: ignore[misc]
    """Thin: parse the activity, call a domain service, reply with a rendered card."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @staticmethod
    def _create_invoke_response(body: object = None) -> InvokeResponse:
        # CloudAdapter.process serializes the body itself; botbuilder 4.17.1's handler has
        # already serialized it to a dict, which msrest then cannot serialize a second time.
        return InvokeResponse(status=200, body=body)

    def _ids(self, turn: TurnContext) -> tuple[str, str, str]:
        activity = turn.activity
        tenant = (activity.conversation.tenant_id if activity.conversation else None) or (
            (activity.channel_data or {}).get("tenant", {}).get("id") or "local"
        )
        user = activity.from_property
        user_id = (user.aad_object_id or user.id) if user else "unknown"
        name = (user.name if user else None) or user_id
        return tenant, user_id, name

    def _member(self, session: Session, turn: TurnContext) -> tuple[int, int]:
        tenant, user_id, name = self._ids(turn)
        clock = self.runtime.clock
        workspace = ensure_workspace(
            session=session, clock=clock, platform=Platform.TEAMS, external_id=tenant, name=tenant
        )
        assert workspace.id is not None
        member = ensure_member(
            session=session,
            clock=clock,
            workspace_id=workspace.id,
            platform_user_id=user_id,
            display_name=name,
        )
        assert member.id is not None
        return workspace.id, member.id

    async def on_turn(self, turn_context: TurnContext) -> None:
        await self._remember(turn_context)
        await super().on_turn(turn_context)

    async def _remember(self, turn: TurnContext) -> None:
        """Keep this conversation's reference fresh (or drop it when the bot is removed)."""
        activity = turn.activity
        conversation = activity.conversation
        if conversation is None or not conversation.id:
            return
        removed = activity.type == ActivityTypes.installation_update and (
            activity.action or ""
        ).startswith("remove")
        if activity.type == ActivityTypes.conversation_update and activity.members_removed:
            bot_id = activity.recipient.id if activity.recipient else None
            removed = any(m.id == bot_id for m in activity.members_removed)
        reference = TurnContext.get_conversation_reference(activity).serialize()
        tenant = self._ids(turn)[0]
        clock = self.runtime.clock

        def save(session: Session) -> None:
            if removed:
                forget_conversation(session=session, clock=clock, conversation_id=conversation.id)
                return
            workspace = ensure_workspace(
                session=session,
                clock=clock,
                platform=Platform.TEAMS,
                external_id=tenant,
                name=tenant,
            )
            remember_conversation(
                session=session,
                clock=clock,
                workspace_id=workspace.id or 0,
                conversation_id=conversation.id,
                kind=conversation.conversation_type or "personal",
                reference=reference,
            )

        try:
            await self.runtime.run(save)
        except Exception:  # a lost reference only delays proactive prompts; keep the turn
            logger.exception("could not save the Teams conversation reference")

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        value = activity.value if isinstance(activity.value, dict) else None
        if value and value.get("sightline") == "resonate":
            await self._resonate(turn_context, int(value["story_id"]))
            return
        if value and value.get("sightline") in ("answer", "not_relevant"):
            await self._prompt_action(turn_context, value)
            return
        text = TurnContext.remove_recipient_mention(activity) or activity.text or ""
        command, _, rest = text.strip().partition(" ")
        command = command.lower()
        try:
            card = await self._command(turn_context, command, rest.strip())
        except SightlineError as exc:
            card = cards.error_card(str(exc))
        await turn_context.send_activity(MessageFactory.attachment(card_attachment(card)))

    async def _command(self, turn: TurnContext, command: str, rest: str) -> cards.Card:
        runtime = self.runtime
        if command == "story":
            source_ref = f"teams:{turn.activity.conversation.id}:{turn.activity.id}"

            def save(session: Session) -> cards.Card:
                workspace_id, member_id = self._member(session, turn)
                result = capture_story(
                    session=session,
                    clock=runtime.clock,
                    redactor=runtime.redactor,
                    draft=StoryDraft(
                        workspace_id=workspace_id,
                        text=rest,
                        source_kind=SourceKind.TEAMS_MESSAGE,
                        source_ref=source_ref,
                        author_member_id=member_id,
                        captured_by_member_id=member_id,
                        channel_private=not _in_channel(turn),
                        shared=_in_channel(turn),
                    ),
                )
                return cards.story_card(_view(session, result.story), heading="Story saved")

            return await runtime.run(save)
        if command == "search":

            def find(session: Session) -> cards.Card:
                workspace_id, _ = self._member(session, turn)
                page = search_stories(session=session, workspace_id=workspace_id, query=rest)
                views = [_view(session, hit.story) for hit in page.hits]
                return cards.search_results_card(rest, views, has_more=page.has_more)

            return await runtime.run(find)
        if command == "random":

            def pick(session: Session) -> cards.Card:
                workspace_id, _ = self._member(session, turn)
                story = random_shared_story(session=session, workspace_id=workspace_id)
                if story is None:
                    return cards.error_card("No stories yet: send “story <text>” to add one.")
                return cards.story_card(_view(session, story))

            return await runtime.run(pick)
        return cards.help_card()

    async def _prompt_action(self, turn: TurnContext, value: dict[str, Any]) -> None:
        """Answer or "Not relevant to us" from a prompt card; the card shows the outcome."""
        runtime = self.runtime
        delivery_id = int(value.get("delivery_id", 0))

        def act(session: Session) -> cards.Card:
            _, member_id = self._member(session, turn)
            member = session.get(Member, member_id)
            assert member is not None
            if value["sightline"] == "not_relevant":
                mark_not_relevant(
                    session=session, clock=runtime.clock, delivery_id=delivery_id, member=member
                )
                return cards.error_card(
                    "Thanks: stories like this one will come to your department less often."
                )
            result = record_answer(
                session=session,
                clock=runtime.clock,
                redactor=runtime.redactor,
                delivery_id=delivery_id,
                member=member,
                text=str(value.get(cards.ANSWER_INPUT) or ""),
            )
            delivery = get_delivery(session=session, delivery_id=delivery_id)
            template = session.get(PromptTemplate, delivery.template_id or 0)
            department = session.get(Department, delivery.department_id or 0)
            return cards.answered_card(
                department=department.name if department else "your department",
                question=template.text if template else "",
                answer_text=result.answer.text,
            )

        try:
            card = await runtime.run(act)
        except SightlineError as exc:
            card = cards.error_card(str(exc))
        reply = MessageFactory.attachment(card_attachment(card))
        if turn.activity.reply_to_id and value["sightline"] == "answer":
            reply.id = turn.activity.reply_to_id
            await turn.update_activity(reply)
        else:
            await turn.send_activity(reply)

    async def _resonate(self, turn: TurnContext, story_id: int) -> None:
        runtime = self.runtime

        def mark(session: Session) -> cards.Card:
            workspace_id, member_id = self._member(session, turn)
            story = session.get(Story, story_id)
            if story is None or story.workspace_id != workspace_id:
                return cards.error_card("That story no longer exists.")
            member = session.get(Member, member_id)
            assert member is not None
            record_resonates(session=session, clock=runtime.clock, story=story, member=member)
            return cards.story_card(_view(session, story))

        card = await runtime.run(mark)
        reply = MessageFactory.attachment(card_attachment(card))
        if turn.activity.reply_to_id:
            reply.id = turn.activity.reply_to_id
            await turn.update_activity(reply)
        else:
            await turn.send_activity(reply)

    async def on_teams_messaging_extension_fetch_task(
        self, turn_context: TurnContext, action: MessagingExtensionAction
    ) -> MessagingExtensionActionResponse:
        text = ""
        payload = action.message_payload
        if payload is not None and payload.body is not None:
            text = payload.body.content or ""
        return MessagingExtensionActionResponse(
            task=TaskModuleContinueResponse(
                value=TaskModuleTaskInfo(
                    title="Save as customer story",
                    card=card_attachment(cards.capture_form_card(text)),
                )
            )
        )

    async def on_teams_messaging_extension_submit_action(
        self, turn_context: TurnContext, action: MessagingExtensionAction
    ) -> MessagingExtensionActionResponse:
        data: dict[str, Any] = action.data if isinstance(action.data, dict) else {}
        runtime = self.runtime
        source_ref = f"teams-ext:{turn_context.activity.id}"

        def save(session: Session) -> cards.Card:
            workspace_id, member_id = self._member(session, turn_context)
            result = capture_story(
                session=session,
                clock=runtime.clock,
                redactor=runtime.redactor,
                draft=StoryDraft(
                    workspace_id=workspace_id,
                    text=str(data.get("text") or ""),
                    source_kind=SourceKind.TEAMS_EXTENSION,
                    source_ref=source_ref,
                    captured_by_member_id=member_id,
                    customer_label=(data.get("customer_label") or None),
                    touchpoint=(data.get("touchpoint") or None),
                    channel_private=not _in_channel(turn_context),
                    shared=_in_channel(turn_context),
                ),
            )
            return cards.story_card(_view(session, result.story), heading="Story saved")

        try:
            card = await runtime.run(save)
        except SightlineError as exc:
            card = cards.error_card(str(exc))
        await turn_context.send_activity(MessageFactory.attachment(card_attachment(card)))
        return MessagingExtensionActionResponse()


class _TrackedTurn:
    """Wraps the bot to know whether an error came before the turn (auth) or inside it."""

    def __init__(self, bot: SightlineTeamsBot) -> None:
        self.bot = bot
        self.started = False

    async def on_turn(self, context: TurnContext) -> None:
        self.started = True
        await self.bot.on_turn(context)


class TeamsPromptSender:
    """Posts line-of-sight prompts into linked Teams channels as proactive Adaptive Cards.

    Teams offers a bot no way to list a channel's messages, so ``find_sent`` cannot look for
    an earlier post: a crash between Teams accepting a prompt and the ledger recording it
    can, rarely, repeat that prompt once.
    """

    platform = Platform.TEAMS.value

    def __init__(self, runtime: Runtime, adapter: CloudAdapter, app_id: str) -> None:
        self.runtime = runtime
        self.adapter = adapter
        self.app_id = app_id
        self._locks: dict[str, asyncio.Lock] = {}
        self._last: dict[str, float] = {}

    async def _send(self, conversation_id: str, activity: Activity) -> str:
        saved = await self.runtime.run(
            lambda session: find_conversation(session=session, conversation_id=conversation_id)
        )
        if saved is None:
            raise TeamsDeliveryError(
                "Sightline has not been added to this Teams conversation (or was removed): "
                "add the app to the channel, then mention @Sightline there once"
            )
        reference = ConversationReference.deserialize(saved.reference)
        sent: list[str] = []

        async def post(context: TurnContext) -> None:
            response = await context.send_activity(activity)
            sent.append(response.id if response is not None and response.id else "")

        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        async with lock:  # Teams allows about 7 sends a second per conversation
            for attempt in range(SEND_ATTEMPTS):
                wait = self._last.get(conversation_id, 0.0) + SEND_INTERVAL - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                try:
                    await self.adapter.continue_conversation(reference, post, self.app_id)
                    return sent[0] if sent else ""
                except Exception as exc:
                    status, retry_after = _http_status(exc)
                    if status not in RETRYABLE or attempt == SEND_ATTEMPTS - 1:
                        raise
                    # Jittered exponential backoff, or the server's own Retry-After.
                    pause = retry_after if retry_after is not None else BACKOFF * 2**attempt
                    await asyncio.sleep(pause * random.uniform(0.8, 1.2))
                finally:
                    self._last[conversation_id] = time.monotonic()
        raise AssertionError("unreachable: the loop returns or raises")

    async def send_prompt(self, *, message: PromptMessage) -> str:
        card = cards.prompt_card(
            delivery_id=message.delivery_id,
            department=message.department_name,
            story_text=message.story_text,
            question=message.question,
            customer_label=message.customer_label,
            touchpoint=message.touchpoint,
        )
        activity = MessageFactory.attachment(card_attachment(card))
        activity.channel_data = {"sightline": {"delivery_id": message.delivery_id}}
        return await self._send(message.destination, activity)

    async def find_sent(self, *, message: PromptMessage) -> str | None:
        return None  # see the class docstring

    async def send_reminder(self, *, reminder: ReminderMessage) -> None:
        await self._send(reminder.prompt.destination, MessageFactory.text(reminder.text))

    async def notify_author(self, *, notice: AuthorNotice) -> None:
        """Reach the author in their personal chat with Sightline, if they ever opened one."""
        user = notice.author_platform_user_id

        def personal_chat(session: Session) -> str | None:
            rows = session.exec(
                select(ChatConversation).where(
                    ChatConversation.kind == "personal", col(ChatConversation.active)
                )
            ).all()
            for row in rows:
                who = row.reference.get("user") or {}
                if user in (who.get("aadObjectId"), who.get("id")):
                    return row.conversation_id
            return None

        conversation_id = await self.runtime.run(personal_chat)
        if conversation_id is None:
            logger.info("story author %s has no personal chat with Sightline yet", user)
            return
        text = (
            f"{notice.department_name} reflected on the customer story you shared "
            f"(“{notice.story_excerpt}”): {notice.answer_text}"
        )
        await self._send(conversation_id, MessageFactory.text(text))


RETRYABLE = {412, 429, 502, 504}  # what Teams asks bots to retry, with backoff
SEND_ATTEMPTS = 5
SEND_INTERVAL = 1 / 7
BACKOFF = 0.5  # seconds before the first retry when Teams gives no Retry-After


def _http_status(exc: Exception) -> tuple[int | None, float | None]:
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


class TeamsDeliveryError(Exception):
    """Teams cannot take a prompt for this destination; the message says why."""


def _adapter(settings: Settings) -> tuple[CloudAdapter, str]:
    password = settings.teams_app_password
    config = _AuthConfig(
        APP_ID=settings.teams_app_id or "",
        APP_PASSWORD=password.get_secret_value() if password else "",
        APP_TYPE=settings.teams_app_type,
        APP_TENANTID=settings.teams_app_tenant_id or "",
    )
    return CloudAdapter(ConfigurationBotFrameworkAuthentication(config)), config.APP_ID


def build_prompt_sender(runtime: Runtime) -> TeamsPromptSender | None:
    """The scheduler's Teams sender (bot.delivery finds it by name), or None."""
    if not teams_configured(runtime.settings):
        return None
    adapter, app_id = _adapter(runtime.settings)
    return TeamsPromptSender(runtime, adapter, app_id)


class TeamsPlatform:
    """Adds POST /api/messages; the adapter is built from settings in attach()."""

    name = "teams"

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def attach(self, app: web.Application) -> None:
        adapter, app_id = _adapter(self.runtime.settings)
        bot = SightlineTeamsBot(self.runtime)

        async def on_error(context: TurnContext, error: Exception) -> None:
            logger.error("Teams turn failed", exc_info=error)
            try:
                await context.send_activity(FRIENDLY)
            except Exception:  # the connector itself may be what failed
                logger.exception("could not tell the user about the failure")

        adapter.on_turn_error = on_error

        auth_required = bool(app_id)

        async def messages(request: web.Request) -> web.StreamResponse:
            header = request.headers.get("Authorization", "")
            if auth_required and not header.startswith("Bearer "):
                # botbuilder 4.17.1 lets an absent header ("" is not None) through to the bot.
                return web.json_response({"error": "unauthorized"}, status=401)
            turn = _TrackedTurn(bot)
            try:
                response = await adapter.process(request, turn)
            except web.HTTPException as exc:
                if exc.status in (401, 403, 415):
                    raise
                logger.exception("Teams request failed")
                return web.json_response({"error": FRIENDLY}, status=200)
            except Exception:
                if auth_required and not turn.started:
                    # Malformed, expired or foreign tokens surface as jwt/ValueError/KeyError
                    # before the turn starts; the SDK would answer 500.
                    logger.warning("Teams request rejected: invalid token", exc_info=True)
                    return web.json_response({"error": "unauthorized"}, status=401)
                logger.exception("Teams request failed")  # never 500: the connector retries
                return web.json_response({"error": FRIENDLY}, status=200)
            return response if response is not None else web.Response(status=200)

        app.router.add_post("/api/messages", messages)


__all__ = ["Activity", "ActivityTypes", "InvokeResponse", "TeamsPlatform", "teams_configured"]
