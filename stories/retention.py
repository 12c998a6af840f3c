"""Retention: stories, answers and engagement older than a workspace's limit are deleted.

The limit is ``SIGHTLINE_RETENTION_DAYS`` (none: kept until someone deletes them), or the
workspace's own ``workspacedatapolicy.retention_days``. Deleting goes through the same
database triggers as any delete (migration 0009), so the summary rollups always match the
rows that are left. What stays: departments, members (until erased), the prompt delivery
ledger (who was sent what and when, no text) and audit events (ids and actions).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from stories.clock import Clock
from stories.erasure import forget_on_disk
from stories.models import (
    Engagement,
    ErasedStories,
    HousekeepingRun,
    PromptAnswer,
    Story,
    WorkspaceDataPolicy,
)

BATCH = 1000  # rows per delete, so no transaction holds the database for long
JOB = "retention"


@dataclass(frozen=True)
class Purged:
    stories: int = 0
    answers: int = 0
    engagement: int = 0

    @property
    def total(self) -> int:
        return self.stories + self.answers + self.engagement


def retention_days(session: Session, workspace_id: int, default: int | None) -> int | None:
    """The workspace's own limit, else the installation's (None: keep everything)."""
    policy = session.get(WorkspaceDataPolicy, workspace_id)
    if policy is not None and policy.retention_days is not None:
        return policy.retention_days
    return default


def set_policy(
    *,
    session: Session,
    clock: Clock,
    workspace_id: int,
    retention_days: int | None = None,
    installation_retention: bool = False,
    erased_stories: ErasedStories | None = None,
) -> WorkspaceDataPolicy:
    """The workspace's data choices, changed where given (a new row has the defaults)."""
    policy = session.get(WorkspaceDataPolicy, workspace_id)
    if policy is None:
        policy = WorkspaceDataPolicy(workspace_id=workspace_id, updated_at=clock.now())
    if retention_days is not None or installation_retention:
        policy.retention_days = None if installation_retention else retention_days
    if erased_stories is not None:
        policy.erased_stories = erased_stories
    policy.updated_at = clock.now()
    session.add(policy)
    session.commit()
    session.refresh(policy)
    return policy


def claim_day(
    *, session: Session, clock: Clock, job: str, workspace_id: int, day: date, instance: str
) -> HousekeepingRun | None:
    """Claim one job for one workspace and UTC day; None when a replica already did."""
    run = HousekeepingRun(
        job=job, workspace_id=workspace_id, day=day, claimed_by=instance, claimed_at=clock.now()
    )
    try:
        with session.begin_nested():
            session.add(run)
    except IntegrityError:
        session.rollback()
        return None
    session.commit()
    return run


def purge_expired(*, session: Session, workspace_id: int, cutoff: datetime) -> Purged:
    """Delete the workspace's stories, answers and engagement created before ``cutoff``."""
    answers = _in_batches(session, PromptAnswer, workspace_id, cutoff)
    engagement = _in_batches(session, Engagement, workspace_id, cutoff)
    stories = _in_batches(session, Story, workspace_id, cutoff)
    purged = Purged(stories=stories, answers=answers, engagement=engagement)
    if purged.total:
        forget_on_disk(session)
    return purged


def cutoff_for(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


def _in_batches(session: Session, model: type, workspace_id: int, cutoff: datetime) -> int:
    ident = col(model.id)  # type: ignore[attr-defined]
    where = (
        col(model.workspace_id) == workspace_id,  # type: ignore[attr-defined]
        col(model.created_at) < cutoff,  # type: ignore[attr-defined]
    )
    removed = 0
    while True:
        ids = list(session.exec(select(ident).where(*where).limit(BATCH)))
        if not ids:
            return removed
        session.execute(delete(model).where(ident.in_(ids)))
        session.commit()
        removed += len(ids)
