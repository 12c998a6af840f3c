"""Exports of prompt answers and engagement: spreadsheet-safe, in the period, on every backend."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session
from typer.testing import CliRunner

from bot.cli.app import app
from stories import exports
from stories.capture import delete_story
from stories.exports import export_answers, export_engagement, export_files
from stories.models import (
    DeliveryStatus,
    Department,
    Engagement,
    EngagementKind,
    Member,
    Platform,
    PromptAnswer,
    PromptDelivery,
    PromptTemplate,
    SourceKind,
    Story,
    Workspace,
)
from stories.periods import Period, parse_period

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=UTC)


def _add(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    return row


@pytest.fixture
def world(session: Session) -> dict[str, Any]:
    """Finance answers and resonates with a support story; one answer falls outside 7d."""
    ws = _add(
        session,
        Workspace(platform=Platform.SLACK, external_id="T1", name="Acme", created_at=_at(1)),
    )
    finance = _add(
        session,
        Department(workspace_id=ws.id, name="Finance", name_key="finance", created_at=_at(1)),
    )
    support = _add(
        session,
        Department(workspace_id=ws.id, name="Support", name_key="support", created_at=_at(1)),
    )
    fin = _add(
        session,
        Member(
            workspace_id=ws.id,
            platform_user_id="U0FIN",
            display_name="Fin Ance",
            department_id=finance.id,
            created_at=_at(1),
        ),
    )
    story = _add(
        session,
        Story(
            workspace_id=ws.id,
            text="The refund took three weeks.",
            touchpoint="refunds",
            source_kind=SourceKind.SLASH,
            department_id=support.id,
            shared=True,
            created_at=_at(20),
        ),
    )
    template = _add(session, PromptTemplate(key="fin-1", area="finance", text="Where do we wait?"))
    delivery = _add(
        session,
        PromptDelivery(
            workspace_id=ws.id,
            target=f"department:{finance.id}",
            department_id=finance.id,
            occurrence_at=_at(27, 10),
            status=DeliveryStatus.SENT,
            story_id=story.id,
            template_id=template.id,
        ),
    )
    for text, when, who in (
        ("=HYPERLINK('x') our approval queue adds a week", _at(27), fin),  # formula-looking
        ("Older answer, outside the last 7 days", _at(20), None),
        ("Answered at the very end", NOW, None),  # periods are half-open: not in 7d
    ):
        if who is None:  # one answer per member and prompt
            who = _add(
                session,
                Member(
                    workspace_id=ws.id,
                    platform_user_id=f"U0FIN{when.day}",
                    department_id=finance.id,
                    created_at=_at(1),
                ),
            )
        _add(
            session,
            PromptAnswer(
                workspace_id=ws.id,
                delivery_id=delivery.id,
                story_id=story.id,
                member_id=who.id,
                department_id=finance.id,
                text=text,
                created_at=when,
            ),
        )
    _add(
        session,
        Engagement(
            workspace_id=ws.id,
            story_id=story.id,
            member_id=fin.id,
            department_id=finance.id,
            kind=EngagementKind.RESONATES,
            created_at=_at(28),
        ),
    )
    session.commit()
    return {"ws": ws.id, "story": story, "fin": fin, "delivery": delivery.id}


def _csv(content: bytes) -> list[dict[str, str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "CSV needs a BOM for spreadsheets"
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_answers_csv_in_the_period_with_names_and_iso_dates(
    session: Session, world: dict[str, Any]
) -> None:
    out = io.BytesIO()
    period = parse_period("7d", now=NOW)
    count = export_answers(
        session=session,
        workspace_id=world["ws"],
        out=out,
        format="csv",
        since=period.start,
        until=period.end,
    )
    rows = _csv(out.getvalue())
    assert count == len(rows) == 1
    [row] = rows
    assert row["answer"] == "'=HYPERLINK('x') our approval queue adds a week"
    assert (row["department"], row["member"], row["member_id"]) == ("Finance", "Fin Ance", "U0FIN")
    assert (row["question"], row["story_touchpoint"]) == ("Where do we wait?", "refunds")
    assert row["answered_at"] == "2026-10-27T12:00:00+00:00"
    assert row["prompt_occurrence_at"] == "2026-10-27T10:00:00+00:00"


def test_engagement_jsonl_names_both_departments(session: Session, world: dict[str, Any]) -> None:
    out = io.BytesIO()
    count = export_engagement(session=session, workspace_id=world["ws"], out=out, format="jsonl")
    lines = [json.loads(line) for line in out.getvalue().decode("utf-8").splitlines()]
    assert count == len(lines) == 1
    assert lines[0] | {"id": 0} == {
        "id": 0,
        "at": "2026-10-28T12:00:00+00:00",
        "kind": "resonates",
        "story_id": world["story"].id,
        "story_touchpoint": "refunds",
        "story_department": "Support",
        "member": "Fin Ance",
        "member_id": "U0FIN",
        "member_department": "Finance",
    }


def test_a_deleted_story_takes_its_engagement_and_leaves_its_answers(
    session: Session, world: dict[str, Any]
) -> None:
    fin: Member = world["fin"]
    fin.is_cx_lead = True  # may delete someone else's story
    delete_story(
        session=session,
        clock=_Clock(),
        workspace_id=world["ws"],
        story_id=world["story"].id,
        actor=fin,
    )
    session.commit()
    files = {
        f.name.split("-")[1]: f
        for f in export_files(session=session, workspace_id=world["ws"], period=None, format="csv")
    }
    assert (files["stories.csv"].rows, files["engagement.csv"].rows) == (0, 0)
    answers = _csv(files["answers.csv"].content)
    assert len(answers) == 3
    assert {a["story_id"] for a in answers} == {""}
    assert {a["department"] for a in answers} == {"Finance"}


def test_export_files_are_named_after_the_period(session: Session, world: dict[str, Any]) -> None:
    period = parse_period("2026-10-01..2026-10-31", now=NOW)
    files = export_files(session=session, workspace_id=world["ws"], period=period, format="jsonl")
    assert [(f.name, f.rows) for f in files] == [
        ("sightline-stories-2026-10-01_2026-10-31.jsonl", 1),
        ("sightline-answers-2026-10-01_2026-10-31.jsonl", 2),
        ("sightline-engagement-2026-10-01_2026-10-31.jsonl", 1),
    ]
    assert not files[1].content.startswith(b"\xef\xbb\xbf")  # JSON Lines has no BOM


def test_a_period_includes_its_first_instant_and_excludes_its_end(
    session: Session, world: dict[str, Any]
) -> None:
    # The formula answer is at 27 Oct 12:00, the resonate at 28 Oct 12:00.
    first = Period(start=_at(27), end=_at(28))
    second = Period(start=_at(28), end=_at(29))
    rows = {
        (f.name, f.rows)
        for period in (first, second)
        for f in export_files(
            session=session,
            workspace_id=world["ws"],
            period=period,
            format="csv",
            what="answers",
        )
        + export_files(
            session=session,
            workspace_id=world["ws"],
            period=period,
            format="csv",
            what="engagement",
        )
    }
    assert rows == {
        ("sightline-answers-2026-10-27_2026-10-28.csv", 1),
        ("sightline-engagement-2026-10-27_2026-10-28.csv", 0),
        ("sightline-answers-2026-10-28_2026-10-29.csv", 0),
        ("sightline-engagement-2026-10-28_2026-10-29.csv", 1),
    }


def test_rows_stream_in_batches_with_names_looked_up_per_batch(
    session: Session, engine: Engine, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    delivery_id = world["delivery"]
    for n in range(8):
        member = _add(
            session,
            Member(
                workspace_id=world["ws"],
                platform_user_id=f"U0MORE{n}",
                display_name=f"Person {n}",
                created_at=_at(1),
            ),
        )
        _add(
            session,
            PromptAnswer(
                workspace_id=world["ws"],
                delivery_id=delivery_id,
                member_id=member.id,
                text=f"answer {n}",
                created_at=_at(29),
            ),
        )
    session.commit()
    monkeypatch.setattr(exports, "_BATCH", 2)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        out = io.BytesIO()
        total = export_answers(session=session, workspace_id=world["ws"], out=out, format="jsonl")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    ids = [json.loads(line)["id"] for line in out.getvalue().splitlines()]
    assert total == len(ids) == 11
    assert ids == sorted(ids)
    assert {json.loads(line)["member"] for line in out.getvalue().splitlines()} >= {
        f"Person {n}" for n in range(8)
    }
    batches = -(-total // 2)
    # Per batch: the page, then deliveries, members, stories, departments, templates; one
    # more page finds nothing. A query per row would be several times this.
    assert len(statements) <= batches * 6 + 1


@pytest.mark.usefixtures("cli")
def test_cli_exports_all_three_into_a_folder(world: dict[str, Any], tmp_path: Path) -> None:
    folder = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        ["stories", "export", "--what", "all", "-o", str(folder), "--workspace", "T1"],
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "sightline-answers.csv",
        "sightline-engagement.csv",
        "sightline-stories.csv",
    ]
    assert len(_csv((folder / "sightline-answers.csv").read_bytes())) == 3

    one = CliRunner().invoke(
        app,
        ["stories", "export", "--what", "answers", "--since", "2026-10-27", "--workspace", "T1"],
    )
    assert one.exit_code == 0, one.output
    assert "queue adds a week" in one.stdout
    assert "Older answer" not in one.stdout


@pytest.mark.usefixtures("cli", "world")
def test_cli_period_names_the_files_and_a_folder_takes_one_kind(tmp_path: Path) -> None:
    folder = tmp_path / "october"
    result = CliRunner().invoke(
        app,
        [
            "stories",
            "export",
            "--what",
            "all",
            "--period",
            "2026-10-27..2026-10-27",
            "--format",
            "jsonl",
            "-o",
            str(folder),
            "--workspace",
            "T1",
        ],
    )
    assert result.exit_code == 0, result.output
    answers = folder / "sightline-answers-2026-10-27_2026-10-27.jsonl"
    assert sorted(p.name for p in folder.iterdir()) == [
        "sightline-answers-2026-10-27_2026-10-27.jsonl",
        "sightline-engagement-2026-10-27_2026-10-27.jsonl",
        "sightline-stories-2026-10-27_2026-10-27.jsonl",
    ]
    [line] = answers.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["answer"].startswith("=HYPERLINK")  # JSON keeps the text as stored

    again = CliRunner().invoke(
        app, ["stories", "export", "--what", "engagement", "-o", str(folder), "-w", "T1"]
    )
    assert again.exit_code == 0, again.output
    assert len(_csv((folder / "sightline-engagement.csv").read_bytes())) == 1


@pytest.mark.usefixtures("cli", "world")
def test_cli_export_to_an_unwritable_place_says_so(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    for args, message in (
        (["-o", str(blocker / "out.csv")], "cannot write"),
        (["--what", "all", "-o", str(blocker / "d")], "cannot create folder"),
    ):
        result = CliRunner().invoke(app, ["stories", "export", *args, "--workspace", "T1"])
        assert result.exit_code == 2, result.output
        assert message in " ".join(result.output.split())
    assert blocker.read_text() == "not a folder"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--what", "everything"], "choose stories, answers, engagement or all"),
        (["--what", "all"], "name a folder"),
        (["--period", "15d"], "is not a period"),
        (["--period", "7d", "--since", "2026-10-01"], "not both"),
    ],
)
@pytest.mark.usefixtures("cli", "world")
def test_cli_export_refuses_bad_options_clearly(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["stories", "export", *args, "--workspace", "T1"])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


class _Clock:
    def now(self) -> datetime:
        return NOW
