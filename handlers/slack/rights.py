"""A person's own data in Slack: `/story my-data` (the file in their direct message) and
`/story forget-me` (erasure, after they confirm), decided in the core
(stories/conversation/rights.py)."""

from __future__ import annotations

import asyncio
import logging

from slack_bolt.async_app import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack.blocks import block_dicts, fallback, notice
from handlers.slack.skin import SlackSkin
from stories.conversation import rights
from stories.conversation.context import ChatContext
from stories.errors import SightlineError

logger = logging.getLogger(__name__)
FILE_REF = "file:"  # a post reference naming an uploaded file rather than a message


class RightsListeners:
    def __init__(self, skin: SlackSkin) -> None:
        self.skin = skin

    async def my_data(
        self, ctx: ChatContext, client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        """Their export goes to their direct message only, wherever they asked."""
        try:
            mine = await asyncio.to_thread(rights.my_data, env=self.skin.core, ctx=ctx)
        except SightlineError as exc:
            await self.skin.warn(respond, exc)
            return
        try:
            opened = await client.conversations_open(users=ctx.user)
            uploaded = await client.files_upload_v2(
                channel=opened["channel"]["id"],
                file_uploads=[{"content": mine.content, "filename": mine.file_name}],
                initial_comment=mine.comment,
            )
        except SlackApiError as exc:
            logger.warning("my-data upload failed: %s", exc.response.get("error"))
            await self.skin.warn(respond, exc)
            return
        await respond(response_type="ephemeral", text=fallback(mine.text))
        for file in uploaded.get("files") or []:  # their data stays in their DM: remembered
            await asyncio.to_thread(
                rights.record_reply,
                env=self.skin.core,
                ctx=ctx,
                ref=f"{FILE_REF}{file['id']}",
                kind="file",
            )

    async def forget_me(
        self, ctx: ChatContext, client: AsyncWebClient, respond: AsyncRespond, rest: str
    ) -> None:
        """Without "confirm": what erasure does. With it: erase them, then the posts."""
        try:
            outcome = await asyncio.to_thread(
                rights.forget_me, env=self.skin.core, ctx=ctx, confirmed=rest == "confirm"
            )
        except SightlineError as exc:
            await self.skin.warn(respond, exc)
            return
        reply = outcome.reply
        await respond(
            response_type="ephemeral",
            text=fallback(reply.text),
            blocks=block_dicts(notice(reply)),
        )
        await self.skin.effects.apply(client, outcome.effects)
