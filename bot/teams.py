"""Teams composition: the Bot Framework adapter, the one proactive sender and the activity
handler, built from settings, and the endpoint POST /api/messages on the shared server.

Every ``botbuilder`` import lives here or in ``handlers/teams/``: botbuilder-python is archived
by Microsoft (its successor is the Microsoft 365 Agents SDK), and a move touches these two
places only. With no app id (local testing, ``teams_allow_anonymous``) the Bot Framework skips
authentication.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)

from bot.charts import ChartLinks, attach_chart_route, build_chart_links
from bot.runtime import Runtime
from bot.settings import Settings, teams_app_type
from bot.teams_graph import channel_history
from handlers.teams.bot import SightlineTeamsBot
from handlers.teams.deps import TeamsDeps
from handlers.teams.ports import PromptNow
from handlers.teams.sender import TeamsSender
from stories.conversation import texts
from stories.conversation.context import CoreEnv

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _AuthConfig:
    """The attribute names ConfigurationBotFrameworkAuthentication reads."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str


def _adapter(settings: Settings) -> tuple[CloudAdapter, str]:
    password = settings.teams_app_password
    config = _AuthConfig(
        APP_ID=settings.teams_app_id or "",
        APP_PASSWORD=password.get_secret_value() if password else "",
        APP_TYPE=teams_app_type(settings),
        APP_TENANTID=settings.teams_app_tenant_id or "",
    )
    return CloudAdapter(ConfigurationBotFrameworkAuthentication(config)), config.APP_ID


# Anonymous mode exists for Microsoft's local clients (Agents Playground, the Emulator): it
# takes activities from them only, never a Slack-, Direct Line- or web-chat-shaped one.
ANONYMOUS_CHANNELS = frozenset({"msteams", "emulator"})


async def _refused(request: web.Request, *, anonymous: bool) -> web.Response | None:
    """A body that is not a JSON activity (400), or in anonymous mode one from another
    channel than Teams or the Emulator (403); None: hand it to botbuilder."""
    try:
        body = await request.json()  # aiohttp keeps the body: botbuilder reads it again
    except ValueError:
        return web.json_response({"error": "the body is not a JSON activity"}, status=400)
    if not isinstance(body, dict):
        return web.json_response({"error": "the body is not a JSON activity"}, status=400)
    channel = body.get("channelId")
    if anonymous and channel not in ANONYMOUS_CHANNELS:
        logger.warning("Teams (anonymous mode) refused an activity from channel %r", channel)
        return web.json_response({"error": "channel not accepted"}, status=403)
    return None


class _TrackedTurn:
    """Wraps the bot to know whether an error came before the turn (auth) or inside it."""

    def __init__(self, bot: SightlineTeamsBot) -> None:
        self.bot = bot
        self.started = False

    async def on_turn(self, context: TurnContext) -> None:
        self.started = True
        await self.bot.on_turn(context)


@dataclass(frozen=True)
class TeamsParts:
    """What Teams needs built once per process: the adapter, chart links and the sender."""

    adapter: CloudAdapter
    app_id: str
    charts: ChartLinks
    sender: TeamsSender


def build_teams_parts(runtime: Runtime, core: CoreEnv) -> TeamsParts:
    adapter, app_id = _adapter(runtime.settings)
    charts = build_chart_links(runtime)
    sender = TeamsSender(
        core,
        adapter,
        app_id,
        charts=charts,
        history=channel_history(runtime.settings),
        on_rate_limited=runtime.metrics.rate_limited.labels(platform="teams").inc,
    )
    return TeamsParts(adapter, app_id, charts, sender)


def build_teams_bot(
    parts: TeamsParts, core: CoreEnv, prompt_now: PromptNow | None
) -> SightlineTeamsBot:
    return SightlineTeamsBot(
        TeamsDeps(core=core, sender=parts.sender, charts=parts.charts, prompt_now=prompt_now)
    )


class TeamsPlatform:
    """Adds POST /api/messages and the chart route to the shared server."""

    name = "teams"

    def __init__(self, runtime: Runtime, parts: TeamsParts, bot: SightlineTeamsBot) -> None:
        self.runtime = runtime
        self.parts = parts
        self.bot = bot

    def attach(self, app: web.Application) -> None:
        adapter, app_id, bot = self.parts.adapter, self.parts.app_id, self.bot
        attach_chart_route(app, self.runtime, self.parts.charts.signer)

        async def on_error(context: TurnContext, error: Exception) -> None:
            logger.error("Teams turn failed", exc_info=error)
            try:
                await context.send_activity(texts.SORRY)
            except Exception:  # the connector itself may be what failed
                logger.exception("could not tell the user about the failure")

        adapter.on_turn_error = on_error
        auth_required = bool(app_id)

        async def messages(request: web.Request) -> web.StreamResponse:
            if (refused := await _refused(request, anonymous=not auth_required)) is not None:
                return refused
            header = request.headers.get("Authorization", "")
            if auth_required and not header.startswith("Bearer "):
                # botbuilder 4.17.1 lets an absent header ("" is not None) through to the bot.
                return web.json_response({"error": "unauthorized"}, status=401)
            turn = _TrackedTurn(bot)
            try:
                response = await adapter.process(request, turn)
            except web.HTTPException as exc:
                if exc.status in (401, 403, 415):
                    raise
                if exc.status < 500 and not turn.started:  # botbuilder refused the activity
                    logger.warning("Teams request refused by botbuilder: %s", exc.reason)
                    return web.json_response({"error": exc.reason}, status=exc.status)
                logger.exception("Teams request failed")
                return web.json_response({"error": texts.SORRY}, status=200)
            except Exception as exc:
                if auth_required and not turn.started:
                    # Malformed, expired or foreign tokens (or an activity botbuilder cannot
                    # read) surface as jwt/ValueError/KeyError before the turn starts; the SDK
                    # would answer 500. Nobody authenticated it: the reason, no traceback.
                    logger.warning("Teams request rejected (%s): %s", type(exc).__name__, exc)
                    return web.json_response({"error": "unauthorized"}, status=401)
                logger.exception("Teams request failed")  # never 500: the connector retries
                return web.json_response({"error": texts.SORRY}, status=200)
            return response if response is not None else web.Response(status=200)

        app.router.add_post("/api/messages", messages)
