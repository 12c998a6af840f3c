"""'This resonates': once per member, tallied by the member's department."""

from __future__ import annotations

from sqlmodel import Session

from stories.capture import StoryDraft, capture_story
from stories.clock import FixedClock
from stories.departments import DepartmentSpec, add_department
from stories.engagement import record_resonates, resonance
from stories.models import SourceKind, Workspace
from stories.redaction import Redactor
from stories.workspaces import ensure_member


def test_resonates_counts_once_per_member_and_tallies_departments(
    session: Session, clock: FixedClock, redactor: Redactor, workspace: Workspace
) -> None:
    ws = workspace.id or 0
    story = capture_story(
        session=session,
        clock=clock,
        redactor=redactor,
        draft=StoryDraft(
            workspace_id=ws,
            text="The invoice portal logged the customer out mid-payment.",
            source_kind=SourceKind.CLI,
        ),
    ).story
    finance = add_department(
        session=session, clock=clock, workspace_id=ws, spec=DepartmentSpec(name="Finance")
    )
    people = []
    for user, department in (("U1", finance.id), ("U2", finance.id), ("U3", None)):
        member = ensure_member(session=session, clock=clock, workspace_id=ws, platform_user_id=user)
        member.department_id = department
        session.add(member)
        session.commit()
        people.append(member)

    assert [
        record_resonates(session=session, clock=clock, story=story, member=m) for m in people
    ] == [True, True, True]
    assert record_resonates(session=session, clock=clock, story=story, member=people[0]) is False
    counted = resonance(session=session, story_id=story.id or 0)
    assert counted.total == 3
    assert counted.by_department == {"Finance": 2}
