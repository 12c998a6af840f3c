"""Customer data rights: removed workspaces, per-workspace data policy, daily data jobs.

See README "Privacy and data". Rows here hold ids, dates and choices, never personal data.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from stories.models.tables import EnumString, UTCDateTime, sized


class ErasedStories(StrEnum):
    """What erasing a member does to the stories they told."""

    DELETE = "delete"  # every story they told goes
    KEEP_SHARED = "keep_shared"  # shared stories stay, told by "a colleague"; private ones go


class WorkspaceRemoval(SQLModel, table=True):
    """A workspace that uninstalled the app: inactive since ``removed_at``, its data deleted
    at ``purge_after`` unless it installs again (which deletes this row)."""

    workspace_id: int = Field(foreign_key="workspace.id", primary_key=True, ondelete="CASCADE")
    reason: str = Field(sa_type=sized(40))  # app_uninstalled | tokens_revoked | teams_removed
    removed_at: datetime = Field(sa_type=UTCDateTime)
    purge_after: datetime = Field(sa_type=UTCDateTime, index=True)


class WorkspaceDataPolicy(SQLModel, table=True):
    """A workspace's own data choices; a missing row means the installation's defaults."""

    workspace_id: int = Field(foreign_key="workspace.id", primary_key=True, ondelete="CASCADE")
    retention_days: int | None = None  # None: SIGHTLINE_RETENTION_DAYS
    erased_stories: ErasedStories = Field(
        default=ErasedStories.KEEP_SHARED, sa_type=EnumString(ErasedStories)
    )
    updated_at: datetime = Field(sa_type=UTCDateTime)


class HousekeepingRun(SQLModel, table=True):
    """One daily data job for one workspace on one UTC day: the row is the claim that makes
    it run once across replicas (its unique constraint), and records what it did."""

    __table_args__ = (UniqueConstraint("job", "workspace_id", "day", name="uq_housekeeping_run"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(sa_type=sized(40))  # retention | purge
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    day: date
    claimed_by: str = Field(sa_type=sized(120))
    claimed_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    removed: int = 0  # rows deleted


class MemberPost(SQLModel, table=True):
    """A post of the bot's that carries a member's own words (an answer in its prompt's
    thread), kept so that erasing the member can delete it from the chat too."""

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    kind: str = Field(default="answer", sa_type=sized(20))
    ref: str = Field(sa_type=sized(400))  # the platform's post reference
    created_at: datetime = Field(sa_type=UTCDateTime)
