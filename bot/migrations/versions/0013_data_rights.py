"""Customer data rights: Slack tokens encrypted at rest (wider columns).

A Fernet token is about a third longer than what it encrypts plus 57 bytes, so an
encrypted Slack token no longer fits slack_sdk's VARCHAR(200) columns: the token columns
become VARCHAR(1000) (still strings, as slack_sdk declares them).

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0010"
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


def upgrade() -> None:
    _token_columns(1000)


def downgrade() -> None:
    # Encrypted tokens do not fit in 200 characters: with installations stored, this fails;
    # delete them first (each workspace then installs again).
    _token_columns(200)
