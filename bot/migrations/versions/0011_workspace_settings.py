"""Each workspace's own stories channel, leads' channel and CX leads, and the welcomes said.

With several Slack workspaces or Teams tenants in one database, one environment value per
platform cannot name each workspace's channels and leads; these rows do, and the environment
stays the default. The welcome row is the claim that says hello once per install.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _workspace() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "workspace_id",
        sa.Integer(),
        sa.ForeignKey("workspace.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "workspacesettings",
        sa.Column(
            "workspace_id",
            sa.Integer(),
            sa.ForeignKey("workspace.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("stories_channel", sa.String(300), nullable=True),
        sa.Column("leads_channel", sa.String(300), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "workspacelead",
        sa.Column("id", sa.Integer(), primary_key=True),
        _workspace(),
        sa.Column("identity", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("workspace_id", "identity", name="uq_workspace_lead"),
    )
    op.create_index("ix_workspacelead_workspace_id", "workspacelead", ["workspace_id"])
    op.create_table(
        "chatwelcome",
        sa.Column("id", sa.Integer(), primary_key=True),
        _workspace(),
        sa.Column("conversation_id", sa.String(300), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("workspace_id", "conversation_id", name="uq_chat_welcome"),
    )
    op.create_index("ix_chatwelcome_workspace_id", "chatwelcome", ["workspace_id"])


def downgrade() -> None:
    op.drop_index("ix_chatwelcome_workspace_id", table_name="chatwelcome")
    op.drop_table("chatwelcome")
    op.drop_index("ix_workspacelead_workspace_id", table_name="workspacelead")
    op.drop_table("workspacelead")
    op.drop_table("workspacesettings")
