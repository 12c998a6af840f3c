"""Importing stories from CSV / JSON Lines and exporting them for spreadsheets.

Import is idempotent: each row gets a source reference (its own ``source_ref`` column, or a
digest of its text and date), so running the same file twice stores nothing twice. Every
row goes through the same capture service as chat, so validation and redaction apply.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Literal

from sqlmodel import Session, col, select

from stories.capture import StoryDraft, capture_story
from stories.clock import Clock
from stories.errors import InvalidFieldError, SightlineError
from stories.models import Emotion, SourceKind, Story
from stories.records import StoryRecord, story_records
from stories.redaction import Redactor
from stories.visibility import Viewer, visible_clause
from stories.workspaces import ensure_member

STEWARD = Viewer.steward()

Format = Literal["csv", "jsonl"]
# Column names people use for the same thing, mapped to the field they mean.
_ALIASES = {
    "story": "text",
    "customer": "customer_label",
    "segment": "customer_label",
    "label": "customer_label",
    "date": "created_at",
    "created": "created_at",
    "id": "source_ref",
    "reference": "source_ref",
    "url": "permalink",
    "link": "permalink",
}
_TRUE = {"1", "true", "yes", "y"}
_FALSE = {"0", "false", "no", "n", ""}
# Spreadsheets run cells starting with these as formulas; exported cells get a quote first.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_BATCH = 500


@dataclass(frozen=True)
class ImportRow:
    line: int  # 1-based line in the file where the row starts
    fields: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # set when the row could not even be read


@dataclass
class ImportReport:
    created: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


def detect_format(path: Path, format: str | None = None) -> Format:
    """csv or jsonl, from the explicit choice or the file name."""
    choice = (format or path.suffix.lstrip(".")).lower()
    if choice == "csv":
        return "csv"
    if choice in ("jsonl", "ndjson", "json"):
        return "jsonl"
    raise InvalidFieldError(
        field="format", reason=f"cannot tell the format of {path.name}; use --format csv|jsonl"
    )


def read_import_rows(path: Path, format: str | None = None) -> Iterator[ImportRow]:
    """Rows of a CSV (with a header) or JSON Lines file, with their line numbers."""
    kind = detect_format(path, format)
    # utf-8-sig: files saved by spreadsheets often start with a byte-order mark.
    with path.open(encoding="utf-8-sig", newline="") as handle:
        yield from (_csv_rows(handle) if kind == "csv" else _jsonl_rows(handle))


def _csv_rows(handle: IO[str]) -> Iterator[ImportRow]:
    reader = csv.reader(handle)
    try:
        header = [_column(name) for name in next(reader)]
    except StopIteration:
        return
    if "text" not in header:
        raise InvalidFieldError(field="header", reason="the CSV needs a `text` (or `story`) column")
    start = reader.line_num + 1
    for values in reader:
        line, start = start, reader.line_num + 1
        if not any(v.strip() for v in values):
            if len(values) > 1:  # a row of empty cells is a story with no text
                yield ImportRow(line=line, error="the story text is empty")
            continue
        if len(values) > len(header):
            yield ImportRow(line=line, error=f"{len(values)} cells for {len(header)} columns")
            continue
        yield ImportRow(line=line, fields={k: v for k, v in zip(header, values, strict=False)})


def _jsonl_rows(handle: IO[str]) -> Iterator[ImportRow]:
    for line, raw in enumerate(handle, start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield ImportRow(line=line, error=f"not valid JSON ({exc.msg})")
            continue
        if not isinstance(value, dict):
            yield ImportRow(line=line, error="each line must be a JSON object")
            continue
        yield ImportRow(line=line, fields={_column(k): v for k, v in value.items()})


def _column(name: str) -> str:
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    return _ALIASES.get(key, key)


def import_stories(
    *,
    session: Session,
    clock: Clock,
    redactor: Redactor,
    workspace_id: int,
    rows: Iterable[ImportRow],
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Capture each row as a story; bad rows are reported with their line and reason.

    Raises:
        ValidationError: the file as a whole cannot be read (no text column, unknown format).
    """
    report = ImportReport()
    for row in rows:
        if on_progress is not None:
            on_progress(row.line)
        if row.error is not None:
            report.rejected.append((row.line, row.error))
            continue
        try:
            draft = _draft(session, clock, workspace_id, row.fields)
            result = capture_story(session=session, clock=clock, redactor=redactor, draft=draft)
        except SightlineError as exc:
            session.rollback()
            report.rejected.append((row.line, str(exc)))
            continue
        if result.created:
            report.created += 1
        else:
            report.duplicates += 1
    return report


