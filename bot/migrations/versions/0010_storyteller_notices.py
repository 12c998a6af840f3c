"""One message per prompt tells a storyteller what another department said about their story.

The row is the claim (one per delivery, so two answers racing on two replicas send one
message) and remembers the message, so later answers update it instead of sending more.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "storytellernotice",
        sa.Column(
            "delivery_id",
            sa.Integer(),
            sa.ForeignKey("promptdelivery.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "workspace_id",
            sa.Integer(),
            sa.ForeignKey("workspace.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("message_ref", sa.String(300), nullable=True),
        sa.Column("answers_shown", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_storytellernotice_workspace_id", "storytellernotice", ["workspace_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_storytellernotice_workspace_id", table_name="storytellernotice")
    op.drop_table("storytellernotice")
