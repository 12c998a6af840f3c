"""Carrying out, in Slack, what the core says happens next (share, refresh, retract a post;
post an answer in its thread; tell the storyteller).

Effects come after the person's own request succeeded and was answered: a failing one is
logged and never turned into an error for them, so nobody is told to "try again" for work
that is already done (which would store a story twice).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack import prompt_cards
from handlers.slack.blocks import block_dicts, channel_post, notice, story_text
from stories.conversation import answers, capture, rights
from stories.conversation.context import CoreEnv
from stories.conversation.views import (
    DeletePost,
    Effect,
    NotifyAuthor,
    PostAnswer,
    RefreshPost,
    RetractPost,
    ShareStory,
)

logger = logging.getLogger(__name__)


class SlackEffects:
    def __init__(self, core: CoreEnv) -> None:
        self.core = core

    async def apply(self, client: AsyncWebClient, effects: Sequence[Effect]) -> None:
        for effect in effects:
            try:
                await self._apply(client, effect)
            except SlackApiError as exc:
                logger.warning("%s failed in Slack: %s", type(effect).__name__, _error(exc))
            except Exception:  # the request itself succeeded; only its follow-up is missing
                logger.exception("%s failed in Slack", type(effect).__name__)

    async def _apply(self, client: AsyncWebClient, effect: Effect) -> None:
        if isinstance(effect, ShareStory):
            await self._share(client, effect)
        elif isinstance(effect, RefreshPost):
            channel, _, ts = effect.ref.partition(":")
            await client.chat_update(
                channel=channel,
                ts=ts,
                text=story_text(effect.story),
                blocks=block_dicts(channel_post(effect.story)),
            )
        elif isinstance(effect, RetractPost):
            channel, _, ts = effect.ref.partition(":")
            await client.chat_update(
                channel=channel, ts=ts, text=effect.text, blocks=block_dicts(notice(effect.text))
            )
        elif isinstance(effect, PostAnswer):
            channel, _, ts = effect.prompt_ref.partition(":")
            posted = await client.chat_postMessage(
                channel=channel,
                thread_ts=ts,
                text=prompt_cards.answer_text(effect.answer),
                blocks=block_dicts(prompt_cards.answer_posted(effect.answer)),
            )
            if effect.member_id is not None:
                ref = f"{posted['channel']}:{posted['ts']}"
                await asyncio.to_thread(
                    rights.record_member_post, env=self.core, member_id=effect.member_id, ref=ref
                )
        elif isinstance(effect, DeletePost) and effect.ref.startswith("file:"):
            await client.files_delete(file=effect.ref.removeprefix("file:"))
        elif isinstance(effect, DeletePost):
            channel, _, ts = effect.ref.partition(":")
            await client.chat_delete(channel=channel, ts=ts)
        else:
            await self._notify(client, effect)

    async def _share(self, client: AsyncWebClient, effect: ShareStory) -> None:
        posted = await client.chat_postMessage(
            channel=effect.destination,
            text=story_text(effect.story),
            blocks=block_dicts(channel_post(effect.story)),
        )
        ref = f"{posted['channel']}:{posted['ts']}"
        await asyncio.to_thread(
            capture.record_post, env=self.core, story_id=effect.story.id, ref=ref
        )

    async def _notify(self, client: AsyncWebClient, effect: NotifyAuthor) -> None:
        """The storyteller's one message per prompt: sent once, then kept up to date."""
        blocks = block_dicts(prompt_cards.author_notice_blocks(effect.notice))
        text = effect.notice.title
        if effect.ref is not None:
            channel, _, ts = effect.ref.partition(":")
            await client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
            return
        try:
            opened = await client.conversations_open(users=effect.recipient)
            channel = opened["channel"]["id"]
            posted = await client.chat_postMessage(channel=channel, text=text, blocks=blocks)
        except Exception:
            await asyncio.to_thread(answers.notice_failed, env=self.core, effect=effect)
            raise
        later = await asyncio.to_thread(
            answers.notice_sent, env=self.core, effect=effect, ref=f"{channel}:{posted['ts']}"
        )
        if later is not None:  # more answers arrived while it was being sent
            await self._notify(client, later)


def _error(exc: SlackApiError) -> str:
    return str(exc.response.get("error", "")) if exc.response is not None else str(exc)
