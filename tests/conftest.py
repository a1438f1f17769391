"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, a fixed clock, a UoW factory."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url

from adapters.circles_file import load_circles
from domain.circle import Circle
from domain.clock import FixedClock
from storage import migrate
from storage.database import Database, sync_url
from storage.unit_of_work import UnitOfWorkFactory
from tests.support.fake_connector import FakeConnector

EXAMPLE_CIRCLES = Path(__file__).resolve().parents[1] / "circles.example.yaml"
START = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # a Friday, 3 a.m.: when incidents happen


_session_database: dict[str, str] = {}


def postgres_url() -> str:
    """This test session's own PostgreSQL database, created on the TEST_DATABASE_URL server.

    A database per session lets two suites (two developers, two helpers) share one server.
    Without TEST_DATABASE_URL the test is skipped; under CI=true that is a failure instead.
    """
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but TEST_DATABASE_URL is unset: the PostgreSQL storage tests must run in CI")
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    if url not in _session_database:
        name = f"circlebot_test_{os.getpid()}"
        with _server(url) as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        _session_database[url] = make_url(sync_url(url)).set(database=name).render_as_string(hide_password=False)
    return _session_database[url]


@contextmanager
def _server(url: str) -> Iterator[Connection]:
    engine = create_engine(sync_url(url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for server_url, database_url in _session_database.items():
        with _server(server_url) as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(database_url).database}" WITH (FORCE)'))


def reset_postgres(url: str) -> None:
    """Empty the test database: every test starts from migrations on a blank schema."""
    with _server(url) as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


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


@pytest.fixture
async def circle(uow_factory: UnitOfWorkFactory, clock: FixedClock) -> Circle:
    """The example circle (circles.example.yaml), applied to the test database."""
    config = load_circles(EXAMPLE_CIRCLES)
    async with uow_factory() as uow:
        await uow.circles.apply(config, clock.now())
        await uow.commit()
    return config.circles[0]


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    """A local Bot Connector recording what the bot sends (use its service_url in activities)."""
    async with FakeConnector() as fake:
        yield fake
