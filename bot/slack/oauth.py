"""Slack OAuth for many workspaces: slack_sdk's SQLAlchemy stores on Sightline's database,
run in worker threads for the async app."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from sqlalchemy import Engine

if TYPE_CHECKING:
    # slack_sdk's SQLAlchemy stores import sqlalchemy.ext.asyncio, which needs greenlet:
    # imported only in OAuth mode so single-workspace and Socket Mode never need it.
    from bot.slack.sealed import HashedOAuthStateStore, SealedInstallationStore

from bot.secret_box import SecretBox, parse_keys
from bot.settings import Settings, SettingsError

logger = logging.getLogger(__name__)

# The bot scopes Sightline needs, and nothing more (kept in step with the manifest).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "channels:read",
    "channels:history",
    "groups:history",
    "groups:read",
    "im:write",
    "files:write",
    "reactions:read",
    "users:read",
    "users:read.email",
    "usergroups:read",
)
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
OAUTH_STATE_SECONDS = 600


class ThreadedInstallationStore(AsyncInstallationStore):
    """slack_sdk's SQLAlchemyInstallationStore, run in worker threads for the async app.

    The store itself is synchronous (our engines are sync: SQLite and psycopg); running it
    in a thread keeps the event loop free while it reads and writes the same tables.
    """

    def __init__(
        self, store: SealedInstallationStore, on_saved: Callable[[str], None] | None = None
    ) -> None:
        self.store = store
        self.on_saved = on_saved  # told the team id of every installation saved

    @property
    def logger(self) -> logging.Logger:
        return logger

    async def async_save(self, installation: Installation) -> None:
        await asyncio.to_thread(self.store.save, installation)
        if self.on_saved is not None and installation.team_id:
            await asyncio.to_thread(self.on_saved, installation.team_id)

    async def async_save_bot(self, bot: Bot) -> None:
        await asyncio.to_thread(self.store.save_bot, bot)

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        return await asyncio.to_thread(
            self.store.find_bot,
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        return await asyncio.to_thread(
            self.store.find_installation,
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(self.store.delete_bot, enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        await asyncio.to_thread(
            self.store.delete_installation,
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
        )

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(self.store.delete_all, enterprise_id=enterprise_id, team_id=team_id)


class ThreadedOAuthStateStore(AsyncOAuthStateStore):
    """slack_sdk's SQLAlchemyOAuthStateStore, run in worker threads."""

    def __init__(self, store: HashedOAuthStateStore) -> None:
        self.store = store

    @property
    def logger(self) -> logging.Logger:
        return logger

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        return await asyncio.to_thread(self.store.issue, *args, **kwargs)

    async def async_consume(self, state: str) -> bool:
        return await asyncio.to_thread(self.store.consume, state)


def secret_box_for_oauth(settings: Settings) -> SecretBox:
    """The key that seals installations; OAuth mode does not start without it.

    Raises:
        SettingsError: SIGHTLINE_SECRET_KEY is not set.
    """
    if settings.secret_key is None:
        raise SettingsError(
            "Setting SIGHTLINE_SECRET_KEY is missing: Slack OAuth mode stores each workspace's "
            "tokens encrypted with it. Generate one with `sightline secrets generate-key`."
        )
    return SecretBox(parse_keys(settings.secret_key.get_secret_value()))


def installation_store(settings: Settings, engine: Engine) -> SealedInstallationStore:
    """slack_sdk's store on the tables migration 0003 creates (never create_tables()), with
    tokens encrypted (bot/slack/sealed.py)."""
    box = secret_box_for_oauth(settings)
    try:
        from bot.slack.sealed import SealedInstallationStore
    except ImportError as exc:  # SQLAlchemy's asyncio module, imported by slack_sdk, needs it
        raise RuntimeError(
            "Slack OAuth mode needs the 'greenlet' package (pip install greenlet), "
            f"which slack_sdk's SQLAlchemy stores import: {exc}"
        ) from None

    assert settings.slack_client_id is not None
    return SealedInstallationStore(client_id=settings.slack_client_id, engine=engine, box=box)


def authorization_url(settings: Settings) -> str:
    """Slack's consent page on the same host as the Web API (slack.com, slack-gov.com…)."""
    api = str(settings.slack_api_url)
    base = api[: -len("/api/")] if api.endswith("/api/") else api.rstrip("/")
    return f"{base}/oauth/v2/authorize"


def oauth_settings(
    settings: Settings, engine: Engine, on_installed: Callable[[str], None] | None = None
) -> AsyncOAuthSettings:
    assert settings.slack_client_secret is not None
    installations = installation_store(settings, engine)  # fails clearly without greenlet
    from bot.slack.sealed import HashedOAuthStateStore

    redirect_uri = (
        str(settings.public_url).rstrip("/") + REDIRECT_PATH if settings.public_url else None
    )
    return AsyncOAuthSettings(
        authorization_url=authorization_url(settings),
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES),
        redirect_uri=redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=ThreadedInstallationStore(installations, on_installed),
        state_store=ThreadedOAuthStateStore(
            HashedOAuthStateStore(
                expiration_seconds=OAUTH_STATE_SECONDS,
                engine=engine,
                box=secret_box_for_oauth(settings),
            )
        ),
    )
