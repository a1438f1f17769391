"""The rota run the way the bot runs it: use cases one transaction each, the shared planner, the timer tick."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import select

from adapters.oncall.timers import oncall_context, oncall_timer_handlers
from adapters.schedule_planner import SchedulePlanner
from adapters.timer_tick import TimerTick
from domain.circle import Circle
from domain.clock import FixedClock
from domain.oncall import service
from domain.oncall.schedule import oncall_schedules
from domain.rota import Layer
from storage.timers import TimerRow
from storage.unit_of_work import UnitOfWorkFactory
from tests.support.fake_oncall_notifier import FakeOnCallNotifier


def rota_planner(uow_factory: UnitOfWorkFactory, clock: FixedClock, notifier: FakeOnCallNotifier) -> SchedulePlanner:
    """The shared planner with the rota's schedules, as the app registers them."""
    planner = SchedulePlanner(uow_factory, clock, notifier=notifier)
    for schedule in oncall_schedules():
        planner.register(schedule)
    return planner


class Rota:
    """Runs on-call use cases one transaction each, plans and fires due timers, the way the bot does."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: FixedClock, notifier: FakeOnCallNotifier) -> None:
        self.uow_factory, self.clock, self.notifier = uow_factory, clock, notifier
        self.tick = TimerTick(uow_factory, oncall_timer_handlers(clock, notifier), clock)
        self.planner = rota_planner(uow_factory, clock, notifier)

    async def run(self, use_case: Any, *args: Any, **kwargs: Any) -> Any:
        async with self.uow_factory() as uow:
            result = await use_case(oncall_context(uow, self.clock, self.notifier), *args, **kwargs)
            await uow.commit()
            return result

    async def circle(self, name: str = "demo") -> Circle:
        async with self.uow_factory() as uow:
            circle = await uow.circles.get(name)
            assert circle is not None
            return circle

    async def at(self, moment: datetime) -> int:
        """Run until `moment` as a bot that never stopped: every timer fires at its time, plans in between."""
        fired = 0
        while (due := await self._next_due(moment)) is not None:
            self.clock.set(max(due, self.clock.now()))
            await self.planner.plan()
            fired += await self.tick.tick()
        self.clock.set(moment)
        await self.planner.plan()
        return fired + await self.tick.tick()

    async def _next_due(self, until: datetime) -> datetime | None:
        async with self.uow_factory() as uow:
            query = select(TimerRow.due_at).where(TimerRow.status == "pending", TimerRow.due_at <= until)
            return (await uow.session.exec(query.order_by(TimerRow.due_at).limit(1))).first()  # type: ignore[arg-type]

    async def override(self, by: str, covering: str, start: datetime, end: datetime, **kw: Any) -> int:
        circle = await self.circle()
        override_id, _ = await self.run(
            service.add_override, circle, caller=circle.member(by), covering=circle.member(covering),
            layer=kw.pop("layer", Layer.PRIMARY), start=start, end=end, **kw,
        )  # fmt: skip
        await self.planner.plan(circles=[circle.name])  # as the /oncall desk does after a rota change
        return int(override_id)

    async def start_at(self, moment: datetime) -> None:
        """A bot process starting at `moment`: it plans before anything else, then its tick runs."""
        self.clock.set(moment)
        await self.planner.plan()
        await self.tick.tick()
