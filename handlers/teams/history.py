"""Whether a prompt card already reached its channel: the one check Teams allows a bot.

The Bot Framework gives a bot no way to read a channel. Microsoft Graph does (``GET
/teams/{team}/channels/{channel}/messages``) for an app the team granted the resource-specific
permission ``ChannelMessage.Read.Group`` when it installed Sightline (the app manifest asks for
it). The composition root implements :class:`ChannelHistory` over Graph; this module finds the
card among the channel's newest root posts by the delivery id its **Send answer** button
carries.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Protocol

CARD_TYPE = "application/vnd.microsoft.card.adaptive"


class ChannelHistory(Protocol):
    """The newest root posts of a team channel, as Graph's chatMessage objects."""

    app_id: str  # posts by this app are Sightline's

    async def recent_posts(
        self, *, tenant: str, team_group_id: str, channel: str
    ) -> list[dict[str, Any]]:
        """Raises when Graph cannot be asked (no consent, no token): then nobody can tell."""
        ...


def _carries(node: Any, delivery_id: int) -> bool:
    if isinstance(node, dict):
        if node.get("delivery_id") == delivery_id and node.get("sightline"):
            return True
        return any(_carries(value, delivery_id) for value in node.values())
    if isinstance(node, list):
        return any(_carries(item, delivery_id) for item in node)
    return False


def posted_card(posts: Iterable[dict[str, Any]], *, app_id: str, delivery_id: int) -> str | None:
    """The id of the post by ``app_id`` whose card carries ``delivery_id``, if any."""
    for post in posts:
        application = ((post.get("from") or {}).get("application") or {}).get("id")
        if application != app_id:
            continue
        for attachment in post.get("attachments") or []:
            if attachment.get("contentType") != CARD_TYPE:
                continue
            try:
                card = json.loads(attachment.get("content") or "null")
            except ValueError:
                continue
            if _carries(card, delivery_id):
                return str(post["id"])
    return None
