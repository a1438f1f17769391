"""The shared schedule planner: runs armed once, missed runs caught up within their grace, the rest reported once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from adapters.circles_file import load_circles
from adapters.schedule_planner import SchedulePlanner
from adapters.timer_tick import TimerTick
from domain.circle import Circle
from domain.clock import FixedClock
from storage.database import Database
from storage.outbox import OutboxRow
from storage.timers import DueTimer, TimerRow
from storage.unit_of_work import SqlUnitOfWork, UnitOfWorkFactory
from tests.conftest import EXAMPLE_CIRCLES
from tests.support.recurring import MORNING_CHECK, MorningCheck, RecordingTeamLeader

ROME = ZoneInfo("Europe/Rome")


def rome(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ROME).astimezone(UTC)


class Bot:
    """One process: its planner and its timer tick, recording which morning checks fired and when."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: FixedClock, **planner_options: object) -> None:
        self.clock = clock
        self.team_leader = RecordingTeamLeader()
        self.planner = SchedulePlanner(uow_factory, clock, notifier=self.team_leader, **planner_options)  # type: ignore[arg-type]
        self.planner.register(MorningCheck())
        self.fired: list[tuple[str, datetime, datetime]] = []  # (key, due, fired at)

        async def check(timer: DueTimer, uow: SqlUnitOfWork) -> None:
            self.fired.append((timer.key, timer.due_at, clock.now()))

        self.tick = TimerTick(uow_factory, {MORNING_CHECK: check}, clock)

    async def start_at(self, moment: datetime) -> None:
        self.clock.set(moment)
        await self.planner.plan()
        await self.tick.tick()

    async def run_until(self, moment: datetime, step: timedelta = timedelta(minutes=5)) -> None:
        while self.clock.now() < moment:
            self.clock.advance(step)
            await self.tick.tick()


async def timers(database: Database) -> list[tuple[str, str, datetime]]:
    async with database.session() as session:
        rows = (await session.exec(select(TimerRow).where(TimerRow.kind == MORNING_CHECK))).all()
        return sorted((row.key, row.status, row.due_at) for row in rows)


async def test_planning_arms_each_run_ahead_once(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, circle: Circle, database: Database
) -> None:
    bot = Bot(uow_factory, clock, horizon=timedelta(days=2))
    clock.set(rome("2026-12-07 08:00"))

    first = await bot.planner.plan()
    again = await bot.planner.plan()

    assert first.circles == ("demo",)
    assert first.armed == ("morning-check:demo:2026-12-07", "morning-check:demo:2026-12-08")
    assert again.armed == () and again.skipped == ()
    assert [(key, status) for key, status, _ in await timers(database)] == [
        ("morning-check:demo:2026-12-07", "pending"),
        ("morning-check:demo:2026-12-08", "pending"),
    ]


async def test_a_run_due_a_few_minutes_after_start_happens_once_on_time(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, circle: Circle
) -> None:
    bot = Bot(uow_factory, clock)
    await bot.start_at(rome("2026-12-07 08:55"))
    await bot.run_until(rome("2026-12-07 12:00"))

    assert bot.fired == [("morning-check:demo:2026-12-07", rome("2026-12-07 09:00"), rome("2026-12-07 09:00"))]


async def test_a_run_missed_before_the_first_plan_happens_late_within_its_grace(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, circle: Circle
) -> None:
    bot = Bot(uow_factory, clock)
    clock.set(rome("2026-12-07 09:20"))
    result = await bot.planner.plan()
    await bot.tick.tick()
    await bot.planner.plan()  # the periodic plan comes back: nothing new
    await bot.run_until(rome("2026-12-07 12:00"))

    assert result.late == ("morning-check:demo:2026-12-07",)
    assert bot.fired == [("morning-check:demo:2026-12-07", rome("2026-12-07 09:00"), rome("2026-12-07 09:20"))]
    assert bot.team_leader.notices == []


async def test_a_run_armed_before_an_outage_longer_than_its_grace_is_reported_once_and_never_done(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, circle: Circle, database: Database
) -> None:
    bot = Bot(uow_factory, clock)
    await bot.start_at(rome("2026-12-06 20:00"))  # Sunday evening: Monday's check is armed, then the bot stops

    restarted = Bot(uow_factory, clock)
    clock.set(rome("2026-12-07 11:30"))  # back after the 2-hour grace of the 09:00 check
    await restarted.tick.tick()  # even a tick before the plan does not fire it
    result = await restarted.planner.plan()
    await restarted.planner.plan()
    await restarted.run_until(rome("2026-12-07 13:00"))

    assert restarted.fired == []
    assert result.skipped == ("morning-check:demo:2026-12-07",)
    [(circle_name, text, _key)] = restarted.team_leader.notices
    assert circle_name == "demo"
    assert "I was not running when these were due for demo" in text
    assert "- the 09:00 morning check of Mon 7 Dec" in text
    assert ("morning-check:demo:2026-12-07", "skipped") in [(k, s) for k, s, _ in await timers(database)]


