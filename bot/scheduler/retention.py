"""Daily job: apply each workspace's retention limit (stories/retention.py), once per
workspace and UTC day across replicas (the claim row in ``housekeepingrun``)."""

from __future__ import annotations

import logging

from sqlmodel import Session, col, select

from bot.runtime import Runtime
from stories.models import HousekeepingRun, Workspace
from stories.retention import JOB, claim_day, cutoff_for, purge_expired, retention_days

logger = logging.getLogger(__name__)


async def apply_retention(runtime: Runtime, instance: str) -> int:
    """Purge what is older than each workspace's limit; returns the rows deleted."""
    ids = await runtime.run(
        lambda session: [w for w in session.exec(select(Workspace.id)) if w is not None]
    )
    removed = 0
    for workspace_id in ids:
        removed += await runtime.run(
            lambda session, w=workspace_id: _one(runtime, session, w, instance)  # type: ignore[misc]
        )
    return removed


def _one(runtime: Runtime, session: Session, workspace_id: int, instance: str) -> int:
    days = retention_days(session, workspace_id, runtime.settings.retention_days)
    if days is None:
        return 0
    now = runtime.clock.now()
    run = claim_day(
        session=session,
        clock=runtime.clock,
        job=JOB,
        workspace_id=workspace_id,
        day=now.date(),
        instance=instance,
    )
    if run is None:
        return 0  # another replica (or an earlier run today) did it
    purged = purge_expired(session=session, workspace_id=workspace_id, cutoff=cutoff_for(now, days))
    done = session.exec(select(HousekeepingRun).where(col(HousekeepingRun.id) == run.id)).one()
    done.finished_at, done.removed = runtime.clock.now(), purged.total
    session.add(done)
    session.commit()
    if purged.total:
        logger.info(
            "retention: workspace %d, %d days: %d stories, %d answers, %d engagement deleted",
            workspace_id,
            days,
            purged.stories,
            purged.answers,
            purged.engagement,
        )
    return purged.total
