"""The dashboard's sign-in: one-time links and the sessions they start.

Both are rows so that every replica agrees: a link is used once wherever it is opened, and
signing out ends a session everywhere. Only digests of the secrets are stored.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from stories.models.tables import UTCDateTime, sized


class DashboardLink(SQLModel, table=True):
    """A one-time sign-in link for a CX lead (the token carries its id and a nonce)."""

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE")
    nonce_digest: str = Field(sa_type=sized(64))
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DashboardSession(SQLModel, table=True):
    """A signed-in lead: the cookie holds a random token, the row its SHA-256 digest."""

    id: int | None = Field(default=None, primary_key=True)
    token_digest: str = Field(sa_type=sized(64), unique=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE")
    csrf_token: str = Field(sa_type=sized(64))
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
