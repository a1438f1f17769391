"""Alembic, driven from code: `circlebot db upgrade`, start-up and /readyz use these.

Alembic itself (~0.15 s to import, more to load its environment, the models and every migration)
is imported only when a migration runs: start-up and /readyz on a current database just compare
the revision stored in `alembic_version` with the heads read from the migration files (issue #17).
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DBAPIError
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.database import sync_url

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
# Alembic's default version table (storage/migrations/env.py does not rename it).
VERSION_TABLE = "alembic_version"


def alembic_config(database_url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", sync_url(database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the schema to `revision`; safe to run on every start."""
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


def upgrade_if_behind(database_url: str) -> bool:
    """`upgrade` unless the database is already at the newest migration; True when it ran.

    Start-up on a current database (every restart but the first after a release) reads one row
    instead of loading Alembic's environment, the models and every migration (~0.5 s, issue #17).
    Two replicas finding it behind at once both call `upgrade`, which serialises them (env.py).
    """
    if is_current(database_url):
        return False
    upgrade(database_url)
    return True


@cache
def _heads() -> frozenset[str]:
    """The revisions no other migration revises, read from the files (what Alembic calls the heads)."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        assignments = _module_assignments(path)
        revision = assignments.get("revision")
        if not isinstance(revision, str):
            continue
        revisions.add(revision)
        parents = assignments.get("down_revision")
        revised.update([parents] if isinstance(parents, str) else list(parents or ()))  # type: ignore[call-overload]
    return frozenset(revisions - revised)


def _module_assignments(path: Path) -> dict[str, object]:
    """Top-level `name = <literal>` and `name: type = <literal>` of a migration file, without running it."""
    values: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8"), str(path)).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            target, value = node.target.id, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            target, value = node.targets[0].id, node.value
        else:
            continue
        try:
            values[target] = ast.literal_eval(value)
        except ValueError:
            continue
    return values


def head_revisions() -> set[str]:
    """The newest revisions (read from the migration files once per process)."""
    return set(_heads())


async def is_current_in(session: AsyncSession) -> bool:
    """`is_current` on an open async session: /readyz uses it, so it never waits for a worker thread."""
    try:
        result = await session.exec(text(f"SELECT version_num FROM {VERSION_TABLE}"))  # type: ignore[call-overload]
    except DBAPIError:
        return False  # no alembic_version table yet: nothing migrated
    return {str(row[0]) for row in result.all()} == set(_heads())


def current_revisions(database_url: str) -> set[str]:
    """The revisions stored in the database; empty before the first migration."""
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table(VERSION_TABLE):
                return set()
            return {str(row[0]) for row in connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))}
    finally:
        engine.dispose()


def is_current(database_url: str) -> bool:
    """True when the database is at the newest migration."""
    return current_revisions(database_url) == head_revisions()


def downgrade(database_url: str, revision: str) -> None:
    """Step the schema back to `revision` (tests, and rolling back a bad release)."""
    from alembic import command

    command.downgrade(alembic_config(database_url), revision)


def revision(database_url: str, message: str) -> None:
    """Write a new migration from the difference between the models and `database_url` (kept at head)."""
    from alembic import command

    upgrade(database_url)
    command.revision(alembic_config(database_url), message=message, autogenerate=True)