def _draft(session: Session, clock: Clock, workspace_id: int, row: dict[str, Any]) -> StoryDraft:
    text = _string(row.get("text"))
    created_at = _datetime(row.get("created_at"))
    source_ref = _string(row.get("source_ref")).strip()
    if not source_ref:
        digest = hashlib.sha256(
            f"{' '.join(text.split())}\x00{created_at.isoformat() if created_at else ''}".encode()
        ).hexdigest()[:32]
        source_ref = f"import:{digest}"
    elif not source_ref.startswith("import:"):
        source_ref = f"import:{source_ref}"
    author_id = None
    author = _string(row.get("author")).strip()
    if author:
        member = ensure_member(
            session=session,
            clock=clock,
            workspace_id=workspace_id,
            platform_user_id=f"import:{author.casefold()}"[:128],
            display_name=author[:200],
        )
        author_id = member.id
    return StoryDraft(
        workspace_id=workspace_id,
        text=text,
        source_kind=SourceKind.IMPORT,
        source_ref=source_ref[:300],
        author_member_id=author_id,
        customer_label=_string(row.get("customer_label")) or None,
        touchpoint=_string(row.get("touchpoint")) or None,
        emotion=_emotion(row.get("emotion")),
        permalink=_string(row.get("permalink")) or None,
        shared=_bool(row.get("shared"), default=True),
        created_at=created_at,
    )


def _string(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float | bool):
        return str(value)
    raise InvalidFieldError(field="value", reason=f"expected text, got {type(value).__name__}")


def _emotion(value: object) -> Emotion | None:
    raw = _string(value).strip().lower()
    if not raw:
        return None
    try:
        return Emotion(raw)
    except ValueError:
        choices = ", ".join(e.value for e in Emotion)
        raise InvalidFieldError(
            field="emotion", reason=f"{raw!r} is not one of {choices}"
        ) from None


def _bool(value: object, *, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    raw = _string(value).strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return default if raw == "" else False
    raise InvalidFieldError(field="shared", reason=f"{raw!r} is not yes or no")


def _datetime(value: object) -> datetime | None:
    raw = _string(value).strip()
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidFieldError(
            field="created_at", reason=f"{raw!r} is not a date like 2026-11-24 or 2026-11-24T09:30"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def export_stories(
    *,
    session: Session,
    workspace_id: int,
    out: Path | IO[bytes],
    format: Format,
    since: datetime | None = None,
    until: datetime | None = None,
    until_inclusive: bool = True,
    viewer: Viewer = STEWARD,
) -> int:
    """Write the workspace's stories (oldest first) as CSV or JSON Lines; return the count.

    CSV is UTF-8 with a byte-order mark so spreadsheets read accents correctly, dates are
    ISO 8601 in UTC, and cells that a spreadsheet would run as a formula are quoted. Only
    the stories ``viewer`` may read are written: the data steward (the command line, a
    lead's export to their own direct message) gets every story, private ones included,
    with its ``shared`` column saying which is which.
    """
    if isinstance(out, Path):
        with out.open("wb") as handle:
            return export_stories(
                session=session,
                workspace_id=workspace_id,
                out=handle,
                format=format,
                since=since,
                until=until,
                until_inclusive=until_inclusive,
                viewer=viewer,
            )
    records = (
        story_records(session=session, stories=batch)
        for batch in _batches(session, workspace_id, since, until, until_inclusive, viewer)
    )
    return write_records(out, format, list(StoryRecord.__annotations__), records)


def write_records(
    out: IO[bytes], format: Format, columns: Sequence[str], batches: Iterable[Iterable[Any]]
) -> int:
    """Write batches of records (dicts with ``columns``) as CSV or JSON Lines; return the count.

    CSV is UTF-8 with a byte-order mark so spreadsheets read accents correctly, and cells a
    spreadsheet would run as a formula are quoted. The caller's stream is left open.
    """
    text_out = io.TextIOWrapper(out, encoding="utf-8-sig" if format == "csv" else "utf-8",
                                newline="", write_through=True)  # fmt: skip
    try:
        writer = csv.writer(text_out) if format == "csv" else None
        if writer is not None:
            writer.writerow(columns)
        count = 0
        for batch in batches:
            for record in batch:
                if writer is not None:
                    writer.writerow([spreadsheet_cell(record[c]) for c in columns])
                else:
                    text_out.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
        text_out.flush()
    finally:
        text_out.detach()  # leave the caller's stream open
    return count


def _batches(
    session: Session,
    workspace_id: int,
    since: datetime | None,
    until: datetime | None,
    until_inclusive: bool,
    viewer: Viewer,
) -> Iterator[list[Story]]:
    last_id = 0
    while True:
        query = select(Story).where(
            Story.workspace_id == workspace_id, col(Story.id) > last_id, visible_clause(viewer)
        )
        if since is not None:
            query = query.where(col(Story.created_at) >= since)
        if until is not None:
            before = (
                col(Story.created_at) <= until if until_inclusive else col(Story.created_at) < until
            )
            query = query.where(before)
        batch = list(session.exec(query.order_by(col(Story.id)).limit(_BATCH)))
        if not batch:
            return
        yield batch
        last_id = batch[-1].id or 0


def spreadsheet_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as stored: lists joined, formulas defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
