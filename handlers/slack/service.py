"""Synchronous database work behind the Slack listeners (run via ``Runtime.run``).

Kept apart from the listeners so they stay thin and async-only; everything here takes a
``Session`` and returns plain view models the renderers draw.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from handlers.slack.renderers import DepartmentRow, HomeModel, StoryCard
from stories.capture import list_stories
from stories.clock import Clock
from stories.engagement import resonance
from stories.models import (
    Department,
    Member,
    Platform,
    PromptAnswer,
    PromptDelivery,
    PromptTemplate,
    Story,
    Workspace,
)
from stories.records import story_records
from stories.workspaces import ensure_member, ensure_workspace


@dataclass(frozen=True)
class Who:
    """The Slack workspace and member a request comes from."""

    workspace: Workspace
    member: Member

    @property
    def workspace_id(self) -> int:
        assert self.workspace.id is not None
        return self.workspace.id


def workspace_for_team(
    session: Session, clock: Clock, *, team_id: str, name: str | None = None
) -> Workspace:
    """The Slack workspace for a team id; a known name is never replaced by a bare id."""
    existing = session.exec(
        select(Workspace).where(
            Workspace.platform == Platform.SLACK, Workspace.external_id == team_id
        )
    ).first()
    if existing is not None and (not name or name == existing.name):
        return existing
    return ensure_workspace(
        session=session,
        clock=clock,
        platform=Platform.SLACK,
        external_id=team_id,
        name=name or existing.name if existing else name or team_id,
    )


def who(
    session: Session, clock: Clock, *, team_id: str, user_id: str, team_name: str | None = None
) -> Who:
    workspace = workspace_for_team(session, clock, team_id=team_id, name=team_name)
    assert workspace.id is not None
    member = ensure_member(
        session=session, clock=clock, workspace_id=workspace.id, platform_user_id=user_id
    )
    return Who(workspace, member)


def member_for(session: Session, clock: Clock, *, workspace_id: int, user_id: str) -> Member:
    return ensure_member(
        session=session, clock=clock, workspace_id=workspace_id, platform_user_id=user_id
    )


def cards(session: Session, stories: Sequence[Story]) -> list[StoryCard]:
    """View models for stories, with author ids, department names and resonates counts."""
    records = story_records(session=session, stories=stories)
    return [
        StoryCard(
            id=record["id"],
            text=record["text"],
            customer_label=record["customer_label"],
            touchpoint=record["touchpoint"],
            emotion=record["emotion"],
            permalink=record["permalink"],
            author_user_id=record["author_id"],
            department=record["department"],
            redaction_count=record["redaction_count"],
            created_at=story.created_at,
            resonates=record["resonates"],
        )
        for story, record in zip(stories, records, strict=True)
    ]


def card(session: Session, story: Story) -> StoryCard:
    return cards(session, [story])[0]


def card_with_tally(session: Session, story: Story) -> StoryCard:
    """A story's card with its "This resonates" count and per-department tally."""
    base = card(session, story)
    counted = resonance(session=session, story_id=story.id or 0)
    return StoryCard(
        **{
            **base.__dict__,
            "resonates": counted.total,
            "resonating_departments": counted.by_department,
        }
    )


def set_post_ref(session: Session, *, story_id: int, ref: str) -> None:
    story = session.get(Story, story_id)
    if story is not None:
        story.channel_post_ref = ref
        session.add(story)
        session.commit()


def random_card(session: Session, *, workspace_id: int, rng: random.Random) -> StoryCard | None:
    """One shareable story at random (private-channel stories stay with their author)."""
    query = select(Story.id).where(Story.workspace_id == workspace_id, col(Story.shared))
    ids = list(session.exec(query))
    if not ids:
        return None
    story = session.get(Story, rng.choice(ids))
    return card(session, story) if story else None


def home_model(session: Session, *, workspace_id: int, member: Member) -> HomeModel:
    own = list_stories(
        session=session, workspace_id=workspace_id, author_member_id=member.id, limit=10
    )
    latest = [
        s
        for s in list_stories(session=session, workspace_id=workspace_id, limit=30)
        if s.shared or s.author_member_id == member.id
    ][:10]
    department = session.get(Department, member.department_id) if member.department_id else None
    prompts: list[tuple[str, list[str]]] = []
    if department is not None:
        deliveries = session.exec(
            select(PromptDelivery, PromptTemplate)
            .join(PromptTemplate, col(PromptTemplate.id) == col(PromptDelivery.template_id))
            .where(PromptDelivery.department_id == department.id)
            .order_by(col(PromptDelivery.occurrence_at).desc())
            .limit(5)
        ).all()
        for delivery, template in deliveries:
            answers = session.exec(
                select(PromptAnswer.text)
                .where(PromptAnswer.delivery_id == delivery.id)
                .order_by(col(PromptAnswer.created_at))
                .limit(5)
            ).all()
            prompts.append((template.text, list(answers)))
    return HomeModel(
        own=cards(session, own),
        latest=cards(session, latest),
        department=department.name if department else None,
        prompts=prompts,
    )


def department_row(department: Department) -> DepartmentRow:
    every = (
        "every week" if department.cadence_weeks == 1 else f"every {department.cadence_weeks} weeks"
    )
    schedule = f"{department.prompt_days} {department.prompt_time} {department.timezone}, {every}"
    return DepartmentRow(
        name=department.name,
        customer_facing=department.customer_facing,
        channel_id=department.slack_channel_id,
        schedule=schedule,
        paused=department.paused,
    )
