"""One member's data from the command line: finding them, exporting every row about them,
and the errors a steward can act on. Real databases, both backends."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from bot.cli import app
from stories.capture import StoryDraft, capture_story
from stories.clock import FixedClock
from stories.errors import NotFoundError
from stories.member_data import AmbiguousMemberError, export_member, find_member
from stories.models import Engagement, EngagementKind, Platform, SourceKind, Workspace
from stories.redaction import Redactor
from stories.transfer import import_stories, read_import_rows
from stories.workspaces import ensure_member, ensure_workspace

runner = CliRunner()


def _world(session: Session, clock: FixedClock, redactor: Redactor) -> Workspace:
    ws = ensure_workspace(
        session=session, clock=clock, platform=Platform.SLACK, external_id="T1", name="Acme"
    )
    ada = ensure_member(
        session=session, clock=clock, workspace_id=ws.id or 0, platform_user_id="U1",
        display_name="Ada Lovelace",
    )  # fmt: skip
    for name, user in (("Sam", "U2"), ("Sam", "U3")):
        ensure_member(
            session=session, clock=clock, workspace_id=ws.id or 0, platform_user_id=user,
            display_name=name,
        )  # fmt: skip
    story = capture_story(
        session=session,
        clock=clock,
        redactor=redactor,
        draft=StoryDraft(
            workspace_id=ws.id or 0,
            text="The courier left the parcel in the rain; call me on +44 20 7946 0958.",
            source_kind=SourceKind.SLASH,
            author_member_id=ada.id,
            shared=True,
        ),
    ).story
    session.add(
        Engagement(
            workspace_id=ws.id or 0,
            story_id=story.id or 0,
            member_id=ada.id or 0,
            kind=EngagementKind.RESONATES,
            created_at=clock.now() + timedelta(minutes=1),
        )
    )
    session.commit()
    return ws


def test_a_member_is_found_by_id_user_id_or_unique_name(
    session: Session, clock: FixedClock, redactor: Redactor
) -> None:
    ws = _world(session, clock, redactor)
    ada = find_member(session=session, workspace_id=ws.id or 0, key="U1")
    assert find_member(session=session, workspace_id=ws.id or 0, key=str(ada.id)) == ada
    assert find_member(session=session, workspace_id=ws.id or 0, key="ada lovelace") == ada
    with pytest.raises(AmbiguousMemberError, match="Several members are called 'Sam'"):
        find_member(session=session, workspace_id=ws.id or 0, key="Sam")
    with pytest.raises(NotFoundError):
        find_member(session=session, workspace_id=ws.id or 0, key="Nobody")


def test_the_export_holds_every_row_about_the_member(
    session: Session, clock: FixedClock, redactor: Redactor
) -> None:
    ws = _world(session, clock, redactor)
    ada = find_member(session=session, workspace_id=ws.id or 0, key="U1")
    document = export_member(session=session, member=ada)
    assert document["member"]["user_id"] == "U1"
    [told] = document["stories_told"]
    assert told["text"].endswith("call me on [phone].")  # what is stored, redacted
    assert [e["kind"] for e in document["engagement"]] == ["resonates"]
    assert [e["action"] for e in document["audit_events"]] == ["story.captured"]
    json.dumps(document)  # JSON-ready


@pytest.mark.usefixtures("cli")
def test_members_export_from_the_command_line_also_finds_imported_authors(
    engine: Engine, tmp_path: Path, clock: FixedClock, redactor: Redactor
) -> None:
    source = tmp_path / "stories.jsonl"
    source.write_text(
        json.dumps({"text": "Imported: the refund took a month to arrive.", "author": "Grace H"})
        + "\n"
    )
    with Session(engine) as session:
        ws = ensure_workspace(
            session=session, clock=clock, platform=Platform.LOCAL, external_id="local", name="L"
        )
        import_stories(
            session=session,
            clock=clock,
            redactor=redactor,
            workspace_id=ws.id or 0,
            rows=read_import_rows(source),
        )
    result = runner.invoke(app, ["members", "export", "Grace H"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [s["text"] for s in document["stories_told"]] == [
        "Imported: the refund took a month to arrive."
    ]
    missing = runner.invoke(app, ["members", "export", "Nobody"])
    assert isinstance(missing.exception, NotFoundError)
