"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from storage import migrate
from storage.database import sync_url
from storage.tables import metadata


def test_migrations_match_the_models(database_url: str) -> None:
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), metadata)
    finally:
        engine.dispose()
    assert differences == [], "models changed without a migration: add one (see README, Tests and CI)"


def test_the_schema_is_current_after_upgrade(database_url: str) -> None:
    assert migrate.is_current(database_url)
