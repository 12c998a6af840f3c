"""Buttons pressed on Sightline's cards in Teams (Action.Submit arrives as a message whose
``value`` carries ``{"sightline": <verb>, …}``): resonate, delete, search's More, and a
prompt's Send answer, Not relevant and Stop these messages."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from botbuilder.core import TurnContext

from handlers.teams.context import context_of
from handlers.teams.prompt_cards import ANSWER_INPUT
from handlers.teams.skin import TeamsSkin
from handlers.teams.story_cards import notice_card, search_card, story_card, warning_card
from stories.conversation import answers, browse, capture
from stories.errors import SightlineError


class CardActions:
    def __init__(self, skin: TeamsSkin) -> None:
        self.skin = skin
        self.core = skin.core

    async def handle(self, turn: TurnContext, value: dict[str, Any]) -> None:
        verb = str(value.get("sightline") or "")
        handler = {
            "resonate": self.resonate,
            "delete": self.delete,
            "more": self.more,
            "answer": self.answer,
            "not_relevant": self.not_relevant,
            "notices_off": self.notices_off,
        }.get(verb)
        if handler is None:
            return  # a card from an older version, or not ours: nothing to do
        try:
            await handler(turn, value)
        except SightlineError as exc:
            await self.skin.reply(turn, warning_card(str(exc)))
        except (KeyError, TypeError, ValueError):
            await self.skin.reply(turn, warning_card("That button no longer works."))

    async def resonate(self, turn: TurnContext, value: dict[str, Any]) -> None:
        ctx = context_of(turn)
        outcome = await asyncio.to_thread(
            browse.resonate, env=self.core, ctx=ctx, story_id=int(value["story_id"])
        )
        # The card pressed already showed this story where it is, so redrawing it with the
        # new tally shows nobody anything new.
        await self.skin.replace(turn, story_card(outcome.reply.story))
        await self.skin.effects.apply(outcome.effects)

    async def delete(self, turn: TurnContext, value: dict[str, Any]) -> None:
        ctx = context_of(turn)
        work = functools.partial(
            capture.delete, env=self.core, ctx=ctx, story_id=int(value["story_id"])
        )
        outcome = await self.skin.decided(turn, lambda e: work(evidence=e))
        await self.skin.replace(turn, notice_card(outcome.reply))
        await self.skin.effects.apply(outcome.effects)

    async def more(self, turn: TurnContext, value: dict[str, Any]) -> None:
        reply = await asyncio.to_thread(
            browse.search,
            env=self.core,
            ctx=context_of(turn),
            query=str(value["q"]),
            offset=int(value["o"]),
        )
        await self.skin.replace(turn, search_card(reply))

    async def answer(self, turn: TurnContext, value: dict[str, Any]) -> None:
        """The answer goes to the prompt's thread (the core's effect); the card stays as it
        is, so everyone in the department can answer it."""
        outcome = await asyncio.to_thread(
            answers.answer,
            env=self.core,
            ctx=context_of(turn),
            delivery_id=int(value["delivery_id"]),
            text=str(value.get(ANSWER_INPUT) or ""),
        )
        await self.skin.effects.apply(outcome.effects)

    async def not_relevant(self, turn: TurnContext, value: dict[str, Any]) -> None:
        reply = await asyncio.to_thread(
            answers.not_relevant,
            env=self.core,
            ctx=context_of(turn),
            delivery_id=int(value["delivery_id"]),
        )
        await self.skin.reply(turn, notice_card(reply))

    async def notices_off(self, turn: TurnContext, value: dict[str, Any]) -> None:
        reply = await asyncio.to_thread(answers.notices_off, env=self.core, ctx=context_of(turn))
        await self.skin.reply(turn, notice_card(reply))
