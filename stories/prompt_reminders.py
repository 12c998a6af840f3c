"""The one reminder per prompt, to the department members who have not responded yet.

A prompt's reminder goes once, after the department's reminder delay (its own, else the
workspace default), while answers are open, personally (a Slack direct message, a Teams
personal chat) to each member of the department who has neither answered nor marked the
story "not relevant", with a link to the prompt. When everyone has responded, none goes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from stories.anonymous_answers import pseudonyms
from stories.clock import Clock
from stories.models import (
    DeliveryStatus,
    Department,
    DepartmentPromptSettings,
    Member,
    PromptAnswer,
    PromptDelivery,
    StoryFeedback,
)
from stories.prompt_ledger import PROMPT_KINDS
from stories.prompt_members import department_members


def reminder_delay(
    *, session: Session, department_id: int, default: timedelta | None
) -> timedelta | None:
    """How long after sending a department's prompts are reminded (None: never)."""
    own = session.exec(
        select(DepartmentPromptSettings.reminder_after_hours).where(
            DepartmentPromptSettings.department_id == department_id
        )
    ).first()
    if own is None:
        return default
    return timedelta(hours=own) if own > 0 else None


def set_reminder_delay(
    *, session: Session, clock: Clock, department: Department, hours: float | None
) -> DepartmentPromptSettings:
    """Give a department its own reminder delay (``0``: no reminder; None: the default).

    Raises:
        ValueError: ``hours`` is negative.
    """
    if hours is not None and hours < 0:
        raise ValueError("a reminder delay cannot be negative")
    row = session.exec(
        select(DepartmentPromptSettings).where(
            DepartmentPromptSettings.department_id == department.id
        )
    ).first() or DepartmentPromptSettings(department_id=department.id or 0, updated_at=clock.now())
    row.reminder_after_hours, row.updated_at = hours, clock.now()
    session.add(row)
    session.commit()
    return row


def due_reminders(
    *, session: Session, now: datetime, default_after: timedelta | None, answer_window: timedelta
) -> list[PromptDelivery]:
    """Sent prompts past their department's reminder point, still open, never reminded.

    A reminder whose delay reaches past the answer window never goes: it would invite
    answers that can no longer be given.
    """
    candidates = session.exec(
        select(PromptDelivery)
        .where(
            col(PromptDelivery.kind).in_(PROMPT_KINDS),
            PromptDelivery.status == DeliveryStatus.SENT,
            col(PromptDelivery.reminder_sent_at).is_(None),
            col(PromptDelivery.sent_at) > now - answer_window,
        )
        .order_by(col(PromptDelivery.sent_at))
    ).all()
    delays: dict[int, timedelta | None] = {}
    due = []
    for delivery in candidates:
        department_id = delivery.department_id or 0
        if department_id not in delays:
            delays[department_id] = reminder_delay(
                session=session, department_id=department_id, default=default_after
            )
        delay = delays[department_id]
        if delay is None or delay >= answer_window or delivery.sent_at is None:
            continue
        if delivery.sent_at <= now - delay:
            due.append(delivery)
    return due


def reminder_recipients(*, session: Session, delivery: PromptDelivery) -> list[Member]:
    """The department's members who have neither answered this prompt nor marked its story
    "not relevant" (for this department)."""
    department = session.get(Department, delivery.department_id)
    if department is None:
        return []
    answered = set(
        session.exec(select(PromptAnswer.member_id).where(PromptAnswer.delivery_id == delivery.id))
    )
    dismissed: set[int | None] = set()
    if delivery.story_id is not None:
        dismissed = set(
            session.exec(
                select(StoryFeedback.member_id).where(
                    StoryFeedback.story_id == delivery.story_id,
                    StoryFeedback.department_id == department.id,
                )
            )
        )
    members = department_members(session=session, department=department)
    # In an anonymous department answers carry pseudonyms: compare those.
    carried = pseudonyms(session=session, department_id=department.id, members=members)
    responded = {
        m.platform_user_id
        for m in session.exec(select(Member).where(col(Member.id).in_(answered | dismissed)))
    }
    return [
        member
        for member in members
        if member.id not in answered
        and member.id not in dismissed
        and carried[member.id or 0] not in responded
    ]
