"""SQLite writers of one process take turns in arrival order; readers do not wait for them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from storage import migrate
from storage.database import BACKGROUND_SHARE, INTERACTIVE_WRITES, Database, WriteGate


@pytest.fixture
async def sqlite_database(tmp_path: Path) -> AsyncIterator[Database]:
    url = f"sqlite:///{tmp_path / 'gate.db'}"
    migrate.upgrade(url)
    database = Database(url)
    yield database
    await database.dispose()


async def test_writers_get_the_gate_in_the_order_they_asked() -> None:
    gate = WriteGate()
    order: list[str] = []
    assert gate.try_enter("first")

    async def writer(name: str) -> None:
        await gate.enter(name)
        order.append(name)
        gate.leave(name)

    waiting = [asyncio.create_task(writer(name)) for name in ("second", "third", "fourth")]
    await asyncio.sleep(0)
    assert not gate.try_enter("late")  # no barging in ahead of the queue
    gate.leave("first")
    await asyncio.gather(*waiting)

    assert order == ["second", "third", "fourth"]
    assert not gate.held


async def test_a_requests_write_goes_before_queued_background_writes_which_still_get_their_share() -> None:
    gate = WriteGate()
    order: list[str] = []
    assert gate.try_enter("relay batch 0")

    async def writer(name: str, *, interactive: bool) -> None:
        INTERACTIVE_WRITES.set(interactive)  # this task's own context, as a request's middleware does
        await gate.enter(name)
        order.append(name)
        gate.leave(name)

    background = [asyncio.create_task(writer(f"ingest {n}", interactive=False)) for n in range(1, 3)]
    await asyncio.sleep(0)
    requests = [asyncio.create_task(writer(f"turn {n}", interactive=True)) for n in range(1, 7)]
    await asyncio.sleep(0)
    gate.leave("relay batch 0")
    await asyncio.gather(*background, *requests)

    # Turns first; after BACKGROUND_SHARE of them in a row, one waiting background write goes.
    assert order == ["turn 1", "turn 2", "turn 3", "turn 4", "ingest 1", "turn 5", "turn 6", "ingest 2"]
    assert BACKGROUND_SHARE == 4
    assert not gate.held


async def test_a_writer_that_gives_up_waiting_leaves_the_queue() -> None:
    gate = WriteGate()
    gate.try_enter("slow")

    with pytest.raises(TimeoutError):
        await gate.enter("impatient", max_wait=0.01)
    gate.leave("slow")

    assert not gate.held


async def test_commit_and_rollback_release_the_gate(sqlite_database: Database) -> None:
    async with sqlite_database.session() as session:
        await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        assert sqlite_database.write_gate.held
        await session.commit()
    assert not sqlite_database.write_gate.held

    async with sqlite_database.session() as session:
        await session.exec(text("SELECT 1"))
    assert not sqlite_database.write_gate.held  # closed without commit: rolled back


async def test_a_failed_transaction_releases_the_gate(sqlite_database: Database) -> None:
    with pytest.raises(Exception, match="no such table"):
        async with sqlite_database.session() as session:
            await session.exec(text("INSERT INTO no_such_table VALUES (1)"))  # type: ignore[call-overload]

    assert not sqlite_database.write_gate.held


async def test_concurrent_writers_all_commit(sqlite_database: Database) -> None:
    async with sqlite_database.session() as session:
        await session.exec(text("CREATE TABLE tally (n INTEGER)"))  # type: ignore[call-overload]
        await session.commit()

    async def add(n: int) -> None:
        async with sqlite_database.session() as session:
            await session.exec(text("INSERT INTO tally VALUES (:n)").bindparams(n=n))  # type: ignore[call-overload]
            await session.commit()

    await asyncio.gather(*(add(n) for n in range(20)))

    async with sqlite_database.read_session() as session:
        count = (await session.exec(text("SELECT count(*) FROM tally"))).scalar()  # type: ignore[call-overload]
    assert count == 20
    assert not sqlite_database.write_gate.held


async def test_a_reader_does_not_wait_for_a_writer(sqlite_database: Database) -> None:
    async with sqlite_database.session() as writer:
        await writer.exec(text("CREATE TABLE notes (body TEXT)"))  # type: ignore[call-overload]
        await writer.commit()
        await writer.exec(text("INSERT INTO notes VALUES ('draft')"))  # type: ignore[call-overload]
        assert sqlite_database.write_gate.held

        async with sqlite_database.read_session() as reader:
            seen = (await reader.exec(text("SELECT count(*) FROM notes"))).scalar()  # type: ignore[call-overload]

        assert seen == 0  # the writer has not committed yet
        await writer.commit()
