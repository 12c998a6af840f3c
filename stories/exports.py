"""Exports for CX leads: stories, prompt answers and engagement, as files a spreadsheet opens.

Same conventions as the story export in :mod:`stories.transfer`: CSV is UTF-8 with a
byte-order mark, dates are ISO 8601 in UTC, formula-looking cells are quoted. Rows are read
in id order in batches, with names looked up per batch, so a large workspace streams.

Nothing is exported that was not stored: answers are redacted when they are saved, and
people appear by the display name and platform id Sightline already keeps. A deleted
story's engagement is gone with it; its answers stay (they belong to the department that
wrote them) with an empty story id, as in the summaries.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Any, Literal

from sqlmodel import Session, col, select

from stories.anonymous_answers import is_pseudonym
from stories.models import (
    Department,
    Engagement,
    Member,
    PromptAnswer,
    PromptDelivery,
    PromptTemplate,
    Story,
)
from stories.periods import Period
from stories.transfer import STEWARD, Format, export_stories, write_records
from stories.visibility import Viewer

What = Literal["stories", "answers", "engagement", "all"]
KINDS: tuple[str, ...] = ("stories", "answers", "engagement")
_BATCH = 1000

ANSWER_COLUMNS = (
    "id",
    "answered_at",
    "department",
    "member",
    "member_id",
    "answer",
    "question",
    "story_id",
    "story_touchpoint",
    "delivery_id",
    "prompt_occurrence_at",
)
ENGAGEMENT_COLUMNS = (
    "id",
    "at",
    "kind",
    "story_id",
    "story_touchpoint",
    "story_department",
    "member",
    "member_id",
    "member_department",
)


@dataclass(frozen=True)
class ExportFile:
    name: str
    content: bytes
    rows: int


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def _by_id(session: Session, model: Any, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return {row.id: row for row in session.exec(select(model).where(col(model.id).in_(ids)))}


def _batches(
    session: Session,
    model: Any,
    workspace_id: int,
    since: datetime | None,
    until: datetime | None,
    until_inclusive: bool,
) -> Iterator[Sequence[Any]]:
    last_id = 0
    while True:
        query = select(model).where(model.workspace_id == workspace_id, col(model.id) > last_id)
        if since is not None:
            query = query.where(col(model.created_at) >= since)
        if until is not None:
            at = col(model.created_at)
            query = query.where(at <= until if until_inclusive else at < until)
        batch = list(session.exec(query.order_by(col(model.id)).limit(_BATCH)))
        if not batch:
            return
        yield batch
        last_id = batch[-1].id


def _answer_rows(session: Session, answers: Sequence[PromptAnswer]) -> list[dict[str, Any]]:
    deliveries = _by_id(session, PromptDelivery, {a.delivery_id for a in answers})
    members = _by_id(session, Member, {a.member_id for a in answers})
    stories = _by_id(session, Story, {a.story_id for a in answers if a.story_id is not None})
    departments = _by_id(
        session, Department, {a.department_id for a in answers if a.department_id is not None}
    )
    templates = _by_id(
        session,
        PromptTemplate,
        {d.template_id for d in deliveries.values() if d.template_id is not None},
    )
    rows = []
    for answer in answers:
        delivery = deliveries.get(answer.delivery_id)
        member = members.get(answer.member_id)
        if is_pseudonym(member):  # an anonymous department's answer: no member columns
            member = None
        story = stories.get(answer.story_id) if answer.story_id is not None else None
        department = departments.get(answer.department_id) if answer.department_id else None
        template = (
            templates.get(delivery.template_id) if delivery and delivery.template_id else None
        )
        rows.append(
            {
                "id": answer.id,
                "answered_at": _iso(answer.created_at),
                "department": department.name if department else None,
                "member": (member.display_name or None) if member else None,
                "member_id": member.platform_user_id if member else None,
                "answer": answer.text,
                "question": template.text if template else None,
                "story_id": answer.story_id,
                "story_touchpoint": story.touchpoint if story else None,
                "delivery_id": answer.delivery_id,
                "prompt_occurrence_at": _iso(delivery.occurrence_at) if delivery else None,
            }
        )
    return rows


def _engagement_rows(session: Session, rows: Sequence[Engagement]) -> list[dict[str, Any]]:
    members = _by_id(session, Member, {e.member_id for e in rows})
    stories = _by_id(session, Story, {e.story_id for e in rows})
    department_ids = {e.department_id for e in rows if e.department_id is not None}
    department_ids |= {s.department_id for s in stories.values() if s.department_id is not None}
    departments = _by_id(session, Department, department_ids)

    def name(department_id: int | None) -> str | None:
        department = departments.get(department_id) if department_id is not None else None
        return department.name if department else None

    out = []
    for row in rows:
        member = members.get(row.member_id)
        story = stories.get(row.story_id)
        out.append(
            {
                "id": row.id,
                "at": _iso(row.created_at),
                "kind": str(row.kind),
                "story_id": row.story_id,
                "story_touchpoint": story.touchpoint if story else None,
                "story_department": name(story.department_id) if story else None,
                "member": (member.display_name or None) if member else None,
                "member_id": member.platform_user_id if member else None,
                "member_department": name(row.department_id),
            }
        )
    return out


def _export(
    model: Any,
    to_rows: Callable[[Session, Sequence[Any]], list[dict[str, Any]]],
    columns: Sequence[str],
    *,
    session: Session,
    workspace_id: int,
    out: IO[bytes],
    format: Format,
    since: datetime | None,
    until: datetime | None,
    until_inclusive: bool,
) -> int:
    batches = (
        to_rows(session, batch)
        for batch in _batches(session, model, workspace_id, since, until, until_inclusive)
    )
    return write_records(out, format, columns, batches)


def export_answers(
    *,
    session: Session,
    workspace_id: int,
    out: IO[bytes],
    format: Format,
    since: datetime | None = None,
    until: datetime | None = None,
    until_inclusive: bool = False,
) -> int:
    """Write prompt answers given in ``[since, until)`` (oldest first); return the count."""
    return _export(
        PromptAnswer, _answer_rows, ANSWER_COLUMNS, session=session, workspace_id=workspace_id,
        out=out, format=format, since=since, until=until, until_inclusive=until_inclusive,
    )  # fmt: skip


def export_engagement(
    *,
    session: Session,
    workspace_id: int,
    out: IO[bytes],
    format: Format,
    since: datetime | None = None,
    until: datetime | None = None,
    until_inclusive: bool = False,
) -> int:
    """Write engagement ("this resonates") rows made in ``[since, until)``; return the count."""
    return _export(
        Engagement, _engagement_rows, ENGAGEMENT_COLUMNS, session=session,
        workspace_id=workspace_id, out=out, format=format, since=since, until=until,
        until_inclusive=until_inclusive,
    )  # fmt: skip


def export_file_name(kind: str, period: Period | None, format: Format) -> str:
    """``sightline-answers-2026-11-01_2026-11-30.csv``: first and last day the file covers."""
    if period is None:
        return f"sightline-{kind}.{format}"
    # The period is half-open; a person reads a file name's dates as both included.
    last_day = (period.end - timedelta(microseconds=1)).astimezone(UTC)
    return f"sightline-{kind}-{period.start.astimezone(UTC):%Y-%m-%d}_{last_day:%Y-%m-%d}.{format}"


def export_files(
    *,
    session: Session,
    workspace_id: int,
    period: Period | None,
    format: Format,
    what: What = "all",
    viewer: Viewer = STEWARD,
) -> list[ExportFile]:
    """The chosen exports as in-memory files, named after what and when they cover.

    Stories are those ``viewer`` may read (:mod:`stories.visibility`); answers and
    engagement carry no story text.
    """
    since = period.start if period is not None else None
    until = period.end if period is not None else None
    files = []
    for kind in KINDS if what == "all" else (what,):
        buffer = io.BytesIO()
        if kind == "stories":
            # A period is half-open, so consecutive exports never share a row.
            rows = export_stories(
                session=session,
                workspace_id=workspace_id,
                out=buffer,
                format=format,
                since=since,
                until=until,
                until_inclusive=False,
                viewer=viewer,
            )
        elif kind == "answers":
            rows = export_answers(
                session=session,
                workspace_id=workspace_id,
                out=buffer,
                format=format,
                since=since,
                until=until,
            )
        else:
            rows = export_engagement(
                session=session,
                workspace_id=workspace_id,
                out=buffer,
                format=format,
                since=since,
                until=until,
            )
        files.append(
            ExportFile(
                name=export_file_name(kind, period, format), content=buffer.getvalue(), rows=rows
            )
        )
    return files
