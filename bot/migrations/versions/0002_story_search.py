"""Full-text search over stories: FTS5 on SQLite, tsvector with GIN on PostgreSQL.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_UP = [
    # External-content table: the text lives once, in story; triggers keep the index in step.
    """CREATE VIRTUAL TABLE story_fts USING fts5(
        text, customer_label, touchpoint,
        content='story', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER story_fts_insert AFTER INSERT ON story BEGIN
        INSERT INTO story_fts(rowid, text, customer_label, touchpoint)
        VALUES (new.id, new.text, new.customer_label, replace(new.touchpoint, '-', ' '));
    END""",
    """CREATE TRIGGER story_fts_delete AFTER DELETE ON story BEGIN
        INSERT INTO story_fts(story_fts, rowid, text, customer_label, touchpoint)
        VALUES ('delete', old.id, old.text, old.customer_label, replace(old.touchpoint, '-', ' '));
    END""",
    """CREATE TRIGGER story_fts_update AFTER UPDATE OF text, customer_label, touchpoint ON story
    BEGIN
        INSERT INTO story_fts(story_fts, rowid, text, customer_label, touchpoint)
        VALUES ('delete', old.id, old.text, old.customer_label, replace(old.touchpoint, '-', ' '));
        INSERT INTO story_fts(rowid, text, customer_label, touchpoint)
        VALUES (new.id, new.text, new.customer_label, replace(new.touchpoint, '-', ' '));
    END""",
    "CREATE INDEX ix_story_workspace_created ON story (workspace_id, created_at)",
]
SQLITE_DOWN = [
    "DROP INDEX ix_story_workspace_created",
    "DROP TRIGGER story_fts_update",
    "DROP TRIGGER story_fts_delete",
    "DROP TRIGGER story_fts_insert",
    "DROP TABLE story_fts",
]
POSTGRES_UP = [
    # The story text weighs most; label and touchpoint help a little.
    """ALTER TABLE story ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', text), 'A')
        || setweight(to_tsvector('english',
               coalesce(customer_label, '') || ' ' || coalesce(touchpoint, '')), 'B')
    ) STORED""",
    "CREATE INDEX ix_story_search ON story USING GIN (search_vector)",
    "CREATE INDEX ix_story_workspace_created ON story (workspace_id, created_at)",
]
POSTGRES_DOWN = [
    "DROP INDEX ix_story_workspace_created",
    "DROP INDEX ix_story_search",
    "ALTER TABLE story DROP COLUMN search_vector",
]


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _run(SQLITE_UP)
    else:
        _run(POSTGRES_UP)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _run(SQLITE_DOWN)
    else:
        _run(POSTGRES_DOWN)
