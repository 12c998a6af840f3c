"""The welcome card, once per install: in the personal chat and in a team's channel."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import ChannelAccount

from handlers.teams.cards import Card, adaptive_card, task, text_block
from handlers.teams.context import context_of
from handlers.teams.sender import card_activity
from stories.conversation import texts
from stories.conversation.context import CoreEnv, Place
from stories.conversation.welcome import WelcomeView, welcome

logger = logging.getLogger(__name__)


def welcome_card(view: WelcomeView, *, personal: bool) -> Card:
    body: list[dict[str, Any]] = [
        text_block(view.title, weight="Bolder", size="Medium"),
        text_block(view.intro),
        {"type": "FactSet", "facts": [{"title": what, "value": why} for what, why in view.tips]},
        text_block(view.footer, isSubtle=True),
    ]
    actions = [task(texts.FORM_TITLE + "…", {"sightline": "form"})] if personal else []
    return adaptive_card(body, actions, fallback_text=view.title)


def bot_was_added(members: list[ChannelAccount], turn: TurnContext) -> bool:
    bot_id = turn.activity.recipient.id if turn.activity.recipient else None
    return any(member.id == bot_id for member in members)


async def greet(turn: TurnContext, core: CoreEnv) -> None:
    """Say the welcome here unless this install was already welcomed."""
    ctx = context_of(turn)
    name = (turn.activity.recipient.name if turn.activity.recipient else None) or "Sightline"
    team = (turn.activity.channel_data or {}).get("team") or {}
    view = await asyncio.to_thread(
        welcome, env=core, ctx=ctx, bot_name=name, team_name=team.get("name") or None
    )
    if view is None:
        return
    card = welcome_card(view, personal=ctx.place == Place.PERSONAL)
    await turn.send_activity(card_activity(card))
