"""Slack payloads into the core's neutral :class:`ChatContext`, and the Web API look-ups
that need (whether a channel is public, a message's text and permalink)."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from stories.conversation.context import ChatContext, Place
from stories.models import Platform

logger = logging.getLogger(__name__)


def team_of(body: dict[str, Any]) -> tuple[str, str | None]:
    """The workspace's id and, where the payload has it, its name."""
    team = body.get("team")
    if isinstance(team, dict):
        return team["id"], team.get("domain") or team.get("name")
    if body.get("team_id"):
        return body["team_id"], body.get("team_domain")
    user = body.get("user") or {}
    return user.get("team_id", ""), None


def user_of(body: dict[str, Any]) -> str:
    user = body.get("user")
    if isinstance(user, dict):
        return str(user.get("id") or "")
    return str(body.get("user_id") or user or "")


def channel_of(body: dict[str, Any]) -> str | None:
    """The channel an interaction came from (a message's, a command's)."""
    channel = body.get("channel")
    found = (channel.get("id") if isinstance(channel, dict) else None) or body.get("channel_id")
    found = found or (body.get("container") or {}).get("channel_id")
    return str(found) if found else None


async def place_of(
    client: AsyncWebClient, channel: str | None, channel_name: str | None = None
) -> Place:
    """Who can read a channel: only a channel Slack confirms as public is public."""
    if not channel or channel_name == "directmessage" or channel.startswith("D"):
        return Place.PERSONAL if channel and channel.startswith("D") else Place.PRIVATE
    if channel.startswith("G") or channel_name in ("privategroup", "mpdm"):
        return Place.PRIVATE
    try:
        info = (await client.conversations_info(channel=channel))["channel"]
    except SlackApiError:
        return Place.PRIVATE  # channels:read cannot see private channels, which is the answer
    if info.get("is_im"):
        return Place.PERSONAL
    public = info.get("is_channel", True) and not (info.get("is_private") or info.get("is_mpim"))
    return Place.PUBLIC if public else Place.PRIVATE


def context(
    body: dict[str, Any], *, user: str | None = None, channel: str | None = None, place: Place
) -> ChatContext:
    """The neutral context of a request. Slack's answers are ephemeral or direct messages,
    so a reply is always read by the asker alone."""
    team_id, team_name = team_of(body)
    return ChatContext(
        platform=Platform.SLACK,
        workspace=team_id,
        workspace_name=team_name,
        user=user or user_of(body),
        place=place,
        conversation=channel,
        private_reply=True,
    )


async def context_here(
    body: dict[str, Any], client: AsyncWebClient, *, channel_name: str | None = None
) -> ChatContext:
    """The context of a request, with the place read from its channel."""
    channel = channel_of(body)
    place = await place_of(client, channel, channel_name or body.get("channel_name"))
    return context(body, channel=channel, place=place)


async def permalink(client: AsyncWebClient, channel: str, ts: str) -> str | None:
    try:
        return str((await client.chat_getPermalink(channel=channel, message_ts=ts))["permalink"])
    except SlackApiError as exc:
        logger.info("no permalink for %s/%s: %s", channel, ts, exc.response.get("error"))
        return None


async def fetch_message(client: AsyncWebClient, channel: str, ts: str) -> dict[str, Any] | None:
    """A message by channel and timestamp, in the channel or inside a thread."""
    try:
        answer = await client.conversations_history(
            channel=channel, latest=ts, oldest=ts, inclusive=True, limit=1
        )
        messages = answer.get("messages") or []
        if not messages:  # a reply inside a thread is not in the channel history
            answer = await client.conversations_replies(
                channel=channel, ts=ts, latest=ts, inclusive=True, limit=1
            )
            messages = [m for m in answer.get("messages") or [] if m.get("ts") == ts]
    except SlackApiError as exc:
        logger.info("cannot read %s/%s: %s", channel, ts, exc.response.get("error"))
        return None
    return messages[0] if messages else None
