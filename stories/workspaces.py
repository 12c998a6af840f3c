"""Workspaces and members: who and where a story comes from."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from stories.clock import Clock
from stories.errors import AmbiguousWorkspaceError, NotFoundError, NoWorkspaceError
from stories.models import Member, Platform, Workspace

LOCAL_WORKSPACE_ID = "local"
DEMO_WORKSPACE_ID = "demo"


def ensure_workspace(
    *, session: Session, clock: Clock, platform: Platform, external_id: str, name: str
) -> Workspace:
    """Return the workspace, creating it on first sight (safe under concurrent callers).

    Args:
        session: database session.
        clock: source of the creation time.
        platform: slack, teams or local.
        external_id: the platform's own id (Slack team id, Teams tenant id).
        name: display name, refreshed when it changes.
    """
    query = select(Workspace).where(
        Workspace.platform == platform, Workspace.external_id == external_id
    )
    found = session.exec(query).first()
    if found is not None and (not name or found.name == name):
        return found  # nothing to write: no commit, no round trip to refresh
    if found is None:
        try:
            with session.begin_nested():
                found = Workspace(
                    platform=platform, external_id=external_id, name=name, created_at=clock.now()
                )
                session.add(found)
        except IntegrityError:
            found = session.exec(query).one()
    elif name and found.name != name:
        found.name = name
    session.commit()
    session.refresh(found)
    return found


def resolve_workspace(*, session: Session, key: str | None) -> Workspace:
    """Find a workspace by id, external id or name; with no key, the only one there is.

    Raises:
        NotFoundError: nothing matches the key, or there are no workspaces.
        AmbiguousWorkspaceError: no key was given and several workspaces exist.
    """
    if key is None:
        workspaces = list(session.exec(select(Workspace).order_by(col(Workspace.id))))
        if len(workspaces) == 1:
            return workspaces[0]
        if not workspaces:
            raise NoWorkspaceError()
        raise AmbiguousWorkspaceError(choices=[w.external_id for w in workspaces])
    for workspace in session.exec(select(Workspace).order_by(col(Workspace.id))):
        if (
            key in (str(workspace.id), workspace.external_id)
            or key.casefold() == workspace.name.casefold()
        ):
            return workspace
    raise NotFoundError(kind="workspace", key=key)


def ensure_member(
    *,
    session: Session,
    clock: Clock,
    workspace_id: int,
    platform_user_id: str,
    display_name: str | None = None,
) -> Member:
    """Return the member for a platform user, creating it on first sight."""
    query = select(Member).where(
        Member.workspace_id == workspace_id, Member.platform_user_id == platform_user_id
    )
    member = session.exec(query).first()
    if member is not None and (not display_name or member.display_name == display_name):
        return member  # nothing to write: no commit, no round trip to refresh
    if member is None:
        try:
            with session.begin_nested():
                member = Member(
                    workspace_id=workspace_id,
                    platform_user_id=platform_user_id,
                    display_name=display_name or "",
                    created_at=clock.now(),
                )
                session.add(member)
        except IntegrityError:
            member = session.exec(query).one()
    elif display_name and member.display_name != display_name:
        member.display_name = display_name
    session.commit()
    session.refresh(member)
    return member
