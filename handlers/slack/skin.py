"""What every Slack listener shares: the core, the effects, answering people, lead evidence."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack.acks import Inflight
from handlers.slack.blocks import block_dicts, fallback, notice
from handlers.slack.deps import SlackDeps
from handlers.slack.effects import SlackEffects
from stories.conversation import texts
from stories.conversation.leads import LeadEvidence, NeedsEvidence

logger = logging.getLogger(__name__)
R = TypeVar("R")


class SlackSkin:
    def __init__(self, deps: SlackDeps) -> None:
        self.deps = deps
        self.core = deps.core
        self.effects = SlackEffects(deps.core)
        self.inflight = Inflight()

    async def tell(
        self,
        client: AsyncWebClient,
        user_id: str,
        channel: str | None,
        text: str,
        blocks: list[Any] | None = None,
    ) -> None:
        """Ephemeral in the channel the person was in, else a direct message from the app."""
        payload = block_dicts(blocks if blocks is not None else notice(text))
        if channel and not channel.startswith("D"):
            try:
                await client.chat_postEphemeral(
                    channel=channel, user=user_id, text=fallback(text), blocks=payload
                )
                return
            except SlackApiError as exc:
                logger.info(
                    "ephemeral to %s failed (%s); sending a DM", channel, exc.response.get("error")
                )
        await client.chat_postMessage(channel=user_id, text=fallback(text), blocks=payload)

    @staticmethod
    async def warn(respond: AsyncRespond, exc: Exception) -> None:
        """A refusal or error, to the person who pressed or typed, leaving the message be."""
        await respond(
            response_type="ephemeral",
            replace_original=False,
            text=fallback(texts.warning(str(exc))),
        )

    async def decided(
        self,
        client: AsyncWebClient,
        user_id: str,
        work: Callable[[LeadEvidence | None], R | NeedsEvidence],
    ) -> R:
        """Run core work that may need to know whether the person is a CX lead: the core asks
        for Slack's evidence only when its own cheap checks cannot decide."""
        result = await asyncio.to_thread(work, None)
        if isinstance(result, NeedsEvidence):
            evidence = await self.evidence(client, user_id, emails=result.wants_identities)
            result = await asyncio.to_thread(work, evidence)
            assert not isinstance(result, NeedsEvidence)  # evidence given: the core decides
        return result

    async def evidence(
        self, client: AsyncWebClient, user_id: str, *, emails: bool = False
    ) -> LeadEvidence:
        """Whether Slack itself makes this person a CX lead (the leads' user group, or a
        workspace admin or owner unless that is switched off), and, when leads are named by
        e-mail, the person's e-mail address."""
        group = self.deps.cx_lead_usergroup
        if group:
            try:
                answer = await client.usergroups_users_list(usergroup=group)
                if user_id in (answer.get("users") or []):
                    return LeadEvidence(granted=True)
            except SlackApiError as exc:
                logger.warning("cannot read user group %s: %s", group, exc.response.get("error"))
        if not (self.deps.admins_are_cx_leads or emails):
            return LeadEvidence()
        try:
            user = (await client.users_info(user=user_id)).get("user") or {}
        except SlackApiError as exc:
            logger.warning("cannot read user %s: %s", user_id, exc.response.get("error"))
            return LeadEvidence()
        email = str((user.get("profile") or {}).get("email") or "")
        admin = bool(user.get("is_admin") or user.get("is_owner"))
        return LeadEvidence(
            identities=frozenset({email.casefold()} if email else ()),
            granted=admin and self.deps.admins_are_cx_leads,
        )
