"""Anonymous answers per department: no member link anywhere, counts still exact."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from bot.cli import app
from stories.anonymous_answers import pseudonym_of, set_anonymous_answers
from stories.answers import mark_not_relevant, record_answer
from stories.capture import StoryDraft, capture_story
from stories.clock import FixedClock
from stories.departments import DepartmentSpec, add_department
from stories.exports import export_answers
from stories.models import DepartmentPromptSettings, Member, Platform, SourceKind
from stories.periods import Period
from stories.prompt_leases import Claim
from stories.prompt_ledger import attach_content, claim_occurrence, mark_sent
from stories.redaction import Redactor
from stories.summaries import build_summary
from stories.workspaces import ensure_member, ensure_workspace

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def test_answers_are_pseudonymous_and_participation_stays_exact(
    session: Session, clock: FixedClock, redactor: Redactor
) -> None:
    ws = (
        ensure_workspace(
            session=session, clock=clock, platform=Platform.SLACK, external_id="T1", name="Acme"
        ).id
        or 0
    )
    finance = add_department(
        session=session,
        clock=clock,
        workspace_id=ws,
        spec=DepartmentSpec(name="Finance", slack_channel_id="CFIN"),
    )
    settings = set_anonymous_answers(
        session=session, clock=clock, department=finance, anonymous=True
    )
    story = capture_story(
        session=session,
        clock=clock,
        redactor=redactor,
        draft=StoryDraft(
            workspace_id=ws, text="A refund took a month to arrive.", source_kind=SourceKind.CLI,
            shared=True,
        ),
    ).story  # fmt: skip
    row = claim_occurrence(
        session=session, clock=clock, department=finance, occurrence_at=MONDAY, instance="a"
    )
    assert row is not None
    attach_content(session=session, delivery_id=row.id or 0, story_id=story.id, template_id=None)
    mark_sent(session=session, clock=clock, claim=Claim.of(row), message_ref="CFIN:1")
    people = {
        user: ensure_member(session=session, clock=clock, workspace_id=ws, platform_user_id=user)
        for user in ("UANA", "UBEN", "UCAROL")
    }
    for person in people.values():
        person.department_id = finance.id
        session.add(person)
    session.commit()
    for user in ("UANA", "UBEN"):
        for text in ("First thoughts on the refund.", "Better thoughts on the refund."):
            record_answer(
                session=session,
                clock=clock,
                redactor=redactor,
                delivery_id=row.id or 0,
                member=people[user],
                text=text,
            )
    feedback = mark_not_relevant(
        session=session, clock=clock, delivery_id=row.id or 0, member=people["UCAROL"]
    )
    assert feedback is not None
    salt = session.get(DepartmentPromptSettings, settings.id)
    assert salt is not None
    assert salt.anonymous_salt
    carol = pseudonym_of(finance.id or 0, salt.anonymous_salt, "UCAROL")
    assert session.get(Member, feedback.member_id).platform_user_id == carol  # type: ignore[union-attr]

    out = io.BytesIO()
    assert export_answers(session=session, workspace_id=ws, out=out, format="jsonl") == 2
    exported = [json.loads(line) for line in out.getvalue().decode().splitlines()]
    assert {(r["member"], r["member_id"]) for r in exported} == {(None, None)}
    assert {r["department"] for r in exported} == {"Finance"}

    period = Period(start=MONDAY - timedelta(days=1), end=MONDAY + timedelta(days=6))
    summary = build_summary(session=session, workspace_id=ws, period=period, now=clock.now())
    [row_summary] = [d for d in summary.departments if d.name == "Finance"]
    assert row_summary.answers.value == 2  # one per person: answering again edits
    assert row_summary.answering_members.value == 2  # exact, though nobody is named
    assert row_summary.members == 3  # the people; their pseudonyms are not counted again
    assert row_summary.participation.value == pytest.approx(2 / 3)


@pytest.mark.usefixtures("cli")
def test_the_command_line_switches_a_departments_answers() -> None:
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    run("departments", "add", "Finance", "--slack-channel", "CFIN")
    assert json.loads(run("prompts", "answers", "Finance", "--json")) == {
        "department": "Finance",
        "anonymous_answers": False,
    }
    assert "someone in Finance" in run("prompts", "answers", "Finance", "--anonymous-answers")
    named = json.loads(run("prompts", "answers", "Finance", "--named-answers", "--json"))
    assert named["anonymous_answers"] is False
