"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from pathlib import Path

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


def test_the_heads_read_from_the_files_are_alembics_heads() -> None:
    # Start-up and /readyz read the heads without importing Alembic; they must agree with it.
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_heads()
    assert migrate.head_revisions() == set(heads)


def test_start_up_migrates_a_new_database_and_leaves_a_current_one_alone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert migrate.current_revisions(url) == set()
    assert migrate.upgrade_if_behind(url) is True
    assert migrate.is_current(url)
    assert migrate.upgrade_if_behind(url) is False


def test_two_replicas_starting_together_on_an_empty_database_both_come_up() -> None:
    """Finding 8: two replicas ran `CREATE TABLE alembic_version` at once and one crashed.

    Migrations take a PostgreSQL advisory lock, so the second waits for the first and then finds
    the schema current. Two processes, started together, several times over.
    """
    import multiprocessing

    from tests.conftest import postgres_url, reset_postgres

    url = postgres_url()
    context = multiprocessing.get_context("spawn")
    for _trial in range(3):
        reset_postgres(url)
        start = context.Event()
        replicas = [context.Process(target=_replica_start, args=(url, start)) for _ in range(2)]
        for replica in replicas:
            replica.start()
        start.set()
        for replica in replicas:
            replica.join(timeout=120)
        assert [replica.exitcode for replica in replicas] == [0, 0]
        assert migrate.is_current(url)


def _replica_start(url: str, start: object) -> None:
    start.wait()  # type: ignore[attr-defined]
    migrate.upgrade(url)
