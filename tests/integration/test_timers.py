"""Durable timers: each fires once, with its work, across restarts and replicas."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from adapters.timer_tick import TimerTick
from domain.clock import FixedClock
from storage import timers
from storage.database import Database
from storage.outbox import OutboxRow
from storage.timers import DueTimer, TimerRow
from storage.unit_of_work import SqlUnitOfWork, UnitOfWorkFactory


async def escalate(timer: DueTimer, uow: SqlUnitOfWork) -> None:
    """A handler shaped like the real ones: its effect is an outbox row in the timer's transaction."""
    uow.outbox.add("teams.send", {"to": timer.payload["to"]}, idempotency_key=f"escalation:{timer.key}")


async def timer_rows(database: Database) -> list[TimerRow]:
    async with database.session() as session:
        return list((await session.exec(select(TimerRow).order_by(TimerRow.id))).all())  # type: ignore[arg-type]


async def outbox_rows(database: Database) -> list[OutboxRow]:
    async with database.session() as session:
        return list((await session.exec(select(OutboxRow))).all())


async def test_timer_fires_once_when_due_and_its_effect_commits_with_it(
    database: Database, uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    async with uow_factory() as uow:
        await uow.timers.schedule("escalate", "esc:INC-1:1", clock.now() + timedelta(minutes=5), {"to": "bob"})
        await uow.commit()
    tick = TimerTick(uow_factory, {"escalate": escalate}, clock)

    assert await tick.tick() == 0
    clock.advance(timedelta(minutes=5))
    assert await tick.tick() == 1
    assert await tick.tick() == 0

    [timer] = await timer_rows(database)
    assert (timer.status, timer.fired_at) == ("fired", clock.now())
    assert [row.payload for row in await outbox_rows(database)] == [{"to": "bob"}]


async def test_cancelled_timer_never_fires_and_a_fired_one_cannot_be_rearmed(
    uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    fired: list[str] = []

    async def record(timer: DueTimer, _uow: SqlUnitOfWork) -> None:
        fired.append(timer.key)

    async with uow_factory() as uow:
        await uow.timers.schedule("t", "acked", clock.now(), {})
        await uow.timers.schedule("t", "due", clock.now(), {})
        assert await uow.timers.cancel("acked")
        await uow.commit()
    tick = TimerTick(uow_factory, {"t": record}, clock)
    await tick.tick()
    async with uow_factory() as uow:
        assert not await uow.timers.schedule("t", "due", clock.now(), {})
        await uow.commit()
    await tick.tick()

    assert fired == ["due"]


async def test_rescheduling_a_pending_timer_moves_it(uow_factory: UnitOfWorkFactory, clock: FixedClock) -> None:
    fired: list[str] = []

    async def record(timer: DueTimer, _uow: SqlUnitOfWork) -> None:
        fired.append(timer.payload["v"])

    async with uow_factory() as uow:
        await uow.timers.schedule("t", "k", clock.now() + timedelta(minutes=1), {"v": "old"})
        await uow.commit()
    async with uow_factory() as uow:
        await uow.timers.schedule("t", "k", clock.now() + timedelta(minutes=10), {"v": "new"})
        await uow.commit()
    tick = TimerTick(uow_factory, {"t": record}, clock)
    clock.advance(timedelta(minutes=5))
    await tick.tick()
    clock.advance(timedelta(minutes=5))
    await tick.tick()
    assert fired == ["new"]


async def test_a_failing_handler_rolls_back_its_effect_and_the_timer_fires_again_later(
    database: Database, uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    calls = 0

    async def fails_once(timer: DueTimer, uow: SqlUnitOfWork) -> None:
        nonlocal calls
        calls += 1
        uow.outbox.add("teams.send", {}, idempotency_key=f"x:{calls}")
        await uow.outbox.flush()
        if calls == 1:
            raise RuntimeError("teams lookup failed")

    async with uow_factory() as uow:
        await uow.timers.schedule("t", "k", clock.now(), {})
        await uow.commit()
    tick = TimerTick(uow_factory, {"t": fails_once}, clock)

    assert await tick.tick() == 0
    [timer] = await timer_rows(database)
    assert (timer.status, timer.attempts) == ("pending", 1)
    assert "teams lookup failed" in (timer.last_error or "")
    assert await outbox_rows(database) == []

    clock.advance(timedelta(minutes=1))
    assert await tick.tick() == 1
    assert [row.idempotency_key for row in await outbox_rows(database)] == ["x:2"]


async def test_timer_armed_before_a_restart_fires_after_it(database_url: str, clock: FixedClock) -> None:
    before = Database(database_url)
    async with UnitOfWorkFactory(before, clock)() as uow:
        await uow.timers.schedule("escalate", "esc:INC-1:2", clock.now() + timedelta(minutes=10), {"to": "tl"})
        await uow.commit()
    await before.dispose()  # the process goes away

    after = Database(database_url)
    try:
        clock.advance(timedelta(minutes=11))
        tick = TimerTick(UnitOfWorkFactory(after, clock), {"escalate": escalate}, clock)
        assert await tick.tick() == 1
        assert [row.payload for row in await outbox_rows(after)] == [{"to": "tl"}]
    finally:
        await after.dispose()


@pytest.mark.postgres
async def test_two_replicas_ticking_together_fire_each_timer_exactly_once(
    postgres_database_url: str, clock: FixedClock
) -> None:
    fired: list[str] = []

    async def record(timer: DueTimer, _uow: SqlUnitOfWork) -> None:
        await asyncio.sleep(0.002)
        fired.append(timer.key)

    databases = [Database(postgres_database_url), Database(postgres_database_url)]
    try:
        async with UnitOfWorkFactory(databases[0], clock)() as uow:
            for n in range(60):
                await uow.timers.schedule("t", f"k{n}", clock.now(), {})
            await uow.commit()
        ticks = [TimerTick(UnitOfWorkFactory(db, clock), {"t": record}, clock) for db in databases]
        counts = await asyncio.gather(*(tick.tick() for tick in ticks))
    finally:
        for db in databases:
            await db.dispose()

    assert sorted(fired) == sorted(f"k{n}" for n in range(60))
    assert sum(counts) == 60


async def test_a_failing_handler_in_a_batch_rolls_back_only_itself_and_is_retried(
    database: Database, uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    """Five stand-up prompts due the same minute, fired in one batch: the third one's Teams lookup
    fails. Its half-done work is undone and it fires again later; the other four are not held back."""
    broken = {"k2"}

    async def prompt(timer: DueTimer, uow: SqlUnitOfWork) -> None:
        uow.outbox.add("teams.send", {"to": timer.key}, idempotency_key=f"prompt:{timer.key}")
        await uow.outbox.flush()  # already written in the transaction when the handler fails
        if timer.key in broken:
            uow.outbox.add("teams.send", {"to": "never"}, idempotency_key=f"unflushed:{timer.key}")
            raise RuntimeError("teams lookup failed")

    async with uow_factory() as uow:
        for n in range(5):
            await uow.timers.schedule("prompt", f"k{n}", clock.now(), {})
        await uow.commit()
    tick = TimerTick(uow_factory, {"prompt": prompt}, clock, batch_size=5)

    assert await tick.tick() == 4
    rows = {timer.key: timer for timer in await timer_rows(database)}
    assert {key: row.status for key, row in rows.items()} == {
        "k0": "fired", "k1": "fired", "k2": "pending", "k3": "fired", "k4": "fired"
    }  # fmt: skip
    assert rows["k2"].attempts == 1 and "teams lookup failed" in (rows["k2"].last_error or "")
    assert sorted(row.idempotency_key for row in await outbox_rows(database)) == [
        "prompt:k0", "prompt:k1", "prompt:k3", "prompt:k4"
    ]  # fmt: skip

    broken.clear()
    assert await tick.tick() == 0  # not before its retry delay
    clock.advance(timedelta(minutes=1))
    assert await tick.tick() == 1
    assert (await timer_rows(database))[2].status == "fired"
    assert sorted(row.idempotency_key for row in await outbox_rows(database)) == [
        "prompt:k0", "prompt:k1", "prompt:k2", "prompt:k3", "prompt:k4"
    ]  # fmt: skip


async def test_a_batch_of_slow_timers_is_committed_in_parts_and_all_of_them_fire_in_the_tick(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each prompt timer of a stand-up morning asks twenty people: a batch stops after
    `batch_seconds` and commits, so SQLite's one writer goes to the relay between batches."""

    async def prompt(timer: DueTimer, uow: SqlUnitOfWork) -> None:
        await asyncio.sleep(0.06)  # building twenty cards
        uow.outbox.add("teams.send", {"to": timer.key}, idempotency_key=f"prompt:{timer.key}")

    batches: list[int] = []
    mark_all_fired = timers.mark_all_fired

    async def spy(session: Any, timer_ids: list[int], *, now: Any) -> None:
        batches.append(len(timer_ids))
        await mark_all_fired(session, timer_ids, now=now)

    monkeypatch.setattr(timers, "mark_all_fired", spy)
    async with uow_factory() as uow:
        for n in range(5):
            await uow.timers.schedule("prompt", f"k{n}", clock.now(), {})
        await uow.commit()

    assert await TimerTick(uow_factory, {"prompt": prompt}, clock, batch_size=5, batch_seconds=0.1).tick() == 5
    assert sum(batches) == 5 and max(batches) <= 2  # a slow handler only makes the batches smaller
