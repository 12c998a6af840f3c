"""Which chat platforms this process serves, decided from settings alone."""

from __future__ import annotations

import logging

from bot.runtime import Runtime
from bot.server import Platform

logger = logging.getLogger(__name__)


def build_platforms(runtime: Runtime) -> list[Platform]:
    """Build the Slack and Teams parts the settings configure (none is an allowed choice).

    Each platform module decides for itself whether its settings are complete and logs the
    mode it runs in, so an operator can see at start-up what this process will answer.
    """
    platforms: list[Platform] = []
    from bot import slack  # imported here: a Teams-only install never loads slack_bolt

    if slack.slack_mode(runtime.settings) is not None:
        platforms.append(slack.SlackPlatform(runtime))
    from bot import teams  # imported here: a Slack-only install never loads botbuilder

    if teams.teams_configured(runtime.settings):
        mode = "anonymous (local testing only)" if not runtime.settings.teams_app_id else "auth"
        logger.info("Microsoft Teams enabled at POST /api/messages, %s mode", mode)
        platforms.append(teams.TeamsPlatform(runtime))
    if not platforms:
        logger.warning("No chat platform is configured: only /healthz and /metrics are served.")
    return platforms
