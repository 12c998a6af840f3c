"""Story-harvest prompts in the ledger and the summary: a response rate of their own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from stories.capture import StoryDraft, capture_story
from stories.clock import FixedClock
from stories.departments import DepartmentSpec, add_department
from stories.errors import NotFoundError
from stories.harvest import harvest_department, record_harvest_story
from stories.models import Department, Platform, SourceKind, Workspace
from stories.periods import Period
from stories.prompt_leases import Claim
from stories.prompt_ledger import HARVEST_KIND, claim_occurrence, mark_sent
from stories.redaction import Redactor
from stories.summaries import build_summary
from stories.summaries.view import summary_view
from stories.workspaces import ensure_member, ensure_workspace

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def slack_ws(session: Session, clock: FixedClock) -> Workspace:
    return ensure_workspace(
        session=session, clock=clock, platform=Platform.SLACK, external_id="T1", name="Acme"
    )


def sent(
    session: Session, clock: FixedClock, department: Department, at: datetime, kind: str
) -> int:
    row = claim_occurrence(
        session=session,
        clock=clock,
        department=department,
        occurrence_at=at,
        instance="a",
        kind=kind,
    )
    assert row is not None
    mark_sent(session=session, clock=clock, claim=Claim.of(row), message_ref="C:1")
    return row.id or 0


def test_the_harvest_response_rate_stands_beside_the_line_of_sight_one(
    session: Session, clock: FixedClock, redactor: Redactor, slack_ws: Workspace
) -> None:
    ws = slack_ws.id or 0
    support = add_department(
        session=session,
        clock=clock,
        workspace_id=ws,
        spec=DepartmentSpec(name="Support", customer_facing=True, slack_channel_id="CSUP"),
    )
    finance = add_department(
        session=session,
        clock=clock,
        workspace_id=ws,
        spec=DepartmentSpec(name="Finance", slack_channel_id="CFIN"),
    )
    teller = ensure_member(session=session, clock=clock, workspace_id=ws, platform_user_id="UANA")
    asked = [
        sent(session, clock, support, MONDAY + timedelta(days=n), HARVEST_KIND) for n in (0, 7)
    ]
    sent(session, clock, finance, MONDAY, "prompt")
    story = capture_story(
        session=session,
        clock=clock,
        redactor=redactor,
        draft=StoryDraft(
            workspace_id=ws,
            text="A customer rang back just to say thank you for the quick refund.",
            source_kind=SourceKind.MODAL,
            author_member_id=teller.id,
        ),
    ).story
    department = harvest_department(session=session, workspace_id=ws, delivery_id=asked[0])
    record_harvest_story(
        session=session, clock=clock, delivery_id=asked[0], story=story, department=department
    )
    assert story.department_id == support.id  # credited to the department asked
    with pytest.raises(NotFoundError):  # a line-of-sight prompt is not a harvest
        harvest_department(session=session, workspace_id=ws, delivery_id=asked[0] + 2)
    period = Period(start=MONDAY - timedelta(days=1), end=MONDAY + timedelta(days=13))
    summary = build_summary(session=session, workspace_id=ws, period=period, now=clock.now())
    rows = {d.name: d for d in summary.departments}
    harvest = rows["Support"].harvest_response_rate
    assert harvest is not None
    assert harvest.value == 0.5  # one of two harvests brought a story
    assert rows["Finance"].harvest_response_rate is None  # never asked for stories
    assert rows["Finance"].prompts_delivered.value == 1  # harvests are not prompts
    assert rows["Support"].prompts_delivered.value == 0
    lines = [
        line
        for section in summary_view(summary, full=True).sections
        for line in section.lines
        if line.name == "Support"
    ]
    assert any(m.label == "harvest response" and m.figure.value == "50%" for m in lines[0].metrics)
