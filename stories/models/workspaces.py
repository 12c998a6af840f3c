"""What each workspace decides for itself: its channels, its CX leads, and the welcomes sent.

Until a workspace sets its own, the environment's values (``SIGHTLINE_*_STORIES_*``,
``SIGHTLINE_LEADS_*``, ``SIGHTLINE_CX_LEADS``) stand in for it: meant for an installation with
one workspace per platform.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from stories.models.tables import UTCDateTime, sized


class WorkspaceSettings(SQLModel, table=True):
    """A workspace's own channels; a missing row or ``None`` means the environment's default."""

    workspace_id: int = Field(foreign_key="workspace.id", primary_key=True, ondelete="CASCADE")
    stories_channel: str | None = Field(default=None, sa_type=sized(300))
    leads_channel: str | None = Field(default=None, sa_type=sized(300))
    updated_at: datetime = Field(sa_type=UTCDateTime)


class WorkspaceLead(SQLModel, table=True):
    """One CX lead of a workspace, named as the platform knows them: a chat user id (Slack
    user, Teams Azure AD object id) or an e-mail/UPN, kept casefolded."""

    __table_args__ = (UniqueConstraint("workspace_id", "identity", name="uq_workspace_lead"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    identity: str = Field(sa_type=sized(200))
    name: str = Field(default="", sa_type=sized(200))
    added_at: datetime = Field(sa_type=UTCDateTime)


class ChatWelcome(SQLModel, table=True):
    """The welcome said in a conversation when the app was installed there; the row is the
    claim, so one install is welcomed once across replicas and a re-add soon after is not."""

    __table_args__ = (UniqueConstraint("workspace_id", "conversation_id", name="uq_chat_welcome"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    conversation_id: str = Field(sa_type=sized(300))
    sent_at: datetime = Field(sa_type=UTCDateTime)
