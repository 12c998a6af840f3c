"""Alembic environment: runs against the engine Sightline hands over."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlmodel import SQLModel

import stories.models  # noqa: F401  (registers the tables on SQLModel.metadata)

# Search structures are made by hand in migration 0002; autogenerate must leave them be.
_SEARCH_OBJECTS = {"story_fts", "search_vector", "ix_story_search", "ix_story_workspace_created"}


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    return not (name in _SEARCH_OBJECTS or (name or "").startswith("story_fts"))


engine = context.config.attributes["engine"]
with engine.begin() as connection:
    if connection.dialect.name == "postgresql":
        # A migration may rewrite large tables: the server's statement timeout is not for it.
        connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()
