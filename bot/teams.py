"""Microsoft Teams: the Bot Framework endpoint POST /api/messages on the shared server.

The adapter is built from settings when the platform is attached, never at import. With no app
id (local testing, `teams_allow_anonymous`) the Bot Framework skips authentication.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from botbuilder.core import MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity, ActivityTypes, Attachment, InvokeResponse
from botbuilder.schema.teams import (
    MessagingExtensionAction,
    MessagingExtensionActionResponse,
    TaskModuleContinueResponse,
    TaskModuleTaskInfo,
)
from sqlmodel import Session

from bot.runtime import Runtime
from bot.settings import Settings
from handlers.teams import cards
from stories.capture import StoryDraft, capture_story, random_shared_story
from stories.engagement import record_resonates, resonance
from stories.errors import SightlineError
from stories.models import Member, Platform, SourceKind, Story
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

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        value = activity.value if isinstance(activity.value, dict) else None
        if value and value.get("sightline") == "resonate":
            await self._resonate(turn_context, int(value["story_id"]))
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


class TeamsPlatform:
    """Adds POST /api/messages; the adapter is built from settings in attach()."""

    name = "teams"

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def attach(self, app: web.Application) -> None:
        settings = self.runtime.settings
        password = settings.teams_app_password
        config = _AuthConfig(
            APP_ID=settings.teams_app_id or "",
            APP_PASSWORD=password.get_secret_value() if password else "",
            APP_TYPE=settings.teams_app_type,
            APP_TENANTID=settings.teams_app_tenant_id or "",
        )
        adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(config))
        bot = SightlineTeamsBot(self.runtime)

        async def on_error(context: TurnContext, error: Exception) -> None:
            logger.error("Teams turn failed", exc_info=error)
            try:
                await context.send_activity(FRIENDLY)
            except Exception:  # the connector itself may be what failed
                logger.exception("could not tell the user about the failure")

        adapter.on_turn_error = on_error

        auth_required = bool(config.APP_ID)

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
