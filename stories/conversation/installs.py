"""The app removed from, or added back to, a workspace, as a platform reports it."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from stories.conversation.context import CoreEnv
from stories.installs import find_workspace, mark_installed, mark_removed
from stories.models import ChatConversation, Platform


def removed(*, env: CoreEnv, platform: Platform, workspace: str, reason: str) -> bool:
    """Mark the workspace inactive now; its data goes after the grace period. Returns
    whether a known workspace was marked."""
    grace = timedelta(days=env.config.removal_grace_days)
    with env.sessions() as session:
        removal = mark_removed(
            session=session,
            clock=env.clock,
            platform=platform,
            external_id=workspace,
            reason=reason,
            grace=grace,
        )
        return removal is not None


def installed(*, env: CoreEnv, platform: Platform, workspace: str) -> bool:
    """The app is installed (again): active, nothing scheduled for deletion."""
    with env.sessions() as session:
        return mark_installed(
            session=session, clock=env.clock, platform=platform, external_id=workspace
        )


def removed_everywhere(*, env: CoreEnv, platform: Platform, workspace: str) -> bool:
    """Teams removes an app place by place: the tenant is removed with its last place."""
    with env.sessions() as session:
        found = find_workspace(session, platform, workspace)
        if found is None:
            return False
        still = session.exec(
            select(ChatConversation.id).where(
                ChatConversation.workspace_id == found.id,
                col(ChatConversation.active).is_(True),
            )
        ).first()
    if still is not None:
        return False
    return removed(env=env, platform=platform, workspace=workspace, reason="teams_removed")
