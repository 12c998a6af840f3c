"""The welcome, once per install: in the app's Messages tab the first time someone opens it,
and in a channel when Sightline is added to it. Decided in the core
(:mod:`stories.conversation.welcome`); this renders and posts it."""

from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, SectionBlock
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack.blocks import block_dicts, escape, fallback, mrkdwn, plain
from handlers.slack.context import context as context_of
from handlers.slack.skin import SlackSkin
from stories.conversation.context import ChatContext, Place
from stories.conversation.welcome import WelcomeView, welcome


def welcome_blocks(view: WelcomeView) -> list[Block]:
    tips = "\n".join(f"• *{escape(what)}*: {escape(why)}" for what, why in view.tips)
    return [
        HeaderBlock(text=plain(view.title, 150)),
        SectionBlock(text=mrkdwn(escape(view.intro))),
        SectionBlock(text=mrkdwn(tips)),
        ContextBlock(elements=[mrkdwn(escape(view.footer))]),
    ]


class WelcomeListeners:
    def __init__(self, skin: SlackSkin) -> None:
        self.core = skin.core

    async def handle_messages_tab(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """The first visit to the app's Messages tab: what Sightline is, three things to try."""
        channel = event.get("channel")
        ctx = context_of(body, user=event["user"], channel=channel, place=Place.PERSONAL)
        await self._post(client, ctx, str(channel or event["user"]))

    async def handle_member_joined(
        self,
        event: dict[str, Any],
        body: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        """Sightline itself was added to a channel: how a lead links it, how to share."""
        if event.get("user") != context.bot_user_id:
            return
        place = Place.PRIVATE if event.get("channel_type") == "G" else Place.PUBLIC
        who = str(event.get("inviter") or event["user"])
        ctx = context_of(body, user=who, channel=str(event["channel"]), place=place)
        await self._post(client, ctx, str(event["channel"]))

    async def _post(self, client: AsyncWebClient, ctx: ChatContext, channel: str) -> None:
        view = await asyncio.to_thread(welcome, env=self.core, ctx=ctx)
        if view is not None:
            blocks = block_dicts(welcome_blocks(view))
            await client.chat_postMessage(channel=channel, text=fallback(view.title), blocks=blocks)
