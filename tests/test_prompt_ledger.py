"""The delivery ledger: claims, outcomes, answers, feedback and reminders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from stories.answers import (
    mark_not_relevant,
    record_answer,
)
from stories.capture import StoryDraft, capture_story
from stories.clock import FixedClock
from stories.departments import DepartmentSpec, add_department
from stories.errors import AnswerClosedError, InvalidFieldError, NotFoundError
from stories.models import (
    DeliveryStatus,
    Department,
    Member,
    Platform,
    PromptAnswer,
    SourceKind,
    Story,
    StoryFeedback,
    Workspace,
)
from stories.prompt_leases import Claim
from stories.prompt_ledger import (
    attach_content,
    claim_occurrence,
    claim_reminder,
    get_delivery,
    list_deliveries,
    mark_failed,
    mark_sent,
    record_missed,
    record_skipped,
)
from stories.prompt_members import department_members, refresh_roster, roster_status, set_override
from stories.prompt_reminders import due_reminders
from stories.redaction import Redactor
from stories.workspaces import ensure_member, ensure_workspace

OCCURRENCE = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


@pytest.fixture
def slack_ws(session: Session, clock: FixedClock) -> Workspace:
    return ensure_workspace(
        session=session, clock=clock, platform=Platform.SLACK, external_id="T1", name="Acme"
    )


@pytest.fixture
def finance(session: Session, clock: FixedClock, slack_ws: Workspace) -> Department:
    return add_department(
        session=session,
        clock=clock,
        workspace_id=slack_ws.id or 0,
        spec=DepartmentSpec(name="Finance", slack_channel_id="CFIN"),
    )


def member(session: Session, clock: FixedClock, ws: Workspace, user: str) -> Member:
    return ensure_member(
        session=session, clock=clock, workspace_id=ws.id or 0, platform_user_id=user
    )


def story_by(
    session: Session, clock: FixedClock, redactor: Redactor, ws: Workspace, author: Member
) -> Story:
    draft = StoryDraft(
        workspace_id=ws.id or 0,
        text="A customer waited three weeks for a refund we had already approved.",
        source_kind=SourceKind.CLI,
        touchpoint="refunds",
        shared=True,
        author_member_id=author.id,
    )
    return capture_story(session=session, clock=clock, redactor=redactor, draft=draft).story


def sent_delivery(
    session: Session, clock: FixedClock, department: Department, story: Story | None = None
) -> int:
    delivery = claim_occurrence(
        session=session,
        clock=clock,
        department=department,
        occurrence_at=OCCURRENCE,
        instance="a",
    )
    assert delivery is not None
    assert delivery.id is not None
    attach_content(
        session=session,
        delivery_id=delivery.id,
        story_id=story.id if story else None,
        template_id=None,
    )
    mark_sent(session=session, clock=clock, claim=Claim.of(delivery), message_ref="CFIN:1")
    return delivery.id


def test_an_occurrence_is_claimed_once(
    session: Session, clock: FixedClock, finance: Department
) -> None:
    first = claim_occurrence(
        session=session, clock=clock, department=finance, occurrence_at=OCCURRENCE, instance="a"
    )
    second = claim_occurrence(
        session=session, clock=clock, department=finance, occurrence_at=OCCURRENCE, instance="b"
    )
    assert first is not None
    assert first.status == DeliveryStatus.CLAIMED
    assert first.claimed_by == "a"
    assert first.target == f"department:{finance.id}"
    assert second is None
    # A skip or miss for the same occurrence cannot overwrite the claim either.
    assert (
        record_skipped(
            session=session,
            clock=clock,
            department=finance,
            occurrence_at=OCCURRENCE,
            reason="holiday",
        )
        is None
    )
    assert record_missed(
        session=session,
        clock=clock,
        department=finance,
        occurrence_at=OCCURRENCE + timedelta(days=7),
    )
    rows = list_deliveries(session=session, workspace_id=finance.workspace_id)
    assert [(r.status, r.occurrence_at) for r in rows] == [
        (DeliveryStatus.MISSED, OCCURRENCE + timedelta(days=7)),
        (DeliveryStatus.CLAIMED, OCCURRENCE),
    ]
    # The session is still usable after the refused inserts (savepoints, not rollbacks).
    assert get_delivery(session=session, delivery_id=first.id or 0).claimed_by == "a"


def test_sent_and_failed_outcomes_are_recorded(
    session: Session, clock: FixedClock, finance: Department
) -> None:
    delivery_id = sent_delivery(session, clock, finance)
    row = get_delivery(session=session, delivery_id=delivery_id)
    assert (row.status, row.message_ref, row.sent_at) == (
        DeliveryStatus.SENT,
        "CFIN:1",
        clock.now(),
    )
    other = claim_occurrence(
        session=session,
        clock=clock,
        department=finance,
        occurrence_at=OCCURRENCE + timedelta(days=7),
        instance="a",
    )
    assert other is not None
    failed = mark_failed(
        session=session, clock=clock, claim=Claim.of(other), reason="channel_archived"
    )
    assert failed is not None
    assert (failed.status, failed.reason) == (DeliveryStatus.FAILED, "channel_archived")
    with pytest.raises(NotFoundError):
        get_delivery(session=session, delivery_id=999)


def test_answers_are_redacted_validated_and_one_per_member(
    session: Session,
    clock: FixedClock,
    redactor: Redactor,
    slack_ws: Workspace,
    finance: Department,
) -> None:
    author = member(session, clock, slack_ws, "UAUTHOR")
    story = story_by(session, clock, redactor, slack_ws, author)
    delivery_id = sent_delivery(session, clock, finance, story)
    ana = member(session, clock, slack_ws, "UANA")
    first = record_answer(
        session=session,
        clock=clock,
        redactor=redactor,
        delivery_id=delivery_id,
        member=ana,
        text="  Our refund approval sits in a queue; call me on +44 20 7946 0958.  ",
    )
    assert first.created
    assert "7946" not in first.answer.text
    assert first.answer.redaction_count == 1
    assert first.answer.department_id == finance.id
    assert first.answer.story_id == story.id
    edited = record_answer(
        session=session,
        clock=clock,
        redactor=redactor,
        delivery_id=delivery_id,
        member=ana,
        text="We batch refunds weekly; daily would have spared her two weeks.",
    )
    assert not edited.created
    assert edited.answer.id == first.answer.id
    rows = list(session.exec(select(PromptAnswer)))
    assert [r.text for r in rows] == [
        "We batch refunds weekly; daily would have spared her two weeks."
    ]
    with pytest.raises(InvalidFieldError, match="sentence"):
        record_answer(
            session=session,
            clock=clock,
            redactor=redactor,
            delivery_id=delivery_id,
            member=ana,
            text=" ",
        )
    with pytest.raises(InvalidFieldError, match="3,000"):
        record_answer(
            session=session,
            clock=clock,
            redactor=redactor,
            delivery_id=delivery_id,
            member=ana,
            text="x" * 3001,
        )


def test_unsent_deliveries_take_no_answers(
    session: Session,
    clock: FixedClock,
    redactor: Redactor,
    slack_ws: Workspace,
    finance: Department,
) -> None:
    skipped = record_skipped(
        session=session,
        clock=clock,
        department=finance,
        occurrence_at=OCCURRENCE,
        reason="public holiday",
    )
    assert skipped is not None
    with pytest.raises(AnswerClosedError):
        record_answer(
            session=session,
            clock=clock,
            redactor=redactor,
            delivery_id=skipped.id or 0,
            member=member(session, clock, slack_ws, "UANA"),
            text="Some thoughts on this one.",
        )


def test_not_relevant_is_once_per_member(
    session: Session,
    clock: FixedClock,
    redactor: Redactor,
    slack_ws: Workspace,
    finance: Department,
) -> None:
    story = story_by(session, clock, redactor, slack_ws, member(session, clock, slack_ws, "UA"))
    delivery_id = sent_delivery(session, clock, finance, story)
    bo = member(session, clock, slack_ws, "UBO")
    first = mark_not_relevant(session=session, clock=clock, delivery_id=delivery_id, member=bo)
    again = mark_not_relevant(session=session, clock=clock, delivery_id=delivery_id, member=bo)
    assert first is not None
    assert again is not None
    assert first.id == again.id
    mark_not_relevant(
        session=session,
        clock=clock,
        delivery_id=delivery_id,
        member=member(session, clock, slack_ws, "UCY"),
    )
    rows = list(session.exec(select(StoryFeedback)))
    assert len(rows) == 2
    assert {(r.story_id, r.department_id) for r in rows} == {(story.id, finance.id)}


def test_one_reminder_per_occurrence_inside_the_answer_window(
    session: Session, clock: FixedClock, finance: Department
) -> None:
    delivery_id = sent_delivery(session, clock, finance)
    after, window = timedelta(hours=24), timedelta(hours=48)

    def due() -> list[int]:
        rows = due_reminders(
            session=session, now=clock.now(), default_after=after, answer_window=window
        )
        return [r.id or 0 for r in rows]

    assert due() == []
    clock.advance(hours=25)
    assert due() == [delivery_id]
    assert claim_reminder(session=session, clock=clock, delivery_id=delivery_id)
    assert not claim_reminder(session=session, clock=clock, delivery_id=delivery_id)
    assert due() == []


def test_reminders_stop_when_the_answer_window_closes(
    session: Session, clock: FixedClock, finance: Department
) -> None:
    sent_delivery(session, clock, finance)
    clock.advance(hours=49)
    assert (
        due_reminders(
            session=session,
            now=clock.now(),
            default_after=timedelta(hours=24),
            answer_window=timedelta(hours=48),
        )
        == []
    )


# --- who belongs to a department -----------------------------------------------------------


def test_roster_follows_the_channel_with_overrides_and_flags_unreadable(
    session: Session, clock: FixedClock, slack_ws: Workspace, finance: Department
) -> None:
    def users() -> list[str]:
        return [m.platform_user_id for m in department_members(session=session, department=finance)]

    first = refresh_roster(
        session=session, clock=clock, department=finance, platform_user_ids=["UA", "UB", "UA"]
    )
    assert (first.readable, first.added, first.removed, first.members) == (True, 2, 0, 2)
    assert sorted(users()) == ["UA", "UB"]
    # New members get the department as their primary one.
    assert member(session, clock, slack_ws, "UA").department_id == finance.id
    set_override(
        session=session,
        clock=clock,
        department=finance,
        member=member(session, clock, slack_ws, "UB"),
        override="exclude",
    )
    set_override(
        session=session,
        clock=clock,
        department=finance,
        member=member(session, clock, slack_ws, "UZ"),
        override="include",
    )
    assert sorted(users()) == ["UA", "UZ"]
    later = refresh_roster(
        session=session, clock=clock, department=finance, platform_user_ids=["UB", "UC"]
    )
    assert (later.added, later.removed) == (1, 1)
    assert sorted(users()) == ["UC", "UZ"]  # UB still excluded by hand, UA left the channel
    # A channel that cannot be read is flagged; the last known members stay.
    failed = refresh_roster(
        session=session,
        clock=clock,
        department=finance,
        platform_user_ids=None,
        error="not_in_channel",
    )
    assert not failed.readable
    status = roster_status(session=session, department=finance)
    assert status is not None
    assert (status.readable, status.error) == (False, "not_in_channel")
    assert sorted(users()) == ["UC", "UZ"]
