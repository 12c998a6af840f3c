"""Registration: every Sightline listener on the bolt app, and the `/story` dispatcher.

Order inside a listener: acknowledge, turn the payload into a neutral context, call one core
use case, render, send, then carry out the effects the core returned.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack import blocks as b
from handlers.slack import forms, prompt_cards
from handlers.slack.acks import Inflight
from handlers.slack.answers import AnswerListeners
from handlers.slack.browse import BrowseListeners
from handlers.slack.capture import SHORTCUT_CALLBACK, CaptureListeners
from handlers.slack.context import context_here
from handlers.slack.deps import SlackDeps
from handlers.slack.leads import LeadListeners
from handlers.slack.rights import RightsListeners
from handlers.slack.skin import SlackSkin
from handlers.slack.welcome import WelcomeListeners
from stories.conversation import leads, texts
from stories.conversation.commands import MemberAction, parse_member

logger = logging.getLogger(__name__)


class Listeners:
    """Every Slack listener, sharing one skin (core, effects, in-flight tracking)."""

    def __init__(self, deps: SlackDeps) -> None:
        self.skin = SlackSkin(deps)
        self.capture = CaptureListeners(self.skin)
        self.browse = BrowseListeners(self.skin)
        self.leads = LeadListeners(self.skin)
        self.answers = AnswerListeners(self.skin)
        self.welcome = WelcomeListeners(self.skin)
        self.rights = RightsListeners(self.skin)

    @property
    def inflight(self) -> Inflight:
        return self.skin.inflight

    async def drain(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        await self.skin.inflight.drain(timeout)

    def register(self, app: AsyncApp) -> None:
        guard = self.skin.inflight.guard
        app.command("/story")(guard(self.handle_story_command))
        app.command("/cx")(guard(self.leads.handle_cx_command))
        app.view_submission(forms.CAPTURE_CALLBACK)(guard(self.capture.handle_capture_submitted))
        app.view_submission(forms.EDIT_CALLBACK)(guard(self.capture.handle_edit_submitted))
        app.message_shortcut(SHORTCUT_CALLBACK)(guard(self.capture.handle_save_shortcut))
        app.event("reaction_added")(guard(self.capture.handle_reaction_added))
        app.action(b.EDIT_ACTION)(guard(self.capture.handle_edit_clicked))
        app.action(b.DELETE_ACTION)(guard(self.capture.handle_delete_clicked))
        app.event("app_home_opened")(guard(self.handle_home_opened))
        app.event("member_joined_channel")(guard(self.welcome.handle_member_joined))
        app.action(b.RESONATES_ACTION)(guard(self.browse.handle_resonates))
        app.action(b.MORE_ACTION)(guard(self.browse.handle_more_clicked))
        app.action(b.FULL_STORY_ACTION)(guard(self.browse.handle_full_story_clicked))
        app.action(prompt_cards.ANSWER_ACTION)(guard(self.answers.handle_answer_clicked))
        app.action(prompt_cards.NOT_RELEVANT_ACTION)(
            guard(self.answers.handle_not_relevant_clicked)
        )
        app.action(prompt_cards.NOTICES_OFF_ACTION)(guard(self.answers.handle_notices_off_clicked))
        app.action(prompt_cards.OPEN_PROMPT_ACTION)(guard(self.answers.handle_link_clicked))
        app.action(prompt_cards.HARVEST_ACTION)(guard(self.capture.handle_harvest_clicked))
        app.view_submission(forms.ANSWER_CALLBACK)(guard(self.answers.handle_answer_submitted))
        app.error(self.handle_error)

    async def handle_story_command(
        self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        command = parse_member(body.get("text") or "", prefixed=True)
        if command.action == MemberAction.FORM:
            await self.capture.form_for_command(body, client)
            return
        if command.action == MemberAction.CAPTURE:
            await self.capture.capture_command(body, respond, client, command.rest)
            return
        ctx = await context_here(body, client)
        if command.action == MemberAction.SEARCH:
            await self.browse.search(ctx, respond, command.rest, offset=0, replace=False)
        elif command.action == MemberAction.RANDOM:
            await self.browse.random(ctx, respond)
        elif command.action == MemberAction.MY_DATA:
            await self.rights.my_data(ctx, client, respond)
        elif command.action == MemberAction.FORGET_ME:
            await self.rights.forget_me(ctx, client, respond, command.rest)
        elif command.action == MemberAction.HOME:
            await self.browse.publish_home(body, client, ctx.user)
            await respond(response_type="ephemeral", text=texts.HOME_UPDATED)
        else:
            work = functools.partial(leads.help_view, env=self.skin.core, ctx=ctx)
            view = await self.skin.decided(client, ctx.user, lambda e: work(evidence=e))
            await respond(
                response_type="ephemeral",
                text=b.fallback(texts.HELP_INTRO),
                blocks=b.block_dicts(b.help_blocks(view)),
            )

    async def handle_home_opened(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """The Home tab shows Home; the first visit to the Messages tab, the welcome."""
        if event.get("tab") == "messages":
            await self.welcome.handle_messages_tab(event, body, client)
        else:
            await self.browse.handle_home_opened(event, body, client)

    async def handle_error(self, error: Exception, body: dict[str, Any]) -> None:
        # Reached only by failures outside our guarded listeners (bolt middleware).
        logger.error("Slack request failed: %r", error, exc_info=error)


def register(app: AsyncApp, deps: SlackDeps) -> Listeners:
    """Add every Sightline listener to the bolt app; ``drain()`` the result at shutdown."""
    listeners = Listeners(deps)
    listeners.register(app)
    return listeners
