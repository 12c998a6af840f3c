"""Teams activities into the core's neutral :class:`ChatContext`."""

from __future__ import annotations

from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from stories.conversation.context import ChatContext, Place
from stories.models import Platform


def conversation_key(activity: Activity) -> str:
    """The id a conversation is saved and linked under.

    In a team channel Teams names the thread (``19:…@thread.tacv2;messageid=…``); the channel
    itself is the part before ``;messageid=``, which is what departments, the leads' and the
    stories settings name, and where a proactive post starts a new thread.
    """
    conversation_id: str = activity.conversation.id
    if activity.conversation.conversation_type == "channel":
        return conversation_id.split(";messageid=", 1)[0]
    return conversation_id


def place_of(activity: Activity) -> Place:
    """A team channel is read by the team; a group chat by some people; a personal chat by one."""
    kind = activity.conversation.conversation_type if activity.conversation else None
    if kind == "channel":
        return Place.PUBLIC
    if kind == "personal":
        return Place.PERSONAL
    return Place.PRIVATE


def tenant_of(activity: Activity) -> str:
    tenant = activity.conversation.tenant_id if activity.conversation else None
    channel_data: dict[str, Any] = activity.channel_data or {}
    return str(tenant or (channel_data.get("tenant") or {}).get("id") or "local")


def team_of(activity: Activity) -> str | None:
    channel_data: dict[str, Any] = activity.channel_data or {}
    team = (channel_data.get("team") or {}).get("id")
    return str(team) if team else None


def context_of(turn: TurnContext) -> ChatContext:
    """Who is asking and where. A card the bot answers with in a channel or group chat is
    read by everyone there, so only a personal chat gets answers for the asker alone."""
    activity = turn.activity
    user = activity.from_property
    user_id = (user.aad_object_id or user.id) if user else "unknown"
    place = place_of(activity)
    return ChatContext(
        platform=Platform.TEAMS,
        workspace=tenant_of(activity),
        user=user_id,
        user_name=(user.name if user else None) or None,
        place=place,
        conversation=conversation_key(activity) if activity.conversation else None,
        private_reply=place == Place.PERSONAL,
    )


def identities(turn: TurnContext) -> frozenset[str]:
    """Every id Teams gives for the person (the lead list may name either)."""
    user = turn.activity.from_property
    if user is None:
        return frozenset()
    return frozenset(v.casefold() for v in (user.aad_object_id, user.id) if v)
