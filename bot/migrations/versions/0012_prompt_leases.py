"""Prompt claims are leases: each scheduler heartbeats, and a claim lives as long as its owner.

`schedulerheartbeat` gains the time of the instance's last heartbeat (`alive_at`) and of its
start (`started_at`): a claim whose owner stopped heartbeating, or restarted since claiming,
is taken over. A heartbeat row can now exist before its instance's first sweep, so
`last_sweep_at` may be empty.

`departmentpromptsettings` holds a department's own prompt settings (the reminder delay,
anonymous answers);
`postallowance` the next free posting slot of each workspace's rate, shared by replicas;
`primarydepartment` a lead's choice of a member's primary department; `harveststory` the
stories told in answer to a customer-facing department's story-harvest prompt.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("schedulerheartbeat") as batch:
        batch.add_column(sa.Column("alive_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
        batch.alter_column(
            "last_sweep_at", existing_type=sa.DateTime(timezone=True), nullable=True
        )
    op.create_table(
        "departmentpromptsettings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "department_id",
            sa.Integer(),
            sa.ForeignKey("department.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column("reminder_after_hours", sa.Float(), nullable=True),
        sa.Column("anonymous_answers", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("anonymous_salt", sa.String(64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "primarydepartment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "member_id",
            sa.Integer(),
            sa.ForeignKey("member.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column(
            "department_id",
            sa.Integer(),
            sa.ForeignKey("department.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "harveststory",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "delivery_id",
            sa.Integer(),
            sa.ForeignKey("promptdelivery.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "story_id",
            sa.Integer(),
            sa.ForeignKey("story.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column(
            "department_id",
            sa.Integer(),
            sa.ForeignKey("department.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_harveststory_delivery_id", "harveststory", ["delivery_id"])
    op.create_index("ix_harveststory_department_id", "harveststory", ["department_id"])
    op.create_table(
        "postallowance",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(160), nullable=False, unique=True),
        sa.Column("next_slot", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("postallowance")
    op.drop_table("harveststory")
    op.drop_table("primarydepartment")
    op.drop_table("departmentpromptsettings")
    op.execute("DELETE FROM schedulerheartbeat WHERE last_sweep_at IS NULL")
    with op.batch_alter_table("schedulerheartbeat") as batch:
        batch.alter_column(
            "last_sweep_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch.drop_column("started_at")
        batch.drop_column("alive_at")
