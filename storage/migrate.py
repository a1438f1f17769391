"""Alembic, driven from code: `circlebot db upgrade`, start-up and /readyz use these."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.database import sync_url

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", sync_url(database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the schema to `revision`; safe to run on every start."""
    command.upgrade(alembic_config(database_url), revision)


@cache
def _heads() -> frozenset[str]:
    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def head_revisions() -> set[str]:
    """The newest revisions (read from the migration files once per process)."""
    return set(_heads())


async def is_current_in(session: AsyncSession) -> bool:
    """`is_current` on an open async session: /readyz uses it, so it never waits for a worker thread."""
    try:
        result = await session.exec(text("SELECT version_num FROM alembic_version"))  # type: ignore[call-overload]
    except DBAPIError:
        return False  # no alembic_version table yet: nothing migrated
    return {str(row[0]) for row in result.all()} == set(_heads())


def current_revisions(database_url: str) -> set[str]:
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as connection:
            return set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()


def is_current(database_url: str) -> bool:
    """True when the database is at the newest migration."""
    return current_revisions(database_url) == head_revisions()


def downgrade(database_url: str, revision: str) -> None:
    """Step the schema back to `revision` (tests, and rolling back a bad release)."""
    command.downgrade(alembic_config(database_url), revision)


def revision(database_url: str, message: str) -> None:
    """Write a new migration from the difference between the models and `database_url` (kept at head)."""
    upgrade(database_url)
    command.revision(alembic_config(database_url), message=message, autogenerate=True)
