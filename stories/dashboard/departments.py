"""The departments page: each department's schedule, next prompt, last prompts and their
response rate, from the same schedule and ledger the scheduler uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from stories.departments import describe_schedule, list_departments
from stories.models import DeliveryStatus, Department, Member
from stories.prompt_ledger import list_deliveries
from stories.schedule import next_occurrence
from stories.summaries.model import ratio

LAST_PROMPTS = 5


@dataclass(frozen=True)
class PromptLine:
    at: datetime
    status: str
    answers: int
    reason: str | None


@dataclass(frozen=True)
class DepartmentCard:
    id: int
    name: str
    customer_facing: bool
    channel: str | None
    members: int
    schedule: str
    paused: bool
    paused_until: datetime | None
    next_due: datetime | None
    next_skip: str | None  # why the next occurrence will be recorded instead of sent
    prompts: tuple[PromptLine, ...]
    response_rate: float | None  # of the last prompts sent, the share with an answer


def _next(department: Department, now: datetime) -> tuple[datetime | None, str | None]:
    if department.customer_facing or (department.paused and department.paused_until is None):
        return None, None
    if not (department.slack_channel_id or department.teams_conversation_id):
        return None, None
    upcoming = next_occurrence(department, now)
    return (upcoming.at, upcoming.skip_reason) if upcoming else (None, None)


def department_cards(*, session: Session, workspace_id: int, now: datetime) -> list[DepartmentCard]:
    """Every department of the workspace, by name."""
    counts = dict(
        session.exec(
            select(Member.department_id, func.count())
            .where(Member.workspace_id == workspace_id, col(Member.department_id).is_not(None))
            .group_by(col(Member.department_id))
        ).all()
    )
    cards = []
    for department in list_departments(session=session, workspace_id=workspace_id):
        assert department.id is not None
        recent = list_deliveries(
            session=session,
            workspace_id=workspace_id,
            department_id=department.id,
            limit=LAST_PROMPTS,
        )
        sent = [d for d in recent if d.status == DeliveryStatus.SENT]
        due, skip = _next(department, now)
        cards.append(
            DepartmentCard(
                id=department.id,
                name=department.name,
                customer_facing=department.customer_facing,
                channel=department.slack_channel_id or department.teams_conversation_id,
                members=int(counts.get(department.id, 0)),
                schedule=describe_schedule(department),
                paused=department.paused,
                paused_until=department.paused_until,
                next_due=due,
                next_skip=skip,
                prompts=tuple(
                    PromptLine(
                        at=d.sent_at or d.occurrence_at,
                        status=d.status.value,
                        answers=d.answer_count,
                        reason=d.reason,
                    )
                    for d in recent
                ),
                response_rate=ratio(sum(1 for d in sent if d.answer_count), len(sent)),
            )
        )
    return cards
