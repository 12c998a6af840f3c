"""The Teams activity handler: thin. Turn the activity into a neutral context, call one core
use case, reply with a rendered card, carry out the effects."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import ActivityTypes, ChannelAccount, InvokeResponse
from botbuilder.schema.teams import (
    FileConsentCardResponse,
    MessagingExtensionAction,
    MessagingExtensionActionResponse,
    TaskModuleRequest,
    TaskModuleResponse,
)

from handlers.teams import welcome
from handlers.teams.actions import CardActions
from handlers.teams.cards import adaptive_card, task, text_block
from handlers.teams.context import context_of, conversation_key, team_of
from handlers.teams.deps import TeamsDeps
from handlers.teams.dialogs import Dialogs
from handlers.teams.leads import LeadCommands
from handlers.teams.rights import RightsCommands, is_my_data
from handlers.teams.skin import TeamsSkin
from handlers.teams.story_cards import (
    help_card,
    home_card,
    notice_card,
    search_card,
    story_reply,
    warning_card,
)
from stories.conversation import browse, capture, leads, places, texts
from stories.conversation.capture import CaptureRequest
from stories.conversation.commands import MemberAction, MemberCommand, parse_member
from stories.conversation.places import TEAM_KEY
from stories.conversation.views import Notice
from stories.errors import SightlineError, WorkspaceInactiveError
from stories.models import SourceKind

logger = logging.getLogger(__name__)


class SightlineTeamsBot(TeamsActivityHandler):  # type: ignore[misc]
    """Teams events in, neutral core calls, Adaptive Cards out."""

    def __init__(self, deps: TeamsDeps) -> None:
        self.skin = TeamsSkin(deps)
        self.core = deps.core
        self.actions = CardActions(self.skin)
        self.dialogs = Dialogs(self.skin)
        self.leads = LeadCommands(self.skin)
        self.rights = RightsCommands(self.skin)

    @staticmethod
    def _create_invoke_response(body: object = None) -> InvokeResponse:
        # CloudAdapter.process serializes the body itself; botbuilder 4.17.1's handler has
        # already serialized it to a dict, which msrest then cannot serialize a second time.
        return InvokeResponse(status=200, body=body)

    async def on_turn(self, turn_context: TurnContext) -> None:
        await self._remember(turn_context)
        await super().on_turn(turn_context)

    async def _remember(self, turn: TurnContext) -> None:
        """Keep this conversation's reference fresh (or drop it when the bot is removed)."""
        activity = turn.activity
        conversation = activity.conversation
        if conversation is None or not conversation.id:
            return
        removed, added = _installation_change(activity)
        key, team = conversation_key(activity), team_of(activity)
        try:
            if removed:
                await asyncio.to_thread(
                    places.forget, env=self.core, key=key, team=team, ctx=context_of(turn)
                )
                return
            reference = TurnContext.get_conversation_reference(activity).serialize()
            reference["conversation"]["id"] = key  # a proactive post starts a thread of its own
            if team:
                # Kept beside the reference (msrest ignores it when loading) so that removing
                # the app from a team retires every channel of that team.
                reference[TEAM_KEY] = team
            await asyncio.to_thread(
                places.remember,
                env=self.core,
                ctx=context_of(turn),
                key=key,
                kind=conversation.conversation_type or "personal",
                reference=reference,
                installed=added,
            )
        except WorkspaceInactiveError:
            pass  # removed from this tenant: the turn itself answers politely
        except Exception:  # a lost reference only delays proactive posts; keep the turn
            logger.exception("could not save the Teams conversation reference")

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if isinstance(activity.value, dict) and activity.value.get("sightline"):
            await self.actions.handle(turn_context, activity.value)
            return
        text = TurnContext.remove_recipient_mention(activity) or activity.text or ""
        command = parse_member(text, prefixed=False)
        try:
            await self._command(turn_context, command)
        except SightlineError as exc:
            await self.skin.reply(turn_context, warning_card(str(exc)))

    async def _command(self, turn: TurnContext, command: MemberCommand) -> None:
        ctx = context_of(turn)
        if command.action == MemberAction.LEAD:
            await self.leads.handle(turn, command.rest)
        elif command.action == MemberAction.CAPTURE:
            request = CaptureRequest(
                text=command.rest,
                source=SourceKind.TEAMS_MESSAGE,
                source_ref=f"teams:{turn.activity.conversation.id}:{turn.activity.id}",
            )
            outcome = await asyncio.to_thread(
                capture.capture, env=self.core, ctx=ctx, request=request
            )
            await self.rights.reply_with_words(turn, story_reply(outcome.reply))
            await self.skin.effects.apply(outcome.effects)
        elif command.action == MemberAction.FORM:
            await self.skin.reply(turn, form_invitation())
        elif command.action == MemberAction.SEARCH:
            reply = await asyncio.to_thread(
                browse.search, env=self.core, ctx=ctx, query=command.rest
            )
            await self.skin.reply(turn, search_card(reply))
        elif command.action == MemberAction.RANDOM:
            found = await asyncio.to_thread(browse.pick_random, env=self.core, ctx=ctx)
            card = notice_card(found) if isinstance(found, Notice) else story_reply(found)
            await self.skin.reply(turn, card)
        elif command.action == MemberAction.MY_DATA:
            await self.rights.my_data(turn)
        elif command.action == MemberAction.FORGET_ME:
            await self.rights.forget_me(turn, command.rest)
        elif command.action == MemberAction.HOME:
            home = await asyncio.to_thread(browse.home, env=self.core, ctx=ctx)
            await self.skin.reply(turn, home_card(home))
        else:
            view = await self.skin.decided(
                turn, lambda e: leads.help_view(env=self.core, ctx=ctx, evidence=e)
            )
            await self.skin.reply(turn, help_card(view))

    # --- installs: a welcome, once ------------------------------------------------------------

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        if turn_context.activity.action == "add":  # not "add-upgrade": an update is no install
            await welcome.greet(turn_context, self.core)

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        if welcome.bot_was_added(members_added, turn_context):
            await welcome.greet(turn_context, self.core)

    # --- dialogs, the message action and file consent -------------------------------------

    async def on_teams_task_module_fetch(
        self, turn_context: TurnContext, task_module_request: TaskModuleRequest
    ) -> TaskModuleResponse:
        return await self.dialogs.fetch(turn_context, _data(task_module_request.data))

    async def on_teams_task_module_submit(
        self, turn_context: TurnContext, task_module_request: TaskModuleRequest
    ) -> TaskModuleResponse | None:
        return await self.dialogs.submit(turn_context, _data(task_module_request.data))

    async def on_teams_messaging_extension_fetch_task(
        self, turn_context: TurnContext, action: MessagingExtensionAction
    ) -> MessagingExtensionActionResponse:
        return await self.dialogs.extension_fetch(turn_context, action)

    async def on_teams_messaging_extension_submit_action(
        self, turn_context: TurnContext, action: MessagingExtensionAction
    ) -> MessagingExtensionActionResponse:
        return await self.dialogs.extension_submit(turn_context, action)

    async def on_teams_file_consent_accept(
        self, turn_context: TurnContext, file_consent_card_response: FileConsentCardResponse
    ) -> None:
        if is_my_data(file_consent_card_response):
            await self.rights.accepted(turn_context, file_consent_card_response)
            return
        await self.leads.export_accepted(turn_context, file_consent_card_response)

    async def on_teams_file_consent_decline(
        self, turn_context: TurnContext, file_consent_card_response: FileConsentCardResponse
    ) -> None:
        await self.leads.export_declined(turn_context, file_consent_card_response)


def _installation_change(activity: Any) -> tuple[bool, bool]:
    """(the app was removed here, the app was added here) by this activity."""
    action = activity.action or ""
    removed = activity.type == ActivityTypes.installation_update and action.startswith("remove")
    added = activity.type == ActivityTypes.installation_update and action.startswith("add")
    bot_id = activity.recipient.id if activity.recipient else None
    if activity.type == ActivityTypes.conversation_update and activity.members_removed:
        removed = any(m.id == bot_id for m in activity.members_removed)
    if activity.type == ActivityTypes.conversation_update and activity.members_added:
        added = any(m.id == bot_id for m in activity.members_added)
    return removed, added


def form_invitation() -> dict[str, Any]:
    """`story` alone: a button that opens the capture form."""
    body = [text_block(texts.FORM_STORY, weight="Bolder"), text_block(texts.FORM_STORY_HINT)]
    return adaptive_card(
        body, [task(texts.FORM_TITLE + "…", {"sightline": "form"})], fallback_text=texts.FORM_STORY
    )


def _data(data: Any) -> dict[str, Any]:
    return data if isinstance(data, dict) else {}
