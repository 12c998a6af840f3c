"""The app uninstalled or its bot token revoked: the workspace goes inactive at once.

In OAuth mode the stored tokens are deleted first (bolt's own revocation listeners, run
from here because bolt runs one listener per event); in single-workspace mode the token
lives in the environment and Slack has already invalidated it, which is said loudly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.listener.async_builtins import AsyncTokenRevocationListeners

from stories.conversation import installs
from stories.conversation.context import CoreEnv
from stories.models import Platform

logger = logging.getLogger(__name__)
Listener = Callable[..., Awaitable[None]]


def register_lifecycle(
    app: AsyncApp,
    core: CoreEnv,
    revocation: AsyncTokenRevocationListeners | None,
    guard: Callable[[Listener], Listener],
) -> None:
    """Listen for ``app_uninstalled`` and ``tokens_revoked``.

    Args:
        app: the bolt app.
        core: the conversation core's dependencies.
        revocation: bolt's listeners that delete stored tokens (OAuth mode), or None.
        guard: the skin's in-flight tracking (shutdown lets the work finish).
    """

    async def handle_app_uninstalled(body: dict[str, Any], context: AsyncBoltContext) -> None:
        if revocation is not None:
            await revocation.handle_app_uninstalled_events(context)
        await _removed(core, body, "app_uninstalled", single=revocation is None)

    async def handle_tokens_revoked(
        event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        if revocation is not None:
            await revocation.handle_tokens_revoked_events(event, context)
        if event.get("tokens", {}).get("bot"):  # user tokens alone do not stop Sightline
            await _removed(core, body, "tokens_revoked", single=revocation is None)

    app.event("app_uninstalled")(guard(handle_app_uninstalled))
    app.event("tokens_revoked")(guard(handle_tokens_revoked))


async def _removed(core: CoreEnv, body: dict[str, Any], reason: str, *, single: bool) -> None:
    team = str(body.get("team_id") or "")
    if not team:
        return
    await asyncio.to_thread(
        installs.removed, env=core, platform=Platform.SLACK, workspace=team, reason=reason
    )
    logger.warning(
        "Slack workspace %s: %s. It is inactive now and its data will be deleted after %d "
        "days unless the app is installed again.",
        team,
        reason,
        core.config.removal_grace_days,
    )
    if single:
        logger.error(
            "SLACK_BOT_TOKEN no longer works. Reinstall the app, set the new token and run "
            "`sightline workspaces reactivate %s`.",
            team,
        )
