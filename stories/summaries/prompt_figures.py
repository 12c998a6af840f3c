"""Prompts, answers and departments: response rate and participation per department."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, exists, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from stories.models import Department, Member, PromptAnswer, PromptDelivery
from stories.periods import Period
from stories.summaries.model import DepartmentSummary, compare, ratio
from stories.summaries.query import delivered, delivered_at, spanning, within

Figures = dict[int | None, int]  # by department id


@dataclass(frozen=True)
class PromptFigures:
    delivered: Figures
    answered: Figures  # prompts with at least one answer
    answers: Figures
    answering: Figures  # distinct answering members, by the member's department


def prompt_figures(
    session: Session, workspace_id: int, period: Period, departments: Sequence[int]
) -> tuple[PromptFigures, PromptFigures]:
    """(this period, previous period), read from the prompts of both and their members.

    Answers per prompt come from ``answer_count``; answering members are found per member of
    the departments that were sent a prompt, each probing the (member, prompted_at) index,
    so the cost follows the number of members, not of answers.
    """
    figures = _prompts(session, workspace_id, period)
    reached = [d for d in departments if figures[0].delivered.get(d) or figures[1].delivered.get(d)]
    if reached:
        for department, now, before in _answering(session, workspace_id, period, reached):
            figures[1].answering[department] = int(now or 0)
            figures[0].answering[department] = int(before or 0)
    return figures[1], figures[0]


def _prompts(session: Session, workspace_id: int, period: Period) -> dict[int, PromptFigures]:
    """Prompts delivered, answered and their answers, by flag (1: this period) and department."""
    answer_count = col(PromptDelivery.answer_count)
    p = (
        select(
            case((delivered_at() >= period.start, 1), else_=0).label("in_period"),
            col(PromptDelivery.department_id).label("department"),
            case((answer_count > 0, 1), else_=0).label("answered"),
            answer_count.label("answers"),
        )
        .where(*delivered(workspace_id, spanning(period)))
        .subquery()
    )
    prompt_rows = session.connection().execute(
        sa_select(
            p.c.in_period,
            p.c.department,
            func.count(),
            func.sum(p.c.answered),
            func.sum(p.c.answers),
        ).group_by(p.c.in_period, p.c.department)
    )
    figures = {flag: PromptFigures({}, {}, {}, {}) for flag in (0, 1)}
    for flag, department, prompt_count, answered, answers in prompt_rows:
        figures[flag].delivered[department] = int(prompt_count)
        figures[flag].answered[department] = int(answered)
        figures[flag].answers[department] = int(answers)
    return figures


def _answering(
    session: Session, workspace_id: int, period: Period, reached: Sequence[int]
) -> Sequence[tuple[int | None, Any, Any]]:
    """(department, members who answered this period, members who answered the previous one)."""

    def answered_in(part: Period) -> Any:
        # Answers are stored only for sent prompts, so prompted_at is a delivery time.
        answered = exists().where(
            col(PromptAnswer.member_id) == col(Member.id),
            within(col(PromptAnswer.prompted_at), part),
        )
        return func.sum(case((answered, 1), else_=0))

    member_department = col(Member.department_id)
    return session.exec(
        select(member_department, answered_in(period), answered_in(period.previous()))
        .where(col(Member.workspace_id) == workspace_id, member_department.in_(reached))
        .group_by(member_department)
    ).all()


def _participation(answering: int, members: int, delivered: int) -> float | None:
    return ratio(answering, members) if delivered else None


def department_summaries(
    departments: Sequence[Department],
    members: dict[Any, int],
    now: PromptFigures,
    before: PromptFigures,
) -> tuple[DepartmentSummary, ...]:
    """Each department's prompt figures, compared with the previous period."""
    out = []
    for department in departments:
        d = department.id
        size = members.get(d, 0)

        def figure(figures: PromptFigures, name: str, d: int | None = d) -> int:
            value: Figures = getattr(figures, name)
            return value.get(d, 0)

        out.append(
            DepartmentSummary(
                department_id=d or 0,
                name=department.name,
                members=size,
                prompts_delivered=compare(figure(now, "delivered"), figure(before, "delivered")),
                prompts_answered=compare(figure(now, "answered"), figure(before, "answered")),
                answers=compare(figure(now, "answers"), figure(before, "answers")),
                answering_members=compare(figure(now, "answering"), figure(before, "answering")),
                response_rate=compare(
                    ratio(figure(now, "answered"), figure(now, "delivered")),
                    ratio(figure(before, "answered"), figure(before, "delivered")),
                ),
                participation=compare(
                    _participation(figure(now, "answering"), size, figure(now, "delivered")),
                    _participation(figure(before, "answering"), size, figure(before, "delivered")),
                ),
            )
        )
    return tuple(out)
