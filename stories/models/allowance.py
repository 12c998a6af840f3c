"""The chat platforms' posting allowance, shared by every replica through the database."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

from stories.models.tables import sized


class PostAllowance(SQLModel, table=True):
    """The next free posting slot of one allowance (a Slack workspace's message rate).

    Every replica reserves its posts' slots here, one after another, so together they keep
    to the rate without dividing it among themselves by hand.
    """

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_type=sized(160), unique=True)  # e.g. "slack:T0123"
    next_slot: float = 0.0  # seconds since the epoch at which the next post may go