async def test_a_run_never_planned_because_the_bot_was_down_longer_than_the_horizon_is_reported(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, circle: Circle
) -> None:
    bot = Bot(uow_factory, clock, horizon=timedelta(hours=1))
    await bot.start_at(rome("2026-12-07 07:00"))  # planned up to 08:00 only

    restarted = Bot(uow_factory, clock, horizon=timedelta(hours=1))
    await restarted.start_at(rome("2026-12-08 10:00"))  # Monday's check is far past; Tuesday's within grace
    await restarted.run_until(rome("2026-12-08 12:00"))

    assert [key for key, _, _ in restarted.fired] == ["morning-check:demo:2026-12-08"]
    [(_, text, _)] = restarted.team_leader.notices
    assert "the 09:00 morning check of Mon 7 Dec" in text and "Tue 8 Dec" not in text


async def test_a_schedule_without_its_own_limit_gets_the_planners_default_grace(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, circle: Circle
) -> None:
    bot = Bot(uow_factory, clock, default_grace=timedelta(minutes=30))
    bot.planner = SchedulePlanner(uow_factory, clock, notifier=bot.team_leader, default_grace=timedelta(minutes=30))
    bot.planner.register(MorningCheck(grace=None))

    await bot.start_at(rome("2026-12-07 09:45"))

    assert bot.fired == []
    assert len(bot.team_leader.notices) == 1


async def test_planning_only_the_named_circles(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, circle: Circle
) -> None:
    bot = Bot(uow_factory, clock)
    clock.set(rome("2026-12-07 08:00"))

    assert (await bot.planner.plan(circles=["elsewhere"])).circles == ()
    assert (await bot.planner.plan(circles=["demo"])).circles == ("demo",)


def test_a_schedule_name_is_registered_once(uow_factory: UnitOfWorkFactory, clock: FixedClock) -> None:
    planner = SchedulePlanner(uow_factory, clock)
    planner.register(MorningCheck())

    with pytest.raises(ValueError, match="registered already"):
        planner.register(MorningCheck())


@pytest.mark.postgres
async def test_two_replicas_starting_together_plan_once_and_fire_once(postgres_database_url: str) -> None:
    """Two processes on one PostgreSQL database, each with its own engine, planner and tick."""
    clock = FixedClock(rome("2026-12-06 20:00"))
    databases = [Database(postgres_database_url), Database(postgres_database_url)]
    try:
        async with UnitOfWorkFactory(databases[0], clock)() as uow:
            await uow.circles.apply(load_circles(EXAMPLE_CIRCLES), clock.now())
            await uow.commit()
        first, second = (Bot(UnitOfWorkFactory(db, clock), clock) for db in databases)
        # Sunday evening, first start: Sunday's 09:00 check is past its grace, Monday's is armed.
        results = list(await asyncio.gather(first.planner.plan(), second.planner.plan()))
        clock.set(rome("2026-12-07 11:30"))  # both come back after Monday's grace
        results += await asyncio.gather(first.planner.plan(), second.planner.plan())
        clock.set(rome("2026-12-08 09:05"))
        await asyncio.gather(first.planner.plan(), second.planner.plan(), first.tick.tick(), second.tick.tick())
        await asyncio.gather(first.tick.tick(), second.tick.tick())

        assert sorted(key for result in results for key in result.skipped) == [
            "morning-check:demo:2026-12-06",
            "morning-check:demo:2026-12-07",
        ]
        async with databases[0].session() as session:
            notices = (await session.exec(select(OutboxRow).where(OutboxRow.kind == "test.team_leader"))).all()
        assert sorted("Mon 7 Dec" in row.payload["text"] for row in notices) == [False, True]
        assert [key for key, _, _ in first.fired + second.fired] == ["morning-check:demo:2026-12-08"]
    finally:
        for db in databases:
            await db.dispose()


async def test_taking_office_right_after_the_start_up_plan_plans_nothing_again_but_later_it_does(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, circle: Circle, database: Database
) -> None:
    bot = Bot(uow_factory, clock, horizon=timedelta(days=1))
    clock.set(rome("2026-12-07 08:00"))
    start_up = await bot.planner.plan()
    async with database.session() as session:  # what a takeover plan would arm: a lost timer
        for row in (await session.exec(select(TimerRow).where(TimerRow.kind == MORNING_CHECK))).all():
            await session.delete(row)
        await session.commit()

    clock.advance(timedelta(seconds=5))
    at_start = await bot.planner.plan_on_taking_office()
    left_alone = await timers(database)
    clock.advance(timedelta(minutes=10))
    later = await bot.planner.plan_on_taking_office()

    assert start_up.armed == ("morning-check:demo:2026-12-07",)
    assert at_start == start_up and left_alone == []
    assert later.circles == ("demo",) and [key for key, _, _ in await timers(database)] == [
        "morning-check:demo:2026-12-07"
    ]
