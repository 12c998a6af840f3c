"""Carrying out, in Teams, what the core says happens next (share, refresh, retract a post;
post an answer in its prompt's thread; tell the storyteller in their personal chat).

Effects come after the person's own request succeeded and was answered: a failing one is
logged, never turned into an error for them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from handlers.teams.prompt_cards import answer_card, author_notice_card
from handlers.teams.sender import THREAD, TeamsDeliveryError, TeamsSender, card_activity
from handlers.teams.story_cards import notice_card, story_card
from stories.conversation import answers, capture, places, rights
from stories.conversation.context import CoreEnv
from stories.conversation.views import (
    DeletePost,
    Effect,
    Notice,
    NotifyAuthor,
    PostAnswer,
    RefreshPost,
    RetractPost,
    ShareStory,
)
from stories.models import Platform

logger = logging.getLogger(__name__)
REF = "|"  # a post's reference: "<conversation>|<activity id>"


def post_ref(conversation: str, activity_id: str) -> str:
    return f"{conversation}{REF}{activity_id}"


def parse_ref(ref: str) -> tuple[str, str]:
    """(conversation, activity id) of a post, also from the older "teams:<conv>:<id>" form and
    from a prompt's thread ("<channel>;messageid=<id>", the card that starts it)."""
    if REF in ref:
        conversation, _, activity_id = ref.rpartition(REF)
        return conversation, activity_id
    if THREAD in ref:
        return ref, ref.partition(THREAD)[2]
    conversation, _, activity_id = ref.removeprefix("teams:").rpartition(":")
    return conversation, activity_id


class TeamsEffects:
    def __init__(self, core: CoreEnv, sender: TeamsSender) -> None:
        self.core = core
        self.sender = sender

    async def apply(self, effects: Sequence[Effect]) -> None:
        for effect in effects:
            try:
                await self._apply(effect)
            except TeamsDeliveryError as exc:
                logger.warning("%s not done in Teams: %s", type(effect).__name__, exc.reason)
            except Exception:  # the request itself succeeded; only its follow-up is missing
                logger.exception("%s failed in Teams", type(effect).__name__)

    async def _apply(self, effect: Effect) -> None:
        if isinstance(effect, ShareStory):
            activity_id = await self.sender.post_card(effect.destination, story_card(effect.story))
            ref = post_ref(effect.destination, activity_id)
            await asyncio.to_thread(
                capture.record_post, env=self.core, story_id=effect.story.id, ref=ref
            )
        elif isinstance(effect, RefreshPost):
            conversation, activity_id = parse_ref(effect.ref)
            await self.sender.update(
                conversation, activity_id, card_activity(story_card(effect.story))
            )
        elif isinstance(effect, RetractPost):
            conversation, activity_id = parse_ref(effect.ref)
            card = notice_card(Notice(text=effect.text))
            await self.sender.update(conversation, activity_id, card_activity(card))
        elif isinstance(effect, PostAnswer):
            activity_id = await self.sender.post_card(effect.prompt_ref, answer_card(effect.answer))
            if effect.member_id is not None:
                ref = post_ref(effect.prompt_ref, activity_id)
                await asyncio.to_thread(
                    rights.record_member_post, env=self.core, member_id=effect.member_id, ref=ref
                )
        elif isinstance(effect, DeletePost):
            conversation, activity_id = parse_ref(effect.ref)
            await self.sender.delete(conversation, activity_id)
        else:
            await self._notify(effect)

    async def _notify(self, effect: NotifyAuthor) -> None:
        """The storyteller's one message per prompt, in their personal chat with the bot."""
        card = card_activity(author_notice_card(effect.notice))
        if effect.ref is not None:
            conversation, activity_id = parse_ref(effect.ref)
            await self.sender.update(conversation, activity_id, card)
            return
        chat = await asyncio.to_thread(
            places.personal_chat,
            env=self.core,
            platform=Platform.TEAMS,
            workspace=effect.workspace,
            user=effect.recipient,
        )
        try:
            if chat is None:
                raise TeamsDeliveryError("the storyteller has no personal chat with Sightline yet")
            activity_id = await self.sender.post(chat, card)
        except Exception:
            await asyncio.to_thread(answers.notice_failed, env=self.core, effect=effect)
            raise
        later = await asyncio.to_thread(
            answers.notice_sent, env=self.core, effect=effect, ref=post_ref(chat, activity_id)
        )
        if later is not None:  # more answers arrived while it was being sent
            await self._notify(later)
