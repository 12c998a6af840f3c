"""A person's own data in Teams: `my-data` (the file offered in their personal chat, through
Teams' file consent) and `forget-me` (erasure, after they confirm), decided in the core
(stories/conversation/rights.py)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import Activity, Attachment
from botbuilder.schema.teams import FileConsentCard, FileConsentCardResponse

from handlers.teams import insights
from handlers.teams.context import context_of
from handlers.teams.effects import post_ref
from handlers.teams.sender import card_activity
from handlers.teams.skin import TeamsSkin
from handlers.teams.story_cards import notice_card, warning_card
from stories.conversation import lead_texts, places, rights, texts
from stories.conversation.context import Place
from stories.conversation.views import Notice, Tone
from stories.errors import SightlineError
from stories.exports import ExportFile
from stories.models import Platform

logger = logging.getLogger(__name__)
MY_DATA = "my-data"  # the offer's kind, handed back by Teams when it is accepted


def is_my_data(response: FileConsentCardResponse) -> bool:
    context: dict[str, Any] = response.context if isinstance(response.context, dict) else {}
    return context.get("sightline") == MY_DATA


class RightsCommands:
    def __init__(self, skin: TeamsSkin) -> None:
        self.skin = skin

    async def my_data(self, turn: TurnContext) -> None:
        """Offer the file in the person's personal chat with Sightline (never elsewhere)."""
        ctx = context_of(turn)
        try:
            mine = await asyncio.to_thread(rights.my_data, env=self.skin.core, ctx=ctx)
        except SightlineError as exc:
            await self.skin.reply(turn, warning_card(str(exc)))
            return
        offer = _offer(mine.file_name, mine.content, mine.comment)
        if ctx.place == Place.PERSONAL:
            await turn.send_activity(offer)
            return
        chat = await asyncio.to_thread(
            places.personal_chat,
            env=self.skin.core,
            platform=Platform.TEAMS,
            workspace=ctx.workspace,
            user=ctx.user,
        )
        if chat is None:
            text = lead_texts.cannot_reach_privately(texts.TEAMS)
            await self.skin.reply(turn, notice_card(Notice(text=text, tone=Tone.WARNING)))
            return
        await self.skin.sender.post(chat, offer)
        await self.skin.reply(turn, notice_card(Notice(text=mine.text)))

    async def accepted(self, turn: TurnContext, response: FileConsentCardResponse) -> None:
        """Accepted: the export is made again, for whoever accepted, and uploaded."""
        ctx = context_of(turn)
        mine = await asyncio.to_thread(rights.my_data, env=self.skin.core, ctx=ctx)
        archive = ExportFile(name=mine.file_name, content=mine.content, rows=0)
        try:
            shown = await insights.upload(response, archive)
        except httpx.HTTPError as exc:  # the upload URL refused: say so, nothing is lost
            logger.warning("my-data upload to Teams failed: %s", exc)
            await self.skin.reply(turn, warning_card(lead_texts.export_failed(type(exc).__name__)))
            return
        await turn.send_activity(shown)
        if turn.activity.reply_to_id:
            await turn.delete_activity(turn.activity.reply_to_id)  # the offer is taken

    async def forget_me(self, turn: TurnContext, rest: str) -> None:
        """Without "confirm": what erasure does. With it: erase them, then the posts."""
        ctx = context_of(turn)
        try:
            outcome = await asyncio.to_thread(
                rights.forget_me, env=self.skin.core, ctx=ctx, confirmed=rest == "confirm"
            )
        except SightlineError as exc:
            await self.skin.reply(turn, warning_card(str(exc)))
            return
        await self.skin.reply(turn, notice_card(outcome.reply))
        await self.skin.effects.apply(outcome.effects)

    async def reply_with_words(self, turn: TurnContext, card: dict[str, Any]) -> None:
        """A reply that shows the asker's own story: it stays in the chat, so it is
        remembered for their erasure."""
        sent = await turn.send_activity(card_activity(card))
        if sent is None or not sent.id:
            return
        ref = post_ref(turn.activity.conversation.id, sent.id)
        try:
            await asyncio.to_thread(
                rights.record_reply, env=self.skin.core, ctx=context_of(turn), ref=ref, kind="reply"
            )
        except SightlineError:
            logger.warning("a story reply could not be remembered for erasure")


def _offer(name: str, content: bytes, comment: str) -> Activity:
    offer = {"sightline": MY_DATA, "name": name}
    card = FileConsentCard(
        description=comment,
        size_in_bytes=len(content),
        accept_context=offer,
        decline_context=offer,
    )
    attachment = Attachment(content_type=insights.CONSENT_TYPE, name=name, content=card)
    activity = MessageFactory.attachment(attachment)
    activity.summary = comment
    return activity
