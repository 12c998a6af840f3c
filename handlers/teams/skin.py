"""What every part of the Teams skin shares: the core, the sender, the effects, replying to
a turn, and the lead evidence only Teams can give (a person's UPN)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TypeVar

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from cachetools import TTLCache

from handlers.teams.cards import Card
from handlers.teams.context import identities
from handlers.teams.deps import TeamsDeps
from handlers.teams.effects import TeamsEffects
from handlers.teams.sender import card_activity
from stories.conversation.leads import LeadEvidence, NeedsEvidence

logger = logging.getLogger(__name__)
R = TypeVar("R")
PRINCIPAL_CACHE_SECONDS = 3600.0  # a user's UPN, read for the CX lead check
PRINCIPAL_CACHE_SIZE = 1000


class TeamsSkin:
    def __init__(self, deps: TeamsDeps) -> None:
        self.deps = deps
        self.core = deps.core
        self.sender = deps.sender
        self.effects = TeamsEffects(deps.core, deps.sender)
        self._principals: TTLCache[str, frozenset[str]] = TTLCache(
            maxsize=PRINCIPAL_CACHE_SIZE, ttl=PRINCIPAL_CACHE_SECONDS
        )

    async def reply(self, turn: TurnContext, card: Card) -> None:
        await turn.send_activity(card_activity(card))

    async def replace(self, turn: TurnContext, card: Card) -> None:
        """Redraw the card a button was pressed on (or answer anew when there is none)."""
        activity = card_activity(card)
        if turn.activity.reply_to_id:
            activity.id = turn.activity.reply_to_id
            await turn.update_activity(activity)
        else:
            await turn.send_activity(activity)

    async def decided(
        self, turn: TurnContext, work: Callable[[LeadEvidence | None], R | NeedsEvidence]
    ) -> R:
        """Run core work that may need to know whether the person is a CX lead: the core asks
        for Teams' evidence only when its own cheap checks cannot decide."""
        result = await asyncio.to_thread(work, None)
        if isinstance(result, NeedsEvidence):
            names = identities(turn)
            if result.wants_identities:
                names |= await self.principal_names(turn)
            result = await asyncio.to_thread(work, LeadEvidence(identities=names))
            assert not isinstance(result, NeedsEvidence)  # evidence given: the core decides
        return result

    async def principal_names(self, turn: TurnContext) -> frozenset[str]:
        """The user's UPN and e-mail (casefolded), which Teams leaves out of activities."""
        user = turn.activity.from_property
        if user is None:
            return frozenset()
        key = user.aad_object_id or user.id
        cached = self._principals.get(key)
        if cached is not None:
            return cached
        try:
            account = await TeamsInfo.get_member(turn, user.id)
        except Exception:  # no roster access, or not in Teams: UPN entries cannot match
            logger.warning("could not read the Teams user %s to compare UPNs", key, exc_info=True)
            return frozenset()
        names = frozenset(n.casefold() for n in (account.user_principal_name, account.email) if n)
        self._principals[key] = names
        return names
