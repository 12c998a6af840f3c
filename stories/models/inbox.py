"""The durable inbox: a chat request recorded before it is acknowledged, until it is done."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from stories.models.tables import UTCDateTime, sized


class InboxItem(SQLModel, table=True):
    """One request a platform asked Sightline to act on (its unique ``key``: the event id,
    the interaction's trigger id). The row exists from just before the acknowledgement until
    the work is done; a row left behind (the process died) is replayed by any replica."""

    __table_args__ = (UniqueConstraint("platform", "key", name="uq_inbox_key"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(sa_type=sized(16))
    key: str = Field(sa_type=sized(200))
    body: str  # the raw request body, kept only until it is processed
    headers: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    received_at: datetime = Field(sa_type=UTCDateTime)
    claimed_by: str = Field(sa_type=sized(120))
    claimed_at: datetime = Field(sa_type=UTCDateTime, index=True)
    attempts: int = 1
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
