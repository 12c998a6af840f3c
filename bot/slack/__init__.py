"""Slack composition: the bolt app, Web API clients, OAuth stores and transports (see
``platform`` for the app and its endpoints, ``oauth`` and ``transport`` for the rest)."""

from bot.settings import slack_mode
from bot.slack.oauth import BOT_SCOPES, authorization_url
from bot.slack.platform import (
    SlackParts,
    SlackPlatform,
    build_slack_parts,
    build_slack_sender,
    register_listeners,
)

__all__ = [
    "BOT_SCOPES",
    "SlackParts",
    "SlackPlatform",
    "authorization_url",
    "build_slack_parts",
    "build_slack_sender",
    "register_listeners",
    "slack_mode",
]
