"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, a fixed clock, a UoW factory."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from domain.clock import FixedClock
from storage import migrate
from storage.database import Database, sync_url
from storage.unit_of_work import UnitOfWorkFactory

START = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # a Friday, 3 a.m.: when incidents happen


def postgres_url() -> str:
    """TEST_DATABASE_URL, or skip; under CI=true its absence is a failure, not a skip."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url:
        return url
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true but TEST_DATABASE_URL is unset: the PostgreSQL storage tests must run in CI")
    pytest.skip("PostgreSQL tests need TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)")


def reset_postgres(url: str) -> None:
    """Empty the test database: every test starts from migrations on a blank schema."""
    engine = create_engine(sync_url(url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated database URL, once for SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'circlebot.db'}"
    else:
        url = postgres_url()
        reset_postgres(url)
    migrate.upgrade(url)
    yield url


@pytest.fixture
def postgres_database_url() -> str:
    """A freshly migrated PostgreSQL URL, for behaviour only PostgreSQL has (SKIP LOCKED, advisory locks)."""
    url = postgres_url()
    reset_postgres(url)
    migrate.upgrade(url)
    return url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    yield db
    await db.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def uow_factory(database: Database, clock: FixedClock) -> UnitOfWorkFactory:
    return UnitOfWorkFactory(database, clock)
