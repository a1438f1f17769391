"""Units of work: writers commit or roll back as one; readers see committed data and never write."""

from __future__ import annotations

import asyncio

import pytest

from domain.clock import FixedClock
from storage.unit_of_work import UnitOfWorkFactory


async def test_a_reader_sees_what_writers_committed_and_cannot_commit(
    uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    async with uow_factory() as uow:
        await uow.timers.schedule("t", "k", clock.now(), {})
        await uow.commit()

    async with uow_factory.reader() as reader:
        assert (await reader.timers.get("k")) is not None
        with pytest.raises(RuntimeError, match="read-only unit of work cannot commit"):
            await reader.commit()


async def test_a_reader_does_not_hold_up_a_writer(uow_factory: UnitOfWorkFactory, clock: FixedClock) -> None:
    async with uow_factory.reader() as reader:
        await reader.timers.get("anything")  # a read transaction is open

        async def write() -> None:
            async with uow_factory() as uow:
                await uow.timers.schedule("t", "k", clock.now(), {})
                await uow.commit()

        await asyncio.wait_for(write(), timeout=10)
