"""The composition root: the whole of Sightline, each part built once, in one function.

Read :func:`build_sightline` to see the app: the runtime (settings, database, clock,
redactor), the conversation core, each configured chat platform's client and sender, the one
prompt scheduler those senders serve, and the platforms' listeners wired to the core and to
the scheduler. Nothing is built at import time, and nothing here is built twice: the Slack
and Teams senders the scheduler uses are the ones their listeners use.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy import Engine

from bot.dashboard import attach_dashboard, build_dashboard_links
from bot.delivery import PromptSender
from bot.runtime import Runtime, build_runtime
from bot.scheduler import PromptScheduler, default_instance_name
from bot.scheduler.housekeeping import DataJobs
from bot.server import Platform, build_web_app
from bot.settings import Settings, slack_mode, teams_configured
from stories.clock import Clock
from stories.conversation.context import ConversationConfig, CoreEnv

if TYPE_CHECKING:  # imported where used, so an install needs only its own platform's SDK
    from bot.slack import SlackParts
    from bot.teams import TeamsParts

logger = logging.getLogger(__name__)
PromptNowPort = Callable[[int], Awaitable[tuple[str, str | None]]]


@dataclass
class Sightline:
    """Everything one process runs."""

    runtime: Runtime
    core: CoreEnv
    senders: dict[str, PromptSender] = field(default_factory=dict)
    scheduler: PromptScheduler | None = None  # None: no platform can deliver prompts
    platforms: list[Platform] = field(default_factory=list)
    prompt_now: PromptNowPort | None = None

    def web_app(self) -> web.Application:
        """The HTTP server with every platform's endpoints; the prompt scheduler starts and
        stops with it unless prompts are switched off."""
        app = build_web_app(self.runtime, platforms=self.platforms)
        if self.runtime.settings.data_jobs_enabled:
            self.data_jobs().attach(app)
        attach_dashboard(
            app, self.runtime, self.core, prompt_now=self.prompt_now, senders=self.senders
        )
        if self.scheduler is None:
            logger.info("No platform can send prompts yet: the prompt scheduler is not started.")
        elif not self.runtime.settings.prompts_enabled:
            logger.info("Prompts are disabled (SIGHTLINE_PROMPTS_ENABLED=false).")
        else:
            self.scheduler.attach(app)
        return app

    def data_jobs(self) -> DataJobs:
        """Retention and the purge of removed workspaces (bot/scheduler/housekeeping.py)."""
        settings = self.runtime.settings
        return DataJobs(self.runtime, settings.scheduler_instance or default_instance_name())


def build_core(runtime: Runtime) -> CoreEnv:
    """The conversation core's dependencies, from settings read once."""
    settings = runtime.settings
    channels = {
        platform: channel
        for platform, channel in (
            ("slack", settings.slack_stories_channel),
            ("teams", settings.teams_stories_conversation),
        )
        if channel
    }
    leads_channels = {
        platform: channel
        for platform, channel in (
            ("slack", settings.leads_slack_channel),
            ("teams", settings.leads_teams_conversation),
        )
        if channel
    }
    leads = frozenset(entry.casefold() for entry in (*settings.cx_leads, *settings.teams_cx_leads))
    return CoreEnv(
        sessions=runtime.session,
        clock=runtime.clock,
        redactor=runtime.redactor,
        config=ConversationConfig(
            stories_channels=channels,
            leads_channels=leads_channels,
            cx_leads=leads,
            default_timezone=settings.default_timezone,
            removal_grace_days=settings.workspace_removal_grace_days,
        ),
        on_capture=runtime.metrics.capture_observed,
        dashboard=build_dashboard_links(runtime),
    )


def build_sightline(
    settings: Settings,
    *,
    runtime: Runtime | None = None,
    engine: Engine | None = None,
    clock: Clock | None = None,
) -> Sightline:
    """Build the whole app from settings; tests pass their own engine and clock."""
    runtime = runtime or build_runtime(settings, engine=engine, clock=clock)
    core = build_core(runtime)
    sightline = Sightline(runtime=runtime, core=core)
    slack = _slack_parts(runtime)
    teams = _teams_parts(runtime, core)
    if slack is not None:
        sightline.senders["slack"] = slack.sender
    if teams is not None:
        sightline.senders["teams"] = teams.sender
    if sightline.senders:
        sightline.scheduler = PromptScheduler(runtime, sightline.senders)
    prompt_now = _prompt_now(sightline.scheduler) if sightline.scheduler else None
    sightline.prompt_now = prompt_now
    if slack is not None:
        from bot.slack import SlackPlatform, register_listeners

        listeners = register_listeners(runtime, slack, core, prompt_now)
        sightline.platforms.append(SlackPlatform(runtime, slack, listeners))
    if teams is not None:
        from bot.teams import TeamsPlatform, build_teams_bot

        bot = build_teams_bot(teams, core, prompt_now)
        sightline.platforms.append(TeamsPlatform(runtime, teams, bot))
    if not sightline.platforms:
        logger.warning("No chat platform is configured: only /healthz and /metrics are served.")
    return sightline


def build_senders(runtime: Runtime) -> dict[str, PromptSender]:
    """The prompt senders alone, for a command that posts without serving (`prompts send`)."""
    senders: dict[str, PromptSender] = {}
    if slack_mode(runtime.settings) is not None:
        from bot.slack import build_slack_sender  # a Teams-only install never loads bolt

        if (slack := build_slack_sender(runtime)) is not None:
            senders["slack"] = slack
    teams = _teams_parts(runtime, build_core(runtime))
    if teams is not None:
        senders["teams"] = teams.sender
    return senders


def _slack_parts(runtime: Runtime) -> SlackParts | None:
    if slack_mode(runtime.settings) is None:
        return None
    from bot.slack import build_slack_parts  # a Teams-only install never loads bolt

    parts = build_slack_parts(runtime)
    logger.info("Slack enabled (%s mode)", slack_mode(runtime.settings))
    return parts


def _teams_parts(runtime: Runtime, core: CoreEnv) -> TeamsParts | None:
    if not teams_configured(runtime.settings):
        return None
    from bot.teams import build_teams_parts  # a Slack-only install never loads botbuilder

    mode = "anonymous (local testing only)" if not runtime.settings.teams_app_id else "auth"
    logger.info("Microsoft Teams enabled at POST /api/messages, %s mode", mode)
    return build_teams_parts(runtime, core)


def _prompt_now(scheduler: PromptScheduler) -> PromptNowPort:
    """`prompt now` from chat: a manual occurrence through the scheduler's ledger."""

    async def send(department_id: int) -> tuple[str, str | None]:
        outcome = await scheduler.send_now(department_id=department_id)
        status = outcome.status.value if outcome.status is not None else "not sent"
        return status, outcome.reason

    return send
