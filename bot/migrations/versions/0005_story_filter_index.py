"""Index for filtered story search and listing: workspace, touchpoint, date.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A search filtered by touchpoint and dates intersects this range with the text index
    # instead of walking every story with that touchpoint.
    op.create_index(
        "ix_story_ws_touchpoint_created", "story", ["workspace_id", "touchpoint", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_story_ws_touchpoint_created", table_name="story")
