"""Daily job: delete the data of workspaces removed longer ago than their grace period.

Deleting is idempotent (a workspace already gone is skipped), so replicas running it at the
same time delete each workspace once between them.
"""

from __future__ import annotations

import logging

from sqlmodel import Session

from bot.runtime import Runtime
from stories.installs import due_for_purge, purge_workspace

logger = logging.getLogger(__name__)


async def purge_removed(runtime: Runtime) -> int:
    """Purge every removed workspace past its grace period; returns how many went."""

    def work(session: Session) -> list[int]:
        due = due_for_purge(session=session, now=runtime.clock.now())
        return [wid for wid in due if purge_workspace(session=session, workspace_id=wid)]

    purged = await runtime.run(work)
    for workspace_id in purged:
        logger.info(
            "workspace %d was removed and its grace period is over: data deleted", workspace_id
        )
    return len(purged)
