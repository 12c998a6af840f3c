"""The answer side of a prompt: answers, "not relevant" marks and the author's direct message.

A member answers a sent prompt once (answering again edits); a department can mark a story
"not relevant"; each answer may tell the story's author, unless they switched that off.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from stories import audit
from stories.anonymous_answers import answering_as
from stories.clock import Clock
from stories.errors import AnswerClosedError, InvalidFieldError
from stories.models import (
    DeliveryStatus,
    Member,
    MemberPreference,
    PromptAnswer,
    PromptDelivery,
    StoryFeedback,
)
from stories.prompt_ledger import get_delivery
from stories.redaction import Redaction, Redactor

MIN_ANSWER_LENGTH = 2
MAX_ANSWER_LENGTH = 3000


# --- answers and feedback -----------------------------------------------------------------


@dataclass(frozen=True)
class AnswerResult:
    answer: PromptAnswer
    created: bool  # False when the member edited their earlier answer


def record_answer(
    *,
    session: Session,
    clock: Clock,
    redactor: Redactor,
    delivery_id: int,
    member: Member,
    text: str,
) -> AnswerResult:
    """Store a member's answer to a prompt, redacted; a second answer replaces the first.

    Args:
        session: the database session; committed on success.
        clock: stamps a new answer and the audit record.
        redactor: masks personal details before anything is stored.
        delivery_id: the prompt being answered.
        member: who answers; must belong to the delivery's workspace.
        text: the answer as typed.

    Returns:
        The stored answer, and whether it is new (False: the member's earlier one, edited).

    Raises:
        NotFoundError: no such delivery.
        AnswerClosedError: the delivery was never sent (skipped, missed, failed).
        InvalidFieldError: the answer is empty or too long.
    """
    delivery = get_delivery(session=session, delivery_id=delivery_id)
    if delivery.status != DeliveryStatus.SENT or delivery.workspace_id != member.workspace_id:
        raise AnswerClosedError()
    redacted = redactor.redact(_checked_answer(text))
    # An anonymous department's answers are stored under the member's pseudonym there.
    member = answering_as(session=session, clock=clock, delivery=delivery, member=member)
    answer, created = _store_answer(session, clock, delivery, member, redacted)
    audit.record(
        session=session,
        clock=clock,
        workspace_id=delivery.workspace_id,
        actor_member_id=member.id,
        action="prompt.answered" if created else "prompt.answer_edited",
        subject_type="promptdelivery",
        subject_id=delivery.id,
        detail={"redactions": redacted.count},
    )
    session.commit()
    session.refresh(answer)
    return AnswerResult(answer=answer, created=created)


def _checked_answer(text: str) -> str:
    cleaned = text.strip()
    if len(cleaned) < MIN_ANSWER_LENGTH:
        raise InvalidFieldError(field="answer", reason="write a sentence or two")
    if len(cleaned) > MAX_ANSWER_LENGTH:
        raise InvalidFieldError(
            field="answer", reason=f"keep it under {MAX_ANSWER_LENGTH:,} characters"
        )
    return cleaned


def _store_answer(
    session: Session, clock: Clock, delivery: PromptDelivery, member: Member, redacted: Redaction
) -> tuple[PromptAnswer, bool]:
    """Insert the member's answer, or edit the one they gave before; True when inserted."""
    query = select(PromptAnswer).where(
        PromptAnswer.delivery_id == delivery.id, PromptAnswer.member_id == member.id
    )
    answer = session.exec(query).first()
    created = answer is None
    if answer is None:
        answer = PromptAnswer(
            workspace_id=delivery.workspace_id,
            delivery_id=delivery.id or 0,
            story_id=delivery.story_id,
            member_id=member.id or 0,
            department_id=delivery.department_id,
            text=redacted.text,
            redaction_count=redacted.count,
            created_at=clock.now(),
        )
        try:
            with session.begin_nested():
                session.add(answer)
                session.flush()
        except IntegrityError:  # the same member's other click won the race: edit that one
            answer = session.exec(query).one()
            created = False
    if not created:
        answer.text, answer.redaction_count = redacted.text, redacted.count
        session.add(answer)
    return answer, created


def mark_not_relevant(
    *, session: Session, clock: Clock, delivery_id: int, member: Member | None
) -> StoryFeedback | None:
    """ "Not relevant to us" on a prompt: lowers the story's score for that department.

    One mark per member and story; repeating it changes nothing. None when the delivery
    carried no story.
    """
    delivery = get_delivery(session=session, delivery_id=delivery_id)
    if delivery.story_id is None or delivery.department_id is None:
        return None
    if member is not None:
        member = answering_as(session=session, clock=clock, delivery=delivery, member=member)
    member_id = member.id if member is not None else None
    query = select(StoryFeedback).where(
        StoryFeedback.story_id == delivery.story_id,
        StoryFeedback.department_id == delivery.department_id,
        StoryFeedback.member_id == member_id
        if member_id is not None
        else col(StoryFeedback.member_id).is_(None),
    )
    existing = session.exec(query).first()
    if existing is not None:
        return existing
    feedback = StoryFeedback(
        workspace_id=delivery.workspace_id,
        story_id=delivery.story_id,
        department_id=delivery.department_id,
        member_id=member_id,
        delivery_id=delivery.id,
        created_at=clock.now(),
    )
    try:
        with session.begin_nested():
            session.add(feedback)
            session.flush()
    except IntegrityError:
        return session.exec(query).one()
    session.commit()
    return feedback


# --- the story's author -------------------------------------------------------------------


def set_author_notifications(
    *, session: Session, clock: Clock, member_id: int, enabled: bool
) -> MemberPreference:
    """Switch the "another department reflected on your story" direct messages on or off."""
    query = select(MemberPreference).where(MemberPreference.member_id == member_id)
    preference = session.exec(query).first()
    if preference is None:
        preference = MemberPreference(member_id=member_id, updated_at=clock.now())
    preference.author_notifications = enabled
    preference.updated_at = clock.now()
    session.add(preference)
    session.commit()
    session.refresh(preference)
    return preference


def author_notifications_enabled(*, session: Session, member_id: int) -> bool:
    query = select(MemberPreference.author_notifications).where(
        MemberPreference.member_id == member_id
    )
    value = session.exec(query).first()
    return True if value is None else bool(value)
