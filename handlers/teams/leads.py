"""CX lead commands in Teams. The core parses, gates and carries them out; this delivers the
results the Teams way. Figures and files are for leads only, so the summary and the export go
to the lead's personal chat with Sightline (answered there directly when asked there)."""

from __future__ import annotations

import asyncio
import functools
import logging

import httpx
from botbuilder.core import TurnContext
from botbuilder.schema import Activity
from botbuilder.schema.teams import FileConsentCardResponse

from handlers.teams import insights
from handlers.teams.context import context_of
from handlers.teams.mentions import neutral_mentions
from handlers.teams.sender import card_activity
from handlers.teams.skin import TeamsSkin
from handlers.teams.story_cards import (
    dashboard_link_card,
    departments_card,
    help_card,
    notice_card,
    warning_card,
)
from stories.conversation import lead_texts, leads, places, texts
from stories.conversation.context import ChatContext, Place
from stories.conversation.dashboard import DashboardLinkReply
from stories.conversation.leads import ExportReply, PromptNowRequest, SummaryReply
from stories.conversation.views import DepartmentsView, HelpView, Notice, Tone
from stories.errors import SightlineError
from stories.models import Platform

logger = logging.getLogger(__name__)


class LeadCommands:
    def __init__(self, skin: TeamsSkin) -> None:
        self.skin = skin
        self.core = skin.core

    async def handle(self, turn: TurnContext, text: str) -> None:
        ctx = context_of(turn)
        try:
            text = await neutral_mentions(turn, text)
            work = functools.partial(leads.lead_command, env=self.core, ctx=ctx, text=text)
            reply: leads.LeadAnswer = await self.skin.decided(turn, lambda e: work(evidence=e))
            await self._answer(turn, ctx, reply)
        except SightlineError as exc:
            await self.skin.reply(turn, warning_card(str(exc)))

    async def _answer(self, turn: TurnContext, ctx: ChatContext, reply: leads.LeadAnswer) -> None:
        if isinstance(reply, Notice):
            await self.skin.reply(turn, notice_card(reply))
        elif isinstance(reply, DepartmentsView):
            await self.skin.reply(turn, departments_card(reply))
        elif isinstance(reply, HelpView):
            await self.skin.reply(turn, help_card(reply))
        elif isinstance(reply, SummaryReply):
            card = insights.summary_reply(reply.summary, self.skin.deps.charts)
            sent = lead_texts.summary_sent(reply.summary.period.label, texts.TEAMS)
            await self._privately(turn, ctx, card_activity(card), sent)
        elif isinstance(reply, ExportReply):
            sent = lead_texts.export_sent(reply.label, reply.format, texts.TEAMS)
            await self._privately(turn, ctx, insights.consent_activity(reply), sent)
        elif isinstance(reply, DashboardLinkReply):
            link = card_activity(dashboard_link_card(reply))
            await self._privately(turn, ctx, link, reply.sent)
        else:
            await self.skin.reply(turn, notice_card(await self.prompt_now(reply)))

    async def prompt_now(self, request: PromptNowRequest) -> Notice:
        send = self.skin.deps.prompt_now
        if send is None:
            return Notice(text=lead_texts.PROMPTS_OFF)
        status, reason = await send(request.department_id)
        return leads.prompt_now_result(name=request.name, status=status, reason=reason)

    async def _privately(
        self, turn: TurnContext, ctx: ChatContext, activity: Activity, sent: str
    ) -> None:
        """Answer here in a personal chat; from anywhere else, in the lead's personal chat."""
        if ctx.place == Place.PERSONAL:
            await turn.send_activity(activity)
            return
        chat = await asyncio.to_thread(
            places.personal_chat,
            env=self.core,
            platform=Platform.TEAMS,
            workspace=ctx.workspace,
            user=ctx.user,
        )
        if chat is None:
            text = lead_texts.cannot_reach_privately(texts.TEAMS)
            await self.skin.reply(turn, notice_card(Notice(text=text, tone=Tone.WARNING)))
            return
        await self.skin.sender.post(chat, activity)
        await self.skin.reply(turn, notice_card(Notice(text=sent)))

    # --- file consent (the export) ----------------------------------------------------------

    async def export_accepted(self, turn: TurnContext, response: FileConsentCardResponse) -> None:
        """The lead accepted the export: make it again, upload it, show it in the chat."""
        offer = insights.offered(response)
        if offer is None:
            await self.skin.reply(turn, warning_card("That export offer has expired."))
            return
        period, fmt = offer
        ctx = context_of(turn)
        work = functools.partial(
            leads.export_period, env=self.core, ctx=ctx, period=period, fmt=fmt
        )
        reply: ExportReply | Notice = await self.skin.decided(turn, lambda e: work(evidence=e))
        if isinstance(reply, Notice):
            await self.skin.reply(turn, notice_card(reply))
            return
        try:
            shown = await insights.upload(response, insights.bundle(reply))
        except httpx.HTTPError as exc:  # the upload URL refused: say so, nothing is lost
            logger.warning("export upload to Teams failed: %s", exc)
            await self.skin.reply(turn, warning_card(lead_texts.export_failed(type(exc).__name__)))
            return
        await turn.send_activity(shown)
        if turn.activity.reply_to_id:
            await turn.delete_activity(turn.activity.reply_to_id)  # the offer is taken

    async def export_declined(self, turn: TurnContext, response: FileConsentCardResponse) -> None:
        if turn.activity.reply_to_id:
            await turn.delete_activity(turn.activity.reply_to_id)
