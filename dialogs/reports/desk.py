"""Where the report dialogs reach the circles and the report use case: read-only units of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.circle import Circle
from domain.clock import Clock
from domain.ports import UnitsOfWork
from domain.reports.period import Comparison
from domain.reports.report import CircleReport
from domain.reports.service import circle_report


@dataclass(frozen=True)
class Circles:
    """The circle of the channel a command came from (if any), and every active circle."""

    here: Circle | None
    active: list[Circle]

    def named(self, name: str) -> Circle | None:
        return next((c for c in self.active if c.name == name), None)


@dataclass
class ReportDesk:
    uow: UnitsOfWork
    clock: Clock

    def now(self) -> datetime:
        return self.clock.now()

    async def circles(self, channel_id: str | None) -> Circles:
        """The channel's circle and the active circles, in one lookup."""
        async with self.uow.reader() as uow:
            here = await uow.circles.by_channel(channel_id) if channel_id else None
            return Circles(here, await uow.circles.active())

    async def report(self, circle: Circle, comparison: Comparison, now: datetime) -> CircleReport:
        """The report of `circle` for the periods of `comparison`."""
        async with self.uow.reader() as uow:
            return await circle_report(uow.reports, circle, comparison, now)
