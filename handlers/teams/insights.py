"""CX lead insight in Teams: the summary card, and exports through Teams' file consent.

Teams lets a bot send a file only in a personal chat, and only after the person accepts it:
the bot offers a file consent card, Teams asks the person, and on Accept hands the bot an
upload URL in the person's OneDrive. The three export files travel as one zip, so one Accept
is enough. What the card offers (period and format) comes back with the Accept; the export
is made again then, for the accepting person's own workspace, after the same lead check.
"""

from __future__ import annotations

import io
import logging
import zipfile
from datetime import UTC, datetime
from typing import Any

import httpx
from botbuilder.core import MessageFactory
from botbuilder.schema import Activity, Attachment
from botbuilder.schema.teams import FileConsentCard, FileConsentCardResponse, FileInfoCard

from handlers.teams.cards import Card
from handlers.teams.ports import ChartUrls
from handlers.teams.summary_card import summary_card
from stories.conversation import lead_texts
from stories.conversation.leads import ExportReply
from stories.exports import ExportFile
from stories.periods import Period
from stories.summaries import Summary

logger = logging.getLogger(__name__)
CONSENT_TYPE = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO_TYPE = "application/vnd.microsoft.teams.card.file.info"
UPLOAD_TIMEOUT = 60.0


def summary_reply(summary: Summary, charts: ChartUrls | None, heading: str | None = None) -> Card:
    """The summary card with its chart from a signed link, or a note saying why there is none."""
    if summary.is_empty:
        return summary_card(summary, heading=heading)
    url = charts.url_for(summary) if charts is not None else None
    note = None if url else lead_texts.NO_CHART_URL
    return summary_card(summary, chart_url=url, chart_note=note, heading=heading)


def bundle(reply: ExportReply) -> ExportFile:
    """The export's files as one zip, named after the period it covers."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in reply.files:
            archive.writestr(file.name, file.content)
    span = f"{reply.period.start:%Y-%m-%d}_{reply.period.end:%Y-%m-%d}"
    content = buffer.getvalue()
    rows = sum(f.rows for f in reply.files)
    return ExportFile(name=f"sightline-export-{span}.zip", content=content, rows=rows)


def consent_activity(reply: ExportReply) -> Activity:
    """The file consent card offering the export."""
    archive = bundle(reply)
    offer = {
        "sightline": "export",
        "start": reply.period.start.isoformat(),
        "end": reply.period.end.isoformat(),
        "label": reply.label,
        "format": reply.format,
        "name": archive.name,
    }
    card = FileConsentCard(
        description=reply.comment,
        size_in_bytes=len(archive.content),
        accept_context=offer,
        decline_context=offer,
    )
    attachment = Attachment(content_type=CONSENT_TYPE, name=archive.name, content=card)
    activity = MessageFactory.attachment(attachment)
    activity.summary = reply.comment
    return activity


def offered(response: FileConsentCardResponse) -> tuple[Period, str] | None:
    """The period and format a consent card offered, as Teams hands them back."""
    context: dict[str, Any] = response.context if isinstance(response.context, dict) else {}
    try:
        start = datetime.fromisoformat(str(context["start"])).astimezone(UTC)
        end = datetime.fromisoformat(str(context["end"])).astimezone(UTC)
        period = Period(start=start, end=end, label=str(context.get("label") or ""))
    except (KeyError, ValueError):
        return None
    return period, str(context.get("format") or "csv")


async def upload(response: FileConsentCardResponse, archive: ExportFile) -> Activity:
    """Put the file where Teams said, then the card that shows it in the chat.

    Raises:
        httpx.HTTPError: the upload URL refused the file.
    """
    info = response.upload_info
    size = len(archive.content)
    async with httpx.AsyncClient(timeout=UPLOAD_TIMEOUT) as client:
        answer = await client.put(
            info.upload_url,
            content=archive.content,
            headers={"Content-Length": str(size), "Content-Range": f"bytes 0-{size - 1}/{size}"},
        )
        answer.raise_for_status()
    card = FileInfoCard(unique_id=info.unique_id, file_type=info.file_type)
    attachment = Attachment(
        content_type=FILE_INFO_TYPE,
        content_url=info.content_url,
        name=info.name or archive.name,
        content=card,
    )
    return MessageFactory.attachment(attachment)
