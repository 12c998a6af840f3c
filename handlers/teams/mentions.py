"""People mentioned in a Teams message, written the neutral way the core reads them.

Teams puts ``<at>Ana Lopez</at>`` in the text and the person in a ``mention`` entity, by
their Teams id (``29:…``); Sightline knows Teams people by Azure AD object id, which the
entity may leave out, so it is asked for (``TeamsInfo.get_member``). Each mention becomes
``"<@aad-object-id|Ana Lopez>"`` (quoted: names have spaces), as Slack writes mentions.
"""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo

logger = logging.getLogger(__name__)


def _mentions(turn: TurnContext) -> list[dict[str, Any]]:
    activity = turn.activity
    bot_id = activity.recipient.id if activity.recipient else None
    found = []
    for entity in activity.entities or []:
        data = entity.serialize() if hasattr(entity, "serialize") else dict(entity)
        mentioned = data.get("mentioned") or {}
        if data.get("type") == "mention" and mentioned.get("id") not in (None, bot_id):
            found.append(data)
    return found


async def _object_id(turn: TurnContext, mentioned: dict[str, Any]) -> str:
    known = mentioned.get("aadObjectId")
    if known:
        return str(known)
    try:
        account = await TeamsInfo.get_member(turn, mentioned["id"])
    except Exception:  # not in a team, or no access: fall back to the Teams id
        logger.warning("could not look up a mentioned Teams user", exc_info=True)
        return str(mentioned["id"])
    return str(account.aad_object_id or mentioned["id"])


async def neutral_mentions(turn: TurnContext, text: str) -> str:
    """``text`` with every mention of a person (not the bot) in the core's form."""
    for mention in _mentions(turn):
        written = str(mention.get("text") or "")
        if not written or written not in text:
            continue
        mentioned = mention["mentioned"]
        name = str(mentioned.get("name") or "").replace('"', "").replace(">", "")
        object_id = await _object_id(turn, mentioned)
        text = text.replace(written, f'"<@{object_id}|{name}>"')
    return text
