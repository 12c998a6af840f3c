"""Migrations and models agree, and every migration can be undone and redone."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

import stories.models  # noqa: F401  (registers every table on SQLModel.metadata)
from bot.database import alembic_config, current_revision, head_revision, upgrade

# Tables the migrations own that no SQLModel describes: the search index and slack_sdk's
# installation stores (created from slack_sdk's own table definitions).
NOT_MODELLED = ("story_fts", "slack_", "alembic_version")


def _modelled(obj: Any, name: str | None, type_: str, reflected: bool, _other: Any) -> bool:
    table = obj if type_ == "table" else getattr(obj, "table", None)
    table_name = name if type_ == "table" else getattr(table, "name", "")
    if table_name and table_name.startswith(NOT_MODELLED):
        return False
    # The generated tsvector column and its GIN index exist only in SQL (PostgreSQL).
    return not (name in ("search_vector", "ix_story_search") and reflected)


def test_models_match_the_migrated_schema(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": _modelled, "compare_type": False}
        )
        differences = compare_metadata(context, SQLModel.metadata)
    # Index naming differs between SQLModel's index=True and hand-written migrations;
    # what matters is that every table and column the models use exists.
    structural = [d for d in differences if d[0] in ("add_table", "add_column", "remove_column")]
    assert structural == []


def test_every_migration_downgrades_and_upgrades_again(engine: Engine) -> None:
    from alembic import command

    assert current_revision(engine) == head_revision(engine)
    command.downgrade(alembic_config(engine), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)
    assert {"story", "promptdelivery", "engagement"} <= set(inspect(engine).get_table_names())
