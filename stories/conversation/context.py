"""Who is asking, and where: the neutral values both chat platforms hand to the core.

A platform turns its payload into a :class:`ChatContext`; the core resolves it into the
stored workspace and member (:class:`Actor`) and decides everything else from there: who may
see what, what to answer, what happens next.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from sqlmodel import Session, select

from stories.clock import Clock
from stories.dashboard.signin import DashboardLinks
from stories.errors import WorkspaceInactiveError
from stories.models import Member, Platform, Workspace
from stories.redaction import Redactor
from stories.visibility import Viewer
from stories.workspaces import ensure_member, ensure_workspace


class Place(StrEnum):
    """Where a request was made, by who can read that place."""

    PERSONAL = "personal"  # a one-to-one chat with the bot (Slack DM, Teams personal chat)
    PRIVATE = "private"  # some people: a private channel, a group chat, anything unconfirmed
    PUBLIC = "public"  # the organisation: a public Slack channel, a Teams team channel


@dataclass(frozen=True, kw_only=True)
class ChatContext:
    """A request as a platform hands it over.

    ``private_reply`` says whether the answer is read by the asker alone: Slack's ephemeral
    replies and direct messages are; a card posted into a Teams channel or group chat is read
    by everyone there, so what it may show is decided for them, not for the asker.
    """

    platform: Platform
    workspace: str  # the platform's own id: Slack team, Teams tenant
    user: str  # the platform's user id (Teams: the Azure AD object id when known)
    workspace_name: str | None = None
    user_name: str | None = None
    place: Place = Place.PRIVATE  # unknown means private: never leaked
    conversation: str | None = None  # where it was asked: channel id, Teams conversation key
    private_reply: bool = True

    @property
    def shares_by_default(self) -> bool:
        """A story told in a public place is already public; anywhere else it stays private."""
        return self.place == Place.PUBLIC


@dataclass(frozen=True)
class Actor:
    """The stored workspace and member behind a request."""

    workspace: Workspace
    member: Member

    @property
    def workspace_id(self) -> int:
        assert self.workspace.id is not None
        return self.workspace.id

    @property
    def member_id(self) -> int:
        assert self.member.id is not None
        return self.member.id


@dataclass(frozen=True, kw_only=True)
class ConversationConfig:
    """What the core needs from settings, read once by the composition root."""

    stories_channels: Mapping[str, str] = field(default_factory=dict)  # platform -> channel
    # The CX leads' channel per platform (workspaces may name their own: ``settings``).
    leads_channels: Mapping[str, str] = field(default_factory=dict)
    cx_leads: frozenset[str] = frozenset()  # user ids, AAD object ids, e-mails/UPNs (casefolded)
    default_timezone: str = "UTC"
    page_size: int = 5
    removal_grace_days: int = 30  # data of an uninstalled workspace is deleted after this


@dataclass(frozen=True)
class CoreEnv:
    """The core's dependencies, built once by the composition root and passed down."""

    sessions: Callable[[], Session]
    clock: Clock
    redactor: Redactor
    config: ConversationConfig = field(default_factory=ConversationConfig)
    # Told each chat capture's outcome (source kind; "stored", "duplicate" or the rejected
    # field), for the metrics; None: nobody listens.
    on_capture: Callable[[str, str], None] | None = None
    dashboard: DashboardLinks | None = None  # None: the web dashboard is not set up


def resolve_actor(session: Session, clock: Clock, ctx: ChatContext) -> Actor:
    """The workspace and member for a request, created on first sight.

    A workspace keeps a name it already knows when the platform sends only a bare id (Slack
    leaves the team's name out of some payloads).

    Raises:
        WorkspaceInactiveError: the app was removed from the workspace (stories/installs.py).
    """
    existing = session.exec(
        select(Workspace).where(
            Workspace.platform == ctx.platform, Workspace.external_id == ctx.workspace
        )
    ).first()
    if existing is not None and not existing.active:
        raise WorkspaceInactiveError()
    if existing is not None and (not ctx.workspace_name or ctx.workspace_name == existing.name):
        workspace = existing
    else:
        workspace = ensure_workspace(
            session=session,
            clock=clock,
            platform=ctx.platform,
            external_id=ctx.workspace,
            name=ctx.workspace_name or (existing.name if existing else ctx.workspace),
        )
    assert workspace.id is not None
    member = ensure_member(
        session=session,
        clock=clock,
        workspace_id=workspace.id,
        platform_user_id=ctx.user,
        display_name=ctx.user_name,
    )
    return Actor(workspace, member)


def viewer_for(ctx: ChatContext, actor: Actor) -> Viewer:
    """Who reads the answer to this request (see :mod:`stories.visibility`)."""
    return Viewer.member(actor.member_id) if ctx.private_reply else Viewer.anyone()
