"""People mentioned in a Teams message, written the neutral way the core reads them.

Teams puts ``<at>Ana Lopez</at>`` in the text and the person in a ``mention`` entity, by
their Teams id (``29:…``); Sightline knows Teams people by Azure AD object id, which the
entity may leave out, so it is asked for (``TeamsInfo.get_member``). Each mention becomes
``"<@aad-object-id|Ana Lopez>"`` (quoted: names have spaces), as Slack writes mentions.
"""

from __future__ import annotations

import logging

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import ChannelAccount, Mention

from stories.errors import InvalidFieldError

logger = logging.getLogger(__name__)


def _mentions(turn: TurnContext) -> list[Mention]:
    """The people mentioned (botbuilder keeps an entity's fields as extra properties)."""
    bot_id = turn.activity.recipient.id if turn.activity.recipient else None
    found = []
    for entity in TurnContext.get_mentions(turn.activity):
        extra = getattr(entity, "additional_properties", None) or {}
        mention = Mention().deserialize({**entity.serialize(), **extra})
        if mention.mentioned is not None and mention.mentioned.id not in (None, bot_id):
            found.append(mention)
    return found


async def _object_id(turn: TurnContext, mentioned: ChannelAccount) -> str:
    """The person's Azure AD object id.

    Raises:
        InvalidFieldError: Teams would not say (outside a team, or no access); a Teams id
            alone names nobody Sightline knows.
    """
    if mentioned.aad_object_id:
        return str(mentioned.aad_object_id)
    try:
        account = await TeamsInfo.get_member(turn, mentioned.id)
    except Exception:  # not in a team, or no access: say so rather than store a useless id
        logger.warning("could not look up a mentioned Teams user", exc_info=True)
        account = None
    if account is None or not account.aad_object_id:
        raise InvalidFieldError(
            field="lead",
            reason=f"Teams would not say who {mentioned.name or 'that is'} is here: mention them "
            "in one of the team's channels, or give their e-mail address",
        )
    return str(account.aad_object_id)


async def neutral_mentions(turn: TurnContext, text: str) -> str:
    """``text`` with every mention of a person (not the bot) in the core's form."""
    for mention in _mentions(turn):
        written = mention.text or ""
        if not written or written not in text:
            continue
        name = (mention.mentioned.name or "").replace('"', "").replace(">", "")
        object_id = await _object_id(turn, mention.mentioned)
        text = text.replace(written, f'"<@{object_id}|{name}>"')
    return text
