"""Covering indexes for the CX lead summary over large workspaces.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Index = tuple[str, str, list[str]]  # name, table, columns

# Each summary figure reads one date range of one workspace. Every column it needs is in the
# index, so the range is read from the index alone: no visit to the (wide) table rows.
INDEXES: list[Index] = [
    # Stories by source, touchpoint, emotion and department.
    (
        "ix_story_summary",
        "story",
        ["workspace_id", "created_at", "source_kind", "touchpoint", "emotion", "department_id"],
    ),
    # Resonates in a period: silo index and most resonated stories.
    (
        "ix_engagement_summary",
        "engagement",
        ["workspace_id", "kind", "created_at", "department_id", "story_id"],
    ),
    # Answers in a period: silo index and the newest answers that themes read.
    (
        "ix_promptanswer_summary",
        "promptanswer",
        ["workspace_id", "created_at", "department_id", "story_id"],
    ),
    # Prompts delivered in a period. The delivery time is coalesce(sent_at, occurrence_at); with
    # both columns here the range is checked inside the index (an expression index would be
    # tighter, but the table is small and expression indexes cannot be reflected).
    (
        "ix_promptdelivery_summary",
        "promptdelivery",
        ["workspace_id", "kind", "status", "sent_at", "occurrence_at", "department_id"],
    ),
]


# The story's department for each resonate and answer in the silo index: PostgreSQL hashes
# this narrow index instead of reading the wide story rows. SQLite looks stories up by rowid
# whatever other index exists, so there it would only cost writes.
POSTGRES_ONLY: list[Index] = [("ix_story_department", "story", ["id", "department_id"])]


def _indexes() -> list[Index]:
    postgres = op.get_bind().dialect.name == "postgresql"
    return INDEXES + (POSTGRES_ONLY if postgres else [])


def upgrade() -> None:
    for name, table, columns in _indexes():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(_indexes()):
        op.drop_index(name, table_name=table)
