"""Slack listeners that find and show stories: search (paged), random, the full story, the
Home tab, and "This resonates"."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack.blocks import (
    block_dicts,
    channel_post,
    fallback,
    full_story_modal,
    home_view,
    notice,
    search_results,
    story_reply,
    story_text,
    view_dict,
)
from handlers.slack.context import context, context_here
from handlers.slack.skin import SlackSkin
from stories.conversation import browse, texts
from stories.conversation.context import ChatContext, Place
from stories.conversation.views import Notice
from stories.errors import SightlineError


class BrowseListeners:
    def __init__(self, skin: SlackSkin) -> None:
        self.skin = skin
        self.core = skin.core

    async def search(
        self, ctx: ChatContext, respond: AsyncRespond, query: str, *, offset: int, replace: bool
    ) -> None:
        try:
            reply = await asyncio.to_thread(
                browse.search, env=self.core, ctx=ctx, query=query, offset=offset
            )
        except SightlineError as exc:
            await self.skin.warn(respond, exc)
            return
        await respond(
            response_type="ephemeral",
            replace_original=replace,
            text=fallback(reply.heading),
            blocks=block_dicts(search_results(reply)),
        )

    async def random(self, ctx: ChatContext, respond: AsyncRespond) -> None:
        reply = await asyncio.to_thread(browse.pick_random, env=self.core, ctx=ctx)
        if isinstance(reply, Notice):
            blocks, text = notice(reply), reply.text
        else:
            blocks, text = story_reply(reply), reply.heading
        await respond(response_type="ephemeral", text=fallback(text), blocks=block_dicts(blocks))

    async def handle_more_clicked(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        value = json.loads(action["value"])
        ctx = await context_here(body, client)
        await self.search(ctx, respond, str(value["q"]), offset=int(value["o"]), replace=True)

    async def handle_full_story_clicked(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        ctx = context(body, place=Place.PERSONAL)
        try:
            story = await asyncio.to_thread(
                browse.read_story, env=self.core, ctx=ctx, story_id=int(action["value"])
            )
        except SightlineError as exc:
            await self.skin.warn(respond, exc)
            return
        await client.views_open(
            trigger_id=body["trigger_id"], view=view_dict(full_story_modal(story))
        )

    async def handle_home_opened(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        if event.get("tab", "home") != "home":
            return
        await self.publish_home(body, client, event["user"])

    async def publish_home(self, body: dict[str, Any], client: AsyncWebClient, user: str) -> None:
        ctx = context(body, user=user, place=Place.PERSONAL)
        model = await asyncio.to_thread(browse.home, env=self.core, ctx=ctx)
        await client.views_publish(user_id=user, view=view_dict(home_view(model)))

    async def handle_resonates(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        ctx = context(body, place=Place.PERSONAL)
        try:
            outcome = await asyncio.to_thread(
                browse.resonate, env=self.core, ctx=ctx, story_id=int(action["value"])
            )
        except SightlineError as exc:
            await self.skin.tell(client, ctx.user, None, texts.warning(str(exc)))
            return
        container = body.get("container") or {}
        clicked = _clicked_post(body)
        refreshed = {getattr(effect, "ref", None) for effect in outcome.effects}
        if container.get("type") == "view":
            await self.publish_home(body, client, ctx.user)  # the Home tab shows the new tally
        elif not outcome.reply.counted or container.get("is_ephemeral"):
            await respond(
                response_type="ephemeral",
                replace_original=False,
                text=fallback(outcome.reply.text),
            )
        elif clicked and clicked not in refreshed:
            channel, _, ts = clicked.partition(":")
            await client.chat_update(
                channel=channel,
                ts=ts,
                text=story_text(outcome.reply.story),
                blocks=block_dicts(channel_post(outcome.reply.story)),
            )
        await self.skin.effects.apply(client, outcome.effects)


def _clicked_post(body: dict[str, Any]) -> str | None:
    container = body.get("container") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    return f"{channel}:{ts}" if channel and ts else None
