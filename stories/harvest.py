"""Story-harvest prompts: customer-facing departments asked for one customer moment a week.

A customer-facing department with a linked channel gets, on its own schedule, a prompt
(ledger kind ``harvest``) with a button that opens the capture form labelled with the
department. A story told from it is credited to its teller (as any story) and to the
department that was asked (the story's ``department_id`` and a `HarvestStory` row), and the
department's harvest response rate (harvests that brought at least one story, over harvests
sent) is reported next to the line-of-sight response rate.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from stories.clock import Clock
from stories.conversation.prompt_texts import HARVEST_QUESTION
from stories.errors import NotFoundError
from stories.models import (
    DeliveryStatus,
    Department,
    HarvestStory,
    PromptDelivery,
    Story,
    Workspace,
)
from stories.periods import Period
from stories.prompt_ledger import HARVEST_KIND
from stories.prompts import PromptMessage


def harvest_message(
    *,
    delivery: PromptDelivery,
    workspace: Workspace,
    department: Department,
    platform: str,
    destination: str,
    answer_window: timedelta,
) -> PromptMessage:
    """The harvest prompt for a claimed delivery: no story, the harvest question."""
    return PromptMessage(
        delivery_id=delivery.id or 0,
        workspace_id=workspace.id or 0,
        workspace_external_id=workspace.external_id,
        platform=platform,
        destination=destination,
        department_id=department.id or 0,
        department_name=department.name,
        occurrence_at=delivery.occurrence_at,
        question=HARVEST_QUESTION,
        question_key=HARVEST_KIND,
        story_id=0,
        story_text="",
        answer_by=delivery.occurrence_at + answer_window,
        answer_window_hours=answer_window.total_seconds() / 3600,
        kind=HARVEST_KIND,
    )


def harvest_department(*, session: Session, workspace_id: int, delivery_id: int) -> Department:
    """The department a sent harvest prompt asked.

    Raises:
        NotFoundError: no sent harvest prompt with this id in the workspace.
    """
    delivery = session.get(PromptDelivery, delivery_id)
    department = session.get(Department, delivery.department_id) if delivery else None
    if (
        delivery is None
        or department is None
        or delivery.kind != HARVEST_KIND
        or delivery.workspace_id != workspace_id
        or delivery.status != DeliveryStatus.SENT
    ):
        raise NotFoundError(kind="story-harvest prompt", key=delivery_id)
    return department


def record_harvest_story(
    *, session: Session, clock: Clock, delivery_id: int, story: Story, department: Department
) -> None:
    """Credit a story told from a harvest prompt to the department asked. Commits."""
    story.department_id = department.id
    session.add(story)
    found = session.exec(select(HarvestStory).where(HarvestStory.story_id == story.id)).first()
    if found is None:
        session.add(
            HarvestStory(
                delivery_id=delivery_id,
                story_id=story.id or 0,
                department_id=department.id or 0,
                created_at=clock.now(),
            )
        )
    session.commit()


def harvest_rates(
    *, session: Session, workspace_id: int, period: Period
) -> dict[int, tuple[int, int]]:
    """Department -> (harvest prompts sent in ``period``, how many brought a story)."""
    sent = session.exec(
        select(PromptDelivery.department_id, PromptDelivery.id).where(
            PromptDelivery.workspace_id == workspace_id,
            PromptDelivery.kind == HARVEST_KIND,
            PromptDelivery.status == DeliveryStatus.SENT,
            col(PromptDelivery.sent_at) >= period.start,
            col(PromptDelivery.sent_at) < period.end,
        )
    ).all()
    if not sent:
        return {}
    answered = set(
        session.exec(
            select(HarvestStory.delivery_id)
            .where(col(HarvestStory.delivery_id).in_([d for _, d in sent]))
            .group_by(col(HarvestStory.delivery_id))
            .having(func.count() > 0)
        )
    )
    delivered: Counter[int] = Counter()
    responded: Counter[int] = Counter()
    for department_id, delivery_id in sent:
        delivered[department_id or 0] += 1
        responded[department_id or 0] += delivery_id in answered
    return {d: (delivered[d], responded[d]) for d in delivered}
