"""Prompts: "not relevant" feedback, member preferences, scheduler heartbeats, rosters.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "storyfeedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["story_id"], ["story.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["delivery_id"], ["promptdelivery.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("story_id", "department_id", "member_id", name="uq_story_feedback"),
    )
    with op.batch_alter_table("storyfeedback", schema=None) as batch_op:
        batch_op.create_index("ix_storyfeedback_workspace_id", ["workspace_id"], unique=False)
        batch_op.create_index("ix_storyfeedback_story_id", ["story_id"], unique=False)
        batch_op.create_index("ix_storyfeedback_department_id", ["department_id"], unique=False)

    op.create_table(
        "memberpreference",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("author_notifications", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("member_id"),
    )

    op.create_table(
        "schedulerheartbeat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance", sa.String(length=120), nullable=False),
        sa.Column("last_sweep_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instance"),
    )
    op.create_table(
        "departmentmember",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("in_channel", sa.Boolean(), nullable=False),
        sa.Column("override", sa.String(length=16), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("department_id", "member_id", name="uq_department_member"),
    )
    with op.batch_alter_table("departmentmember", schema=None) as batch_op:
        batch_op.create_index("ix_departmentmember_workspace_id", ["workspace_id"], unique=False)
        batch_op.create_index("ix_departmentmember_department_id", ["department_id"], unique=False)
        batch_op.create_index("ix_departmentmember_member_id", ["member_id"], unique=False)

    op.create_table(
        "departmentroster",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("readable", sa.Boolean(), nullable=False),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("department_id"),
    )
    # The sweep looks up a department's recent ledger rows on every pass.
    op.create_index(
        "ix_promptdelivery_department_occurrence",
        "promptdelivery",
        ["department_id", "occurrence_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_promptdelivery_department_occurrence", table_name="promptdelivery")
    op.drop_table("departmentroster")
    with op.batch_alter_table("departmentmember", schema=None) as batch_op:
        batch_op.drop_index("ix_departmentmember_member_id")
        batch_op.drop_index("ix_departmentmember_department_id")
        batch_op.drop_index("ix_departmentmember_workspace_id")
    op.drop_table("departmentmember")
    op.drop_table("schedulerheartbeat")
    op.drop_table("memberpreference")
    with op.batch_alter_table("storyfeedback", schema=None) as batch_op:
        batch_op.drop_index("ix_storyfeedback_department_id")
        batch_op.drop_index("ix_storyfeedback_story_id")
        batch_op.drop_index("ix_storyfeedback_workspace_id")
    op.drop_table("storyfeedback")
