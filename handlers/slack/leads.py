"""`/cx`: CX lead commands. The core parses, gates and carries them out; this sends the
results the Slack way: the summary (and its chart) and the export files go to the lead's
direct message, because figures are for leads only and a direct message, unlike an
ephemeral reply, is still there tomorrow."""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack.blocks import block_dicts, departments, fallback, help_blocks, notice
from handlers.slack.context import context_here
from handlers.slack.sender import upload_chart
from handlers.slack.skin import SlackSkin
from handlers.slack.summary_blocks import summary_blocks, summary_text
from stories.chart import render_chart
from stories.conversation import lead_texts, leads, texts
from stories.conversation.context import ChatContext
from stories.conversation.dashboard import DashboardLinkReply
from stories.conversation.leads import ExportReply, PromptNowRequest, SummaryReply
from stories.conversation.views import DepartmentsView, HelpView, Notice, Tone
from stories.errors import InvalidFieldError, SightlineError

logger = logging.getLogger(__name__)
_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")


def channel_id(word: str) -> str:
    """A channel picked from Slack's suggestions (``<#C123|name>``) to its id."""
    match = _CHANNEL.match(word)
    if match is None:
        raise InvalidFieldError(
            field="channel", reason="pick the channel from Slack's suggestions as you type #"
        )
    return match.group(1)


class LeadListeners:
    def __init__(self, skin: SlackSkin) -> None:
        self.skin = skin
        self.core = skin.core

    async def handle_cx_command(
        self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        ctx = await context_here(body, client)
        work = functools.partial(
            leads.lead_command,
            env=self.core,
            ctx=ctx,
            text=body.get("text") or "",
            channel=channel_id,
        )
        try:
            reply: leads.LeadAnswer = await self.skin.decided(
                client, ctx.user, lambda e: work(evidence=e)
            )
            text, blocks = await self._answer(client, ctx, reply)
        except SightlineError as exc:
            await respond(response_type="ephemeral", text=fallback(texts.warning(str(exc))))
            return
        if blocks is None:
            await respond(response_type="ephemeral", text=fallback(text))
        else:
            await respond(
                response_type="ephemeral", text=fallback(text), blocks=block_dicts(blocks)
            )

    async def _answer(
        self, client: AsyncWebClient, ctx: ChatContext, reply: leads.LeadAnswer
    ) -> tuple[str, list[Any] | None]:
        """What to answer where the command was typed (text, and blocks when any)."""
        if isinstance(reply, Notice):
            return reply.text, None if reply.tone == Tone.WARNING else notice(reply)
        if isinstance(reply, DepartmentsView):
            return reply.title, departments(reply)
        if isinstance(reply, HelpView):
            return texts.HELP_INTRO, help_blocks(reply)
        if isinstance(reply, SummaryReply):
            return await self.send_summary(client, ctx.user, reply), None
        if isinstance(reply, ExportReply):
            return await self.send_export(client, ctx.user, reply), None
        if isinstance(reply, DashboardLinkReply):  # ephemeral: the asker alone sees it
            return f"{reply.text} {reply.url}", None
        assert isinstance(reply, PromptNowRequest)
        return (await self.prompt_now(reply)).text, None

    async def prompt_now(self, request: PromptNowRequest) -> Notice:
        send = self.skin.deps.prompt_now
        if send is None:
            return Notice(text=lead_texts.PROMPTS_OFF)
        status, reason = await send(request.department_id)
        return leads.prompt_now_result(name=request.name, status=status, reason=reason)

    async def send_summary(self, client: AsyncWebClient, user_id: str, reply: SummaryReply) -> str:
        """The summary, then its chart, in the lead's direct message; returns the answer."""
        summary = reply.summary
        chart = None if summary.is_empty else await asyncio.to_thread(render_chart, summary)
        dm = await _direct_message(client, user_id)
        note = lead_texts.CHART_FOLLOWS if chart else None
        await client.chat_postMessage(
            channel=dm,
            text=fallback(summary_text(summary)),
            blocks=block_dicts(summary_blocks(summary, chart_note=note)),
        )
        label = summary.period.label
        if chart is not None:
            period = summary.period
            try:
                await upload_chart(
                    client,
                    channel=dm,
                    png=chart,
                    filename=f"sightline-summary-{period.start:%Y-%m-%d}_{period.end:%Y-%m-%d}.png",
                    title=f"Stories per week and response rate, {label}",
                )
            except SlackApiError as exc:
                error = str(exc.response.get("error"))
                logger.warning("summary chart upload failed: %s", error)
                return lead_texts.summary_sent_without_chart(label, texts.SLACK, error)
        return lead_texts.summary_sent(label, texts.SLACK)

    async def send_export(self, client: AsyncWebClient, user_id: str, reply: ExportReply) -> str:
        """The period's stories, answers and engagement as files in the lead's direct message."""
        dm = await _direct_message(client, user_id)
        try:
            await client.files_upload_v2(
                channel=dm,
                file_uploads=[
                    {"content": f.content, "filename": f.name, "title": f.name} for f in reply.files
                ],
                initial_comment=reply.comment,
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error"))
            logger.warning("export upload failed: %s", error)
            return lead_texts.export_failed(error)
        return lead_texts.export_sent(reply.label, reply.format, texts.SLACK)


async def _direct_message(client: AsyncWebClient, user_id: str) -> str:
    opened = await client.conversations_open(users=user_id)
    channel: str = opened["channel"]["id"]
    return channel
