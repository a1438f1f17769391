"""A small recurring schedule and a Team Leader notifier for testing the schedule planner."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from domain.circle import Circle
from domain.ports import UnitOfWork
from domain.recurring import Occurrence

MORNING_CHECK = "test.morning_check"


@dataclass(frozen=True)
class MorningCheck:
    """A check every day at 09:00 circle time, worth doing up to `grace` late (None: the planner's default)."""

    grace: timedelta | None = timedelta(hours=2)
    name: str = "test.morning-check"

    def occurrences(self, circle: Circle, start: datetime, end: datetime) -> Iterator[Occurrence]:
        zone = circle.rota.zone
        day = start.astimezone(zone).date()
        while (due := datetime.combine(day, time(9, 0), tzinfo=zone)) < end:
            if due >= start:
                yield Occurrence(
                    kind=MORNING_CHECK,
                    key=f"morning-check:{circle.name}:{day.isoformat()}",
                    due_at=due.astimezone(UTC),
                    payload={"circle": circle.name},
                    catch_up_until=due + self.grace if self.grace is not None else None,
                    description=f"the 09:00 morning check of {day:%a} {day.day} {day:%b}",
                )
            day += timedelta(days=1)


@dataclass
class RecordingTeamLeader:
    """Records each notice and queues it as an outbox row under its key, like the Teams notifier."""

    notices: list[tuple[str, str, str]] = field(default_factory=list)

    async def tell_team_leader(self, uow: UnitOfWork, circle: Circle, text: str, *, key: str) -> None:
        self.notices.append((circle.name, text, key))
        uow.outbox.add("test.team_leader", {"circle": circle.name, "text": text}, idempotency_key=key)
