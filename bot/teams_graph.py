"""Microsoft Graph, for the one thing the Bot Framework cannot tell a bot: whether its prompt
card is already in a channel (crash recovery; see ``handlers.teams.history``).

Graph lists a team channel's root posts to an app the team granted the resource-specific
permission ``ChannelMessage.Read.Group`` at install (the manifest asks for it). The token is
the app's own (client credentials) for the tenant that owns the channel, as Graph requires.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

import httpx
from cachetools import TTLCache

from bot.settings import Settings, teams_app_type

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
PAGE = 50  # Graph's largest page of channel messages: the newest 50 root posts
TOKEN_SECONDS = 45 * 60  # Entra issues tokens for an hour or more; renew well before
TIMEOUT = 10.0


class GraphError(Exception):
    """Graph could not be asked; the message says why (no consent, no token)."""


class GraphChannelHistory:
    """:class:`handlers.teams.history.ChannelHistory` over Microsoft Graph."""

    def __init__(self, *, app_id: str, secret: str, login_url: str, graph_url: str) -> None:
        self.app_id = app_id
        self._secret = secret
        self._login = login_url.rstrip("/")
        self._graph = graph_url.rstrip("/")
        self._tokens: TTLCache[str, str] = TTLCache(maxsize=100, ttl=TOKEN_SECONDS)
        self._lock = asyncio.Lock()

    async def _token(self, client: httpx.AsyncClient, tenant: str) -> str:
        async with self._lock:
            cached = self._tokens.get(tenant)
            if cached:
                return cached
            form = {
                "grant_type": "client_credentials",
                "client_id": self.app_id,
                "client_secret": self._secret,
                "scope": GRAPH_SCOPE,
            }
            response = await client.post(
                f"{self._login}/{quote(tenant)}/oauth2/v2.0/token", data=form
            )
            if response.status_code != 200:
                raise GraphError(
                    f"no Graph token for tenant {tenant} (HTTP {response.status_code})"
                )
            token = str(response.json()["access_token"])
            self._tokens[tenant] = token
            return token

    async def recent_posts(
        self, *, tenant: str, team_group_id: str, channel: str
    ) -> list[dict[str, Any]]:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            token = await self._token(client, tenant)
            url = (
                f"{self._graph}/v1.0/teams/{quote(team_group_id)}"
                f"/channels/{quote(channel, safe='')}/messages"
            )
            response = await client.get(
                url, params={"$top": str(PAGE)}, headers={"Authorization": f"Bearer {token}"}
            )
        if response.status_code != 200:
            raise GraphError(
                f"Graph would not list the channel's posts (HTTP {response.status_code}): "
                "was ChannelMessage.Read.Group consented when the team installed the app?"
            )
        value = response.json().get("value")
        return list(value) if isinstance(value, list) else []


def channel_history(settings: Settings) -> GraphChannelHistory | None:
    """Graph for a bot with an app id and a client secret; None otherwise (anonymous local
    testing; a managed identity, whose Graph token this version does not ask for)."""
    password = settings.teams_app_password
    if not settings.teams_app_id or password is None:
        return None
    if teams_app_type(settings) == "UserAssignedMSI":
        return None
    return GraphChannelHistory(
        app_id=settings.teams_app_id,
        secret=password.get_secret_value(),
        login_url=str(settings.teams_login_url),
        graph_url=str(settings.teams_graph_url),
    )


def crash_check_note(settings: Settings) -> str:
    """What `sightline prompts deliveries` says about a Teams card sent just before a crash."""
    if channel_history(settings) is not None:
        return (
            "Teams: after a crash mid-send, the card is looked for in its channel through "
            "Microsoft Graph before it is sent again (the team grants ChannelMessage.Read.Group "
            "when it installs the app; without it the claim waits, unsent, and is reported)."
        )
    return (
        "Teams: without an app secret (local testing, or a managed identity) Sightline cannot "
        "read a channel, so a card Teams accepted in the milliseconds before a crash, before "
        "the ledger recorded it, is sent once more on recovery."
    )
