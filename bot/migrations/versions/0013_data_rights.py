"""Customer data rights: tokens encrypted at rest, removed workspaces, data policy, daily jobs.

A Fernet token is about a third longer than what it encrypts plus 57 bytes, so an
encrypted Slack token no longer fits slack_sdk's VARCHAR(200) columns: the token columns
become VARCHAR(1000) (still strings, as slack_sdk declares them).

``workspaceremoval`` marks a workspace that uninstalled the app and when its data goes;
``workspacedatapolicy`` holds a workspace's own retention and erasure choices;
``housekeepingrun`` is the claim that runs each daily data job once per workspace and day;
``memberpost`` remembers the bot's posts that carry a member's words, for erasure;
``inboxitem`` records a Slack request before it is acknowledged, until its work is done.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKEN_COLUMNS = {
    "slack_installations": ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token"),
    "slack_bots": ("bot_token", "bot_refresh_token"),
}


def _token_columns(length: int) -> None:
    for table, columns in TOKEN_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, type_=sa.String(length), existing_nullable=True)


def _workspace_key() -> sa.Column[int]:
    return sa.Column(
        "workspace_id",
        sa.Integer(),
        sa.ForeignKey("workspace.id", ondelete="CASCADE"),
        primary_key=True,
    )


def upgrade() -> None:
    _token_columns(1000)
    op.create_table(
        "workspaceremoval",
        _workspace_key(),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purge_after", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_workspaceremoval_purge_after", "workspaceremoval", ["purge_after"])
    op.create_table(
        "workspacedatapolicy",
        _workspace_key(),
        sa.Column("retention_days", sa.Integer()),
        sa.Column("erased_stories", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "housekeepingrun",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("job", sa.String(40), nullable=False),
        sa.Column(
            "workspace_id",
            sa.Integer(),
            sa.ForeignKey("workspace.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("claimed_by", sa.String(120), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.UniqueConstraint("job", "workspace_id", "day", name="uq_housekeeping_run"),
    )
    op.create_index("ix_housekeepingrun_workspace_id", "housekeepingrun", ["workspace_id"])
    op.create_table(
        "memberpost",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "workspace_id",
            sa.Integer(),
            sa.ForeignKey("workspace.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "member_id", sa.Integer(), sa.ForeignKey("member.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("ref", sa.String(400), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_memberpost_workspace_id", "memberpost", ["workspace_id"])
    op.create_index("ix_memberpost_member_id", "memberpost", ["member_id"])
    op.create_table(
        "inboxitem",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(120), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("platform", "key", name="uq_inbox_key"),
    )
    op.create_index("ix_inboxitem_claimed_at", "inboxitem", ["claimed_at"])


def downgrade() -> None:
    op.drop_table("inboxitem")
    op.drop_table("memberpost")
    op.drop_table("housekeepingrun")
    op.drop_table("workspacedatapolicy")
    op.drop_table("workspaceremoval")
    # Encrypted tokens do not fit in 200 characters: with installations stored, this fails;
    # delete them first (each workspace then installs again).
    _token_columns(200)
