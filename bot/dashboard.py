"""The web dashboard's composition: its link signer, its address and its routes."""

from __future__ import annotations

import functools
import logging
import secrets

from aiohttp import web

from bot.runtime import Runtime
from handlers.web import WebDeps, register
from handlers.web.deps import PromptNow
from stories.conversation.context import CoreEnv
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
    app: web.Application, runtime: Runtime, core: CoreEnv, prompt_now: PromptNow | None
) -> None:
    """Serve the dashboard under ``/dashboard`` on the shared server."""
    links = core.dashboard or build_dashboard_links(runtime)
    secure = links.base_url.startswith("https://")
    register(app, WebDeps(core=core, signer=links.signer, secure=secure, prompt_now=prompt_now))
