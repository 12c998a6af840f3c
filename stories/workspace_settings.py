"""Each workspace's own stories channel, leads' channel and CX leads.

Set by CX leads from chat and by admins from the command line; read by capture (where a
shareable story is posted), the scheduler (where the digest and notices go) and the lead
check. A value a workspace has not set falls back to the environment's default, which the
caller passes in.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from stories.clock import Clock
from stories.errors import InvalidFieldError
from stories.models import Member, Platform, Workspace, WorkspaceLead, WorkspaceSettings
from stories.workspaces import ensure_member

MAX_IDENTITY = 200


class Channel(StrEnum):
    """The channels a workspace names (the values are the words people type)."""

    STORIES = "stories-channel"
    LEADS = "leads-channel"


@dataclass(frozen=True)
class Lead:
    identity: str  # casefolded chat user id, or e-mail/UPN
    name: str


def settings_of(*, session: Session, workspace_id: int) -> WorkspaceSettings | None:
    return session.get(WorkspaceSettings, workspace_id)


def channel_of(
    *, session: Session, workspace_id: int, channel: Channel, default: str | None
) -> str | None:
    """The workspace's own channel, else ``default`` (the environment's)."""
    row = settings_of(session=session, workspace_id=workspace_id)
    own = None
    if row is not None:
        own = row.stories_channel if channel == Channel.STORIES else row.leads_channel
    return own or default


def set_channel(
    *, session: Session, clock: Clock, workspace_id: int, channel: Channel, value: str | None
) -> WorkspaceSettings:
    """Name the workspace's channel (``None``: back to the default) and commit."""
    if value is not None and not (0 < len(value) <= 300):
        raise InvalidFieldError(field=channel.value, reason="is not a channel id")
    row = settings_of(session=session, workspace_id=workspace_id)
    if row is None:
        row = WorkspaceSettings(workspace_id=workspace_id, updated_at=clock.now())
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:  # another replica made the row first: change theirs
            row = session.get(WorkspaceSettings, workspace_id, populate_existing=True)
            assert row is not None
    if channel == Channel.STORIES:
        row.stories_channel = value
    else:
        row.leads_channel = value
    row.updated_at = clock.now()
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def identity_of(raw: str) -> str:
    """How a lead is stored and compared: trimmed, casefolded.

    Raises:
        InvalidFieldError: empty or too long.
    """
    identity = raw.strip().casefold()
    if not identity or len(identity) > MAX_IDENTITY or any(c.isspace() for c in identity):
        raise InvalidFieldError(
            field="lead", reason="name a person by chat user id or e-mail address"
        )
    return identity


def lead_identities(*, session: Session, workspace_id: int) -> frozenset[str]:
    query = select(WorkspaceLead.identity).where(WorkspaceLead.workspace_id == workspace_id)
    return frozenset(session.exec(query).all())


def list_leads(*, session: Session, workspace_id: int) -> list[Lead]:
    query = (
        select(WorkspaceLead)
        .where(WorkspaceLead.workspace_id == workspace_id)
        .order_by(col(WorkspaceLead.identity))
    )
    return [Lead(row.identity, row.name) for row in session.exec(query)]


def _member(session: Session, workspace_id: int, identity: str) -> Member | None:
    """The member a lead entry names by user id (ids compare without regard to case)."""
    query = select(Member).where(
        Member.workspace_id == workspace_id, func.lower(Member.platform_user_id) == identity
    )
    return session.exec(query).first()


def add_lead(
    *, session: Session, clock: Clock, workspace_id: int, who: str, name: str = ""
) -> tuple[Lead, bool]:
    """Make someone a CX lead of the workspace; returns the lead and whether it is new.

    ``who`` is a chat user id (kept as written for the member, who is created if new and
    marked as a lead, so they may moderate stories) or an e-mail/UPN. Commits.
    """
    identity = identity_of(who)
    added = False
    existing = session.exec(
        select(WorkspaceLead).where(
            WorkspaceLead.workspace_id == workspace_id, WorkspaceLead.identity == identity
        )
    ).first()
    if existing is None:
        try:
            with session.begin_nested():
                existing = WorkspaceLead(
                    workspace_id=workspace_id,
                    identity=identity,
                    name=name[:200],
                    added_at=clock.now(),
                )
                session.add(existing)
            added = True
        except IntegrityError:  # added at the same moment elsewhere: it is there either way
            existing = None
    member = _member(session, workspace_id, identity)
    if member is None and "@" not in identity:  # a chat user id: the member exists from now
        member = ensure_member(
            session=session,
            clock=clock,
            workspace_id=workspace_id,
            platform_user_id=who.strip(),
            display_name=name or None,
        )
    if member is not None and not member.is_cx_lead:
        member.is_cx_lead = True
        session.add(member)
    session.commit()
    shown = name or (existing.name if existing is not None else "")
    if not shown and member is not None:
        shown = member.display_name
    return Lead(identity, shown), added


def remove_lead(*, session: Session, workspace_id: int, who: str) -> bool:
    """No longer a CX lead of the workspace (nor their member); whether anything changed."""
    identity = identity_of(who)
    rows = session.exec(
        select(WorkspaceLead).where(
            WorkspaceLead.workspace_id == workspace_id, WorkspaceLead.identity == identity
        )
    ).all()
    for row in rows:
        session.delete(row)
    member = _member(session, workspace_id, identity)
    changed = bool(rows)
    if member is not None and member.is_cx_lead:
        member.is_cx_lead = False
        session.add(member)
        changed = True
    session.commit()
    return changed


_UNNAMED = {
    Platform.TEAMS: "your Microsoft 365 organisation",
    Platform.SLACK: "your Slack workspace",
}


def display_name(workspace: Workspace) -> str:
    """What people call the workspace: its name, never a raw platform id (a Teams tenant is
    known by id until Sightline joins a team or an admin names it)."""
    if workspace.name and workspace.name != workspace.external_id:
        return workspace.name
    return _UNNAMED.get(workspace.platform, workspace.name or "Sightline")


def name_if_unnamed(*, session: Session, workspace: Workspace, name: str) -> bool:
    """Give a workspace known only by its id a display name; whether it changed. Commits."""
    name = name.strip()[:200]
    if not name or (workspace.name and workspace.name != workspace.external_id):
        return False
    workspace.name = name
    session.add(workspace)
    session.commit()
    return True


def rename(*, session: Session, workspace: Workspace, name: str) -> Workspace:
    """An admin's name for the workspace (``sightline workspaces settings --name``). Commits."""
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidFieldError(field="name", reason="give a name of 1 to 200 characters")
    workspace.name = name
    session.add(workspace)
    session.commit()
    return workspace
