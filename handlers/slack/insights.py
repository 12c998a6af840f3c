"""`/cx summary` and `/cx export`: what the stories and answers say, sent to the lead.

Both go to the lead's direct message with Sightline rather than the channel the command
was typed in: the figures are for CX leads only, and a summary is something a lead comes
back to (an ephemeral message disappears on reload). The command answers ephemerally
where it was typed to say where to look.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from handlers.slack.cx import CxCommand
from handlers.slack.prompts import upload_chart
from handlers.slack.renderers import block_dicts, escape
from handlers.slack.summary_blocks import summary_blocks, summary_text
from stories.chart import render_chart
from stories.clock import Clock
from stories.departments import get_department
from stories.exports import ExportFile, export_files
from stories.periods import Period, parse_period
from stories.summaries import Summary, build_summary
from stories.transfer import Format

logger = logging.getLogger(__name__)
T = TypeVar("T")
Run = Callable[[Callable[[Session], T]], Awaitable[T]]


class LeadReports:
    def __init__(self, *, run: Run[Any], clock: Clock) -> None:
        self._run = run
        self.clock = clock

    async def summary(
        self, client: AsyncWebClient, *, workspace_id: int, user_id: str, command: CxCommand
    ) -> str:
        """Post the summary and its chart to the lead; return the ephemeral answer.

        Raises:
            SightlineError: a bad period or an unknown department (the message says which).
        """

        def work(session: Session) -> Summary:
            now = self.clock.now()
            period = parse_period(command.period, now=now)
            department_id = None
            if command.name:
                found = get_department(
                    session=session, workspace_id=workspace_id, name=command.name
                )
                department_id = found.id
            return build_summary(
                session=session,
                workspace_id=workspace_id,
                period=period,
                department_id=department_id,
                now=now,
            )

        summary: Summary = await self._run(work)
        chart = None if summary.is_empty else await asyncio.to_thread(render_chart, summary)
        dm = await _direct_message(client, user_id)
        note = "📈 The chart follows this message." if chart else None
        await client.chat_postMessage(
            channel=dm,
            text=summary_text(summary),
            blocks=block_dicts(summary_blocks(summary, chart_note=note)),
        )
        if chart is not None:
            try:
                await upload_chart(
                    client,
                    channel=dm,
                    png=chart,
                    filename=f"sightline-summary-{_span(summary.period)}.png",
                    title=f"Stories per week and response rate, {summary.period.label}",
                )
            except SlackApiError as exc:
                error = exc.response.get("error")
                logger.warning("summary chart upload failed: %s", error)
                return (
                    f"📬 Sent you the summary ({escape(summary.period.label)}) in a direct "
                    f"message, but its chart could not be attached ({error})."
                )
        return f"📬 Sent you the summary ({escape(summary.period.label)}) in a direct message."

    async def export(
        self, client: AsyncWebClient, *, workspace_id: int, user_id: str, command: CxCommand
    ) -> str:
        """Upload the period's stories, answers and engagement as files to the lead."""
        fmt: Format = "jsonl" if command.format == "jsonl" else "csv"

        def work(session: Session) -> tuple[Period, list[ExportFile]]:
            period = parse_period(command.period, now=self.clock.now())
            files = export_files(
                session=session, workspace_id=workspace_id, period=period, format=fmt
            )
            return period, files

        period, files = await self._run(work)
        counts = ", ".join(f"{f.rows:,} rows in {f.name}" for f in files)
        dm = await _direct_message(client, user_id)
        try:
            await client.files_upload_v2(
                channel=dm,
                file_uploads=[
                    {"content": f.content, "filename": f.name, "title": f.name} for f in files
                ],
                initial_comment=f"Sightline export, {period.label}: {counts}.",
            )
        except SlackApiError as exc:
            error = exc.response.get("error")
            logger.warning("export upload failed: %s", error)
            return (
                f"⚠️ The export could not be uploaded ({error}). An admin can run "
                "`sightline stories export` instead."
            )
        return f"📬 Sent you the export ({escape(period.label)}, {fmt}) in a direct message."


async def _direct_message(client: AsyncWebClient, user_id: str) -> str:
    opened = await client.conversations_open(users=user_id)
    channel: str = opened["channel"]["id"]
    return channel


def _span(period: Period) -> str:
    return f"{period.start:%Y-%m-%d}_{period.end:%Y-%m-%d}"
