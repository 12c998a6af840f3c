"""Import from CSV / JSON Lines and export for spreadsheets, on real databases."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from stories.clock import FixedClock
from stories.demo import load_demo
from stories.errors import InvalidFieldError
from stories.models import Engagement, Member, SourceKind, Story, Workspace
from stories.redaction import Redactor
from stories.search import search_stories
from stories.transfer import export_stories, import_stories, read_import_rows

CONFIG = Path(__file__).resolve().parent.parent / "config"


def _import(
    session: Session, clock: FixedClock, redactor: Redactor, workspace: Workspace, path: Path
) -> tuple[int, int, list[tuple[int, str]]]:
    seen: list[int] = []
    report = import_stories(
        session=session,
        clock=clock,
        redactor=redactor,
        workspace_id=workspace.id or 0,
        rows=read_import_rows(path),
        on_progress=seen.append,
    )
    assert seen == sorted(seen)  # progress only moves forward
    return report.created, report.duplicates, report.rejected


def test_jsonl_import_reports_bad_lines_and_keeps_the_good_ones(
    session: Session, clock: FixedClock, redactor: Redactor, workspace: Workspace, tmp_path: Path
) -> None:
    source = tmp_path / "stories.jsonl"
    source.write_text(
        "\n".join(
            [
                json.dumps(
                    {
                        "text": "Customer emailed ops@example.org three times about a late refund.",
                        "touchpoint": "Refunds",
                        "emotion": "frustrated",
                        "date": "2026-03-04",
                        "author": "Priya Nair",
                        "customer": "Retail",
                    }
                ),
                "{not json",
                json.dumps(
                    {
                        "text": "The installer was early and friendly, and explained it all.",
                        "emotion": "ecstatic",
                    }
                ),
                "[1, 2]",
                "",
                json.dumps({"story": "Their invoice portal timed out during month-end close."}),
            ]
        ),
        encoding="utf-8",
    )
    created, duplicates, rejected = _import(session, clock, redactor, workspace, source)
    assert (created, duplicates) == (2, 0)
    assert [line for line, _ in rejected] == [2, 3, 4]
    assert "not valid JSON" in rejected[0][1]
    assert "'ecstatic' is not one of delighted" in rejected[1][1]
    assert "JSON object" in rejected[2][1]

    stories = list(session.exec(select(Story).order_by(Story.id)))  # type: ignore[arg-type]
    first = stories[0]
    assert first.text == "Customer emailed [email] three times about a late refund."
    assert first.touchpoint == "refunds"
    assert first.source_kind is SourceKind.IMPORT
    assert first.created_at.isoformat() == "2026-03-04T00:00:00+00:00"
    author = session.get(Member, first.author_member_id)
    assert author is not None
    assert author.display_name == "Priya Nair"
    assert stories[1].created_at == clock.now()  # no date: captured now

    again = _import(session, clock, redactor, workspace, source)
    assert again[:2] == (0, 2)
    assert len(list(session.exec(select(Story)))) == 2


def test_csv_import_reads_spreadsheet_files_with_aliases(
    session: Session, clock: FixedClock, redactor: Redactor, workspace: Workspace, tmp_path: Path
) -> None:
    source = tmp_path / "export.csv"
    content = (
        "\ufeffStory,Segment,Touchpoint,Date,Shared\r\n"
        '"Multi-line story:\nthe café owner waited two days for a callback.",SMB,callbacks,'
        "2026-10-01T08:30:00Z,no\r\n"
        "Too short,,,,\r\n"
        "A customer could not pay because the card form rejected her name.,,payments,"
        "yesterday,\r\n"
        "Delivery arrived with the wrong item and no return label inside.,,delivery,,yes\r\n"
    )
    source.write_bytes(content.encode())
    created, _, rejected = _import(session, clock, redactor, workspace, source)
    assert created == 2
    assert [line for line, _ in rejected] == [4, 5]
    assert "too short" in rejected[0][1]
    assert "'yesterday' is not a date" in rejected[1][1]
    stories = {s.touchpoint: s for s in session.exec(select(Story))}
    assert stories["callbacks"].customer_label == "SMB"
    assert stories["callbacks"].shared is False
    assert stories["delivery"].shared is True


def test_csv_without_a_text_column_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "x.csv"
    source.write_text("name,touchpoint\nAna,billing\n", encoding="utf-8")
    with pytest.raises(InvalidFieldError, match="`text`"):
        list(read_import_rows(source))
    with pytest.raises(InvalidFieldError, match="--format"):
        list(read_import_rows(tmp_path / "x.xlsx"))


def test_export_csv_is_spreadsheet_safe(
    session: Session, clock: FixedClock, redactor: Redactor, workspace: Workspace, tmp_path: Path
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps({"text": "=HYPERLINK(\"http://evil\") was pasted into the story text.",
                    "customer": "+Société Générale", "touchpoint": "billing"}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    _import(session, clock, redactor, workspace, source)
    out = tmp_path / "out.csv"
    count = export_stories(session=session, workspace_id=workspace.id or 0, out=out, format="csv")
    assert count == 1
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0]["text"].startswith("'=HYPERLINK")
    assert rows[0]["customer_label"] == "'+Société Générale"
    assert rows[0]["created_at"] == clock.now().isoformat()
    assert rows[0]["shared"] == "yes"


def test_export_jsonl_round_trips_through_import(
    session: Session, clock: FixedClock, redactor: Redactor, tmp_path: Path
) -> None:
    report = load_demo(
        session=session, clock=clock, redactor=redactor, path=CONFIG / "demo-stories.jsonl"
    )
    buffer = io.BytesIO()
    count = export_stories(
        session=session,
        workspace_id=report.workspace.id or 0,
        out=buffer,
        format="jsonl",
        since=clock.now() - timedelta(days=30),
    )
    assert not buffer.closed  # the caller's stream stays open
    lines = buffer.getvalue().decode().splitlines()
    assert len(lines) == count
    records = [json.loads(line) for line in lines]
    assert 5 < count < 40
    assert all(r["created_at"] >= (clock.now() - timedelta(days=30)).isoformat() for r in records)
    everything = tmp_path / "all.jsonl"
    total = export_stories(
        session=session, workspace_id=report.workspace.id or 0, out=everything, format="jsonl"
    )
    assert total == 40
    first = json.loads(everything.read_text(encoding="utf-8").splitlines()[0])
    assert first["author"] == "Priya Nair"
    assert first["department"] == "Support"
    assert first["resonates"] == 3

    target = Workspace(platform=report.workspace.platform, external_id="copy", name="Copy",
                       created_at=clock.now())  # fmt: skip
    session.add(target)
    session.commit()
    created, _, rejected = _import(session, clock, redactor, target, everything)
    assert (created, rejected) == (40, [])
    hits = search_stories(session=session, workspace_id=target.id or 0, query="florist")
    assert len(hits.hits) == 1


def test_demo_data_is_varied_and_loaded_once(
    session: Session, clock: FixedClock, redactor: Redactor
) -> None:
    path = CONFIG / "demo-stories.jsonl"
    first = load_demo(session=session, clock=clock, redactor=redactor, path=path)
    second = load_demo(session=session, clock=clock, redactor=redactor, path=path)
    assert (first.created, second.created, second.already_present) == (40, 0, 40)
    stories = list(session.exec(select(Story).where(Story.workspace_id == first.workspace.id)))
    assert len({s.touchpoint for s in stories}) >= 20
    assert len({s.emotion for s in stories}) >= 5
    assert all(s.department_id is not None for s in stories)
    assert len(list(session.exec(select(Engagement)))) > 40
