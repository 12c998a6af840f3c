"""Capturing stories through the service layer, on every backend."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from stories.capture import (
    MAX_STORY_LENGTH,
    StoryChanges,
    StoryDraft,
    capture_story,
    delete_story,
    edit_story,
    list_stories,
)
from stories.clock import FixedClock
from stories.errors import (
    EmptyStoryError,
    InvalidFieldError,
    NotFoundError,
    PermissionDeniedError,
    StoryTooLongError,
    StoryTooShortError,
)
from stories.models import AuditEvent, Emotion, SourceKind, Story, Workspace
from stories.redaction import Redactor
from stories.workspaces import ensure_member

TEXT = "A customer waited nine days for a refund because the invoice was on hold."


def _draft(workspace: Workspace, **overrides: object) -> StoryDraft:
    fields: dict[str, object] = {
        "workspace_id": workspace.id,
        "text": TEXT,
        "source_kind": SourceKind.CLI,
    }
    fields.update(overrides)
    return StoryDraft(**fields)  # type: ignore[arg-type]


def _count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Story)).one()


def test_capture_stores_redacted_story_with_audit(
    session: Session, clock: FixedClock, redactor: Redactor, workspace: Workspace
) -> None:
    draft = _draft(
        workspace,
        text="Jo (jo.bloggs@example.com, +44 20 7946 0958) was charged twice for one order.",
        customer_label="Acme Ltd",
        touchpoint="Refunds & Billing",
        emotion=Emotion.FRUSTRATED,
    )
    result = capture_story(session=session, clock=clock, redactor=redactor, draft=draft)

    assert result.created
    stored = session.get(Story, result.story.id)
    assert stored is not None
    assert stored.text == "Jo ([email], [phone]) was charged twice for one order."
    assert stored.redaction_count == 2
    assert stored.touchpoint == "refunds-billing"
    assert stored.emotion is Emotion.FRUSTRATED
    assert stored.created_at == clock.now()
    actions = session.exec(select(AuditEvent.action)).all()
    assert actions == ["story.captured"]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", EmptyStoryError),
        ("   \n\t ", EmptyStoryError),
        ("too short", StoryTooShortError),
        ("x" * (MAX_STORY_LENGTH + 1), StoryTooLongError),
    ],
)
def test_invalid_text_is_refused_and_nothing_stored(
    session: Session,
    clock: FixedClock,
    redactor: Redactor,
    workspace: Workspace,
    text: str,
    error: type[Exception],
) -> None:
    with pytest.raises(error) as raised:
        capture_story(
            session=session, clock=clock, redactor=redactor, draft=_draft(workspace, text=text)
        )
    assert str(raised.value)  # a message a person can read
    assert _count(session) == 0


def test_story_at_the_limit_is_accepted(
    session: Session, clock: FixedClock, redactor: Redactor, workspace: Workspace
) -> None:
    text = ("The customer could not log in. " * 200)[:MAX_STORY_LENGTH]
    result = capture_story(
        session=session, clock=clock, redactor=redactor, draft=_draft(workspace, text=text)
    )
    assert len(result.story.text) == MAX_STORY_LENGTH


def test_bad_touchpoint_is_refused(
    session: Session, clock: FixedClock, redactor: Redactor, workspace: Workspace
) -> None:
    with pytest.raises(InvalidFieldError, match="touchpoint"):
        capture_story(
            session=session,
            clock=clock,
            redactor=redactor,
            draft=_draft(workspace, touchpoint="!!!"),
        )
    assert _count(session) == 0


def test_same_source_captured_twice_yields_one_story(
    session: Session, clock: FixedClock, redactor: Redactor, workspace: Workspace
) -> None:
    draft = _draft(workspace, source_ref="slack:C123:1712345678.000100")
    first = capture_story(session=session, clock=clock, redactor=redactor, draft=draft)
    second = capture_story(session=session, clock=clock, redactor=redactor, draft=draft)
    assert first.created
    assert not second.created
    assert second.story.id == first.story.id
    assert _count(session) == 1


def test_author_department_is_kept_on_the_story(
    session: Session, clock: FixedClock, redactor: Redactor, workspace: Workspace
) -> None:
    from stories.departments import DepartmentSpec, add_department

    finance = add_department(
        session=session,
        clock=clock,
        workspace_id=workspace.id or 0,
        spec=DepartmentSpec(name="Finance"),
    )
    author = ensure_member(
        session=session, clock=clock, workspace_id=workspace.id or 0, platform_user_id="U1"
    )
    author.department_id = finance.id
    session.add(author)
    session.commit()
    result = capture_story(
        session=session,
        clock=clock,
        redactor=redactor,
        draft=_draft(workspace, author_member_id=author.id),
    )
    assert result.story.department_id == finance.id
    assert result.story.captured_by_member_id == author.id


def test_edit_redacts_and_checks_permission(
    session: Session, clock: FixedClock, redactor: Redactor, workspace: Workspace
) -> None:
    wid = workspace.id or 0
    author = ensure_member(session=session, clock=clock, workspace_id=wid, platform_user_id="U1")
    other = ensure_member(session=session, clock=clock, workspace_id=wid, platform_user_id="U2")
    story = capture_story(
        session=session,
        clock=clock,
        redactor=redactor,
        draft=_draft(workspace, author_member_id=author.id),
    ).story
    sid = story.id or 0

    with pytest.raises(PermissionDeniedError):
        edit_story(
            session=session,
            clock=clock,
            redactor=redactor,
            workspace_id=wid,
            story_id=sid,
            actor=other,
            changes=StoryChanges(touchpoint="x"),
        )

    clock.advance(minutes=5)
    edited = edit_story(
        session=session,
        clock=clock,
        redactor=redactor,
        workspace_id=wid,
        story_id=sid,
        actor=author,
        changes=StoryChanges(text="Call them back on 020 7946 0958 about the late refund please."),
    )
    assert edited.text == "Call them back on [phone] about the late refund please."
    assert edited.updated_at == clock.now()

    other.is_cx_lead = True
    session.add(other)
    session.commit()
    lead_edit = edit_story(
        session=session,
        clock=clock,
        redactor=redactor,
        workspace_id=wid,
        story_id=sid,
        actor=other,
        changes=StoryChanges(touchpoint="Refunds"),
    )
    assert lead_edit.touchpoint == "refunds"


def test_delete_removes_story(
    session: Session, clock: FixedClock, redactor: Redactor, workspace: Workspace
) -> None:
    wid = workspace.id or 0
    story = capture_story(
        session=session, clock=clock, redactor=redactor, draft=_draft(workspace)
    ).story
    delete_story(session=session, clock=clock, workspace_id=wid, story_id=story.id or 0, actor=None)
    assert _count(session) == 0
    with pytest.raises(NotFoundError):
        delete_story(
            session=session, clock=clock, workspace_id=wid, story_id=story.id or 0, actor=None
        )
    assert "story.deleted" in session.exec(select(AuditEvent.action)).all()


def test_list_newest_first(
    session: Session, clock: FixedClock, redactor: Redactor, workspace: Workspace
) -> None:
    for n in range(3):
        clock.advance(hours=1)
        capture_story(
            session=session,
            clock=clock,
            redactor=redactor,
            draft=_draft(workspace, text=f"{TEXT} Case {n}."),
        )
    texts = [s.text for s in list_stories(session=session, workspace_id=workspace.id or 0, limit=2)]
    assert texts == [f"{TEXT} Case 2.", f"{TEXT} Case 1."]
