"""A workspace's installation: removed (inactive at once, data deleted after a grace period
unless it comes back) and installed again.

When the app is uninstalled (Slack ``app_uninstalled``, bot tokens revoked, Teams removing
the app from the last place it was in), the workspace is marked inactive at once: no
prompt is swept for it, no capture is stored, and every request gets a polite refusal. Its
data stays for the grace period, so a mistaken uninstall loses nothing, and is deleted by
the daily purge (or ``sightline workspaces purge``) after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, text
from sqlmodel import Session, col, select

from stories import audit
from stories.clock import Clock
from stories.models import Member, Platform, Story, Workspace, WorkspaceRemoval

DEFAULT_GRACE = timedelta(days=30)


def find_workspace(session: Session, platform: Platform, external_id: str) -> Workspace | None:
    return session.exec(
        select(Workspace).where(
            Workspace.platform == platform, Workspace.external_id == external_id
        )
    ).first()


def mark_removed(
    *,
    session: Session,
    clock: Clock,
    platform: Platform,
    external_id: str,
    reason: str,
    grace: timedelta = DEFAULT_GRACE,
) -> WorkspaceRemoval | None:
    """Mark a workspace inactive now and schedule its data's deletion; None if unknown.

    Removing it again keeps the first removal's dates (Slack sends ``tokens_revoked`` and
    ``app_uninstalled`` together).
    """
    workspace = find_workspace(session, platform, external_id)
    if workspace is None or workspace.id is None:
        return None
    removal = session.get(WorkspaceRemoval, workspace.id)
    if removal is None:
        now = clock.now()
        removal = WorkspaceRemoval(
            workspace_id=workspace.id, reason=reason, removed_at=now, purge_after=now + grace
        )
        session.add(removal)
        audit.record(
            session=session,
            clock=clock,
            workspace_id=workspace.id,
            action="workspace.removed",
            subject_type="workspace",
            subject_id=workspace.id,
            detail={"reason": reason, "purge_after": removal.purge_after.isoformat()},
        )
    workspace.active = False
    session.add(workspace)
    session.commit()
    return removal


def mark_installed(*, session: Session, clock: Clock, platform: Platform, external_id: str) -> bool:
    """The app is installed (again): the workspace is active and nothing is scheduled for
    deletion. Returns whether it had been removed."""
    workspace = find_workspace(session, platform, external_id)
    if workspace is None or workspace.id is None:
        return False
    removal = session.get(WorkspaceRemoval, workspace.id)
    was_removed = removal is not None or not workspace.active
    if removal is not None:
        session.delete(removal)
    if was_removed:
        workspace.active = True
        session.add(workspace)
        audit.record(
            session=session,
            clock=clock,
            workspace_id=workspace.id,
            action="workspace.reinstalled",
            subject_type="workspace",
            subject_id=workspace.id,
        )
        session.commit()
    return was_removed


@dataclass(frozen=True)
class WorkspaceState:
    """One workspace as `sightline workspaces list` shows it."""

    id: int
    platform: str
    external_id: str
    name: str
    active: bool
    stories: int
    members: int
    removed_at: datetime | None
    reason: str | None
    purge_after: datetime | None


def list_states(*, session: Session) -> list[WorkspaceState]:
    stories = _counts(session, col(Story.workspace_id))
    members = _counts(session, col(Member.workspace_id))
    rows = session.exec(
        select(Workspace, WorkspaceRemoval)
        .join(WorkspaceRemoval, isouter=True)
        .order_by(col(Workspace.id))
    )
    return [
        WorkspaceState(
            id=w.id or 0,
            platform=w.platform.value,
            external_id=w.external_id,
            name=w.name,
            active=w.active,
            stories=stories.get(w.id or 0, 0),
            members=members.get(w.id or 0, 0),
            removed_at=r.removed_at if r else None,
            reason=r.reason if r else None,
            purge_after=r.purge_after if r else None,
        )
        for w, r in rows
    ]


def _counts(session: Session, column: Any) -> dict[int, int]:
    return {wid: int(n) for wid, n in session.exec(select(column, func.count()).group_by(column))}


def due_for_purge(*, session: Session, now: datetime) -> list[int]:
    """Ids of removed workspaces whose grace period is over."""
    query = select(WorkspaceRemoval.workspace_id).where(col(WorkspaceRemoval.purge_after) <= now)
    return list(session.exec(query))


def purge_workspace(*, session: Session, workspace_id: int) -> bool:
    """Delete a workspace and everything it holds (every table cascades from it), and the
    Slack installation rows of its team. Returns whether there was one to delete."""
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        return False
    if workspace.platform == Platform.SLACK:
        _delete_slack_installations(session, workspace.external_id)
    session.exec(delete(Workspace).where(col(Workspace.id) == workspace_id))
    session.commit()
    return True


def _delete_slack_installations(session: Session, team_id: str) -> None:
    """slack_sdk's installation tables (migration 0003) have no foreign key to cascade on."""
    team = {"team": team_id}
    session.execute(text("DELETE FROM slack_installations WHERE team_id = :team"), team)
    session.execute(text("DELETE FROM slack_bots WHERE team_id = :team"), team)
