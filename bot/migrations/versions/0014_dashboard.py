"""The dashboard: sign-in links (used once across replicas) and sessions, and the indexes
line-of-sight coverage seeks by (one member's reactions in a period, read from the index).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _owner_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column(
            "workspace_id",
            sa.Integer(),
            sa.ForeignKey("workspace.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "member_id", sa.Integer(), sa.ForeignKey("member.id", ondelete="CASCADE"), nullable=False
        ),
    ]


# Coverage asks, per member of a department that is not customer-facing, whether they reacted
# in a period: each EXISTS is one seek into one of these, whatever the table's size.
REACH_INDEXES = [
    ("ix_engagement_member_reach", "engagement", ["member_id", "kind", "created_at"]),
    ("ix_promptanswer_member_reach", "promptanswer", ["member_id", "created_at", "story_id"]),
]


def upgrade() -> None:
    op.create_table(
        "dashboardlink",
        sa.Column("id", sa.Integer(), primary_key=True),
        *_owner_columns(),
        sa.Column("nonce_digest", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_dashboardlink_workspace_id", "dashboardlink", ["workspace_id"])
    op.create_table(
        "dashboardsession",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_digest", sa.String(64), nullable=False, unique=True),
        *_owner_columns(),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_dashboardsession_workspace_id", "dashboardsession", ["workspace_id"])
    for name, table, columns in REACH_INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(REACH_INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_index("ix_dashboardsession_workspace_id", table_name="dashboardsession")
    op.drop_table("dashboardsession")
    op.drop_index("ix_dashboardlink_workspace_id", table_name="dashboardlink")
    op.drop_table("dashboardlink")
