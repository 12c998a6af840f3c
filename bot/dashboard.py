"""The web dashboard's composition: its link signer, its address and its routes."""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Mapping, Sequence

from aiohttp import web

from bot.delivery import PromptSender
from bot.runtime import Runtime
from handlers.web import WebDeps, register
from handlers.web.deps import FollowPosts, PromptNow
from stories.conversation.context import CoreEnv
from stories.conversation.views import Effect
from stories.dashboard.signin import DashboardLinks, LinkSigner

logger = logging.getLogger(__name__)


@functools.cache
def _process_key() -> bytes:
    logger.warning(
        "SIGHTLINE_DASHBOARD_SECRET_KEY is not set: dashboard sign-in links use a random key "
        "for this process, so a link works only on the replica that made it and not after a "
        "restart. Set it to a long random value shared by every replica."
    )
    return secrets.token_bytes(32)


def build_dashboard_links(runtime: Runtime) -> DashboardLinks:
    """The signer (from SIGHTLINE_DASHBOARD_SECRET_KEY) and the address links point at."""
    settings = runtime.settings
    secret = settings.dashboard_secret_key
    key = secret.get_secret_value().encode("utf-8") if secret else _process_key()
    base = str(settings.public_url) if settings.public_url else None
    return DashboardLinks(LinkSigner(key), base or f"http://{settings.host}:{settings.port}")


def attach_dashboard(
    app: web.Application,
    runtime: Runtime,
    core: CoreEnv,
    *,
    prompt_now: PromptNow | None,
    senders: Mapping[str, PromptSender],
) -> None:
    """Serve the dashboard under ``/dashboard`` on the shared server."""
    links = core.dashboard or build_dashboard_links(runtime)
    deps = WebDeps(
        core=core,
        signer=links.signer,
        secure=links.base_url.startswith("https://"),
        prompt_now=prompt_now,
        follow_posts=build_follow_posts(core, senders),
    )
    register(app, deps)


def build_follow_posts(core: CoreEnv, senders: Mapping[str, PromptSender]) -> FollowPosts | None:
    """What the dashboard's changes do in chat, through each platform's own effects."""
    if not senders:
        return None

    async def follow(platform: str, workspace: str, effects: Sequence[Effect]) -> None:
        sender = senders.get(platform)
        if sender is None:
            logger.info("no %s sender: a dashboard change is not carried into chat", platform)
            return
        if platform == "slack":
            from handlers.slack.effects import SlackEffects  # a Teams-only install skips bolt
            from handlers.slack.sender import SlackPromptSender

            assert isinstance(sender, SlackPromptSender)
            await SlackEffects(core).apply(await sender.client_for(workspace), effects)
        else:
            from handlers.teams.effects import TeamsEffects  # a Slack-only install skips it
            from handlers.teams.sender import TeamsSender

            assert isinstance(sender, TeamsSender)
            await TeamsEffects(core, sender).apply(effects)

    return follow
