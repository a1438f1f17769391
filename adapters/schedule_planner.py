"""The one planner behind every feature's recurring work (domain/recurring.py).

Features register a RecurringSchedule; `plan()` arms each run as a durable timer under its
idempotent key. It runs at start-up (before the app reports ready), on becoming leader (unless the
start-up plan has just run), right after a configuration or rota change, and periodically; running
it again arms nothing twice.

Per (schedule, circle) a watermark says how far runs were planned. A plan covers
[watermark, now + horizon) — [now - lookback, …) the first time — so runs that fell due while
no process was planning are found again. A past run is still armed (the tick fires it at once
and its handler says it is late) while its `catch_up_until` has not passed; beyond that it is
reported to the circle's Team Leader in one notice per plan, and never done. Runs armed earlier
that waited past their limit (the bot was down) are reported the same way.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.circle import Circle
from domain.clock import Clock
from domain.recurring import Occurrence, RecurringSchedule, SkippedWorkNotifier
from storage import schedules
from storage.unit_of_work import SqlUnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

# Runs are armed this far ahead: a week covers a weekly rota's next change and its reminders,
# and timers already armed survive an outage of that long without any planning at all.
DEFAULT_HORIZON = timedelta(days=7)
# The first plan of a circle (a new circle, or the first start after an upgrade) looks back this
# far for runs missed just before it; as far as the longest default catch-up grace.
DEFAULT_LOOKBACK = timedelta(hours=12)
# How late a run whose schedule sets no `catch_up_until` may still be done.
DEFAULT_GRACE = timedelta(hours=1)
# A notice lists at most this many skipped runs (a week-long outage must still fit one message).
MAX_NOTICE_LINES = 20
# A takeover plan is skipped when this process completed a full plan this recently: at start-up the
# plan before listening has just armed everything, and a circle changed since was re-planned at once.
FRESH_PLAN = timedelta(minutes=1)


@dataclass(frozen=True)
class PlanResult:
    """What one plan did: circles planned, and the keys of runs newly armed, armed late, skipped."""

    circles: tuple[str, ...] = ()
    armed: tuple[str, ...] = ()
    late: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()

    def summary(self) -> str:
        """One line for logs and the CLI."""
        late = f", {len(self.late)} of them late" if self.late else ""
        skipped = f"; {len(self.skipped)} too late to do, reported to the Team Leader" if self.skipped else ""
        failed = f"; planning failed for {', '.join(self.failed)} (see the log)" if self.failed else ""
        return (
            f"schedules planned for {len(self.circles)} circle(s): {len(self.armed)} new run(s){late}{skipped}{failed}"
        )


@dataclass
class _CirclePlan:
    armed: list[str]
    late: list[str]
    skipped: list[tuple[datetime, str, str]]  # (due at, key, description)


class SchedulePlanner:
    """Arms every registered schedule's runs for every active circle; idempotent."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        *,
        notifier: SkippedWorkNotifier | None = None,
        horizon: timedelta = DEFAULT_HORIZON,
        lookback: timedelta = DEFAULT_LOOKBACK,
        default_grace: timedelta = DEFAULT_GRACE,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._notifier = notifier
        self._horizon = horizon
        self._lookback = lookback
        self._default_grace = default_grace
        self._schedules: dict[str, RecurringSchedule] = {}
        # One plan at a time in this process; replicas serialise per circle in the database.
        self._planning = asyncio.Lock()
        self.last_result: PlanResult | None = None
        self._full_plan_done_at: datetime | None = None

    def register(self, schedule: RecurringSchedule) -> None:
        """Add a feature's schedule; names are unique."""
        if schedule.name in self._schedules:
            raise ValueError(f"a schedule named {schedule.name!r} is registered already")
        self._schedules[schedule.name] = schedule

    async def plan(self, *, circles: Sequence[str] | None = None) -> PlanResult:
        """Arm the runs of every active circle (or of the named ones); one transaction per circle."""
        if not self._schedules:
            return PlanResult()
        async with self._planning:
            async with self._uow.reader() as reader:
                active = await reader.circles.active()
            wanted = [c for c in active if circles is None or c.name in circles]
            planned, armed, late, skipped, failed = [], [], [], [], []
            for circle in wanted:
                try:
                    outcome = await self._plan_circle(circle)
                except Exception:
                    log.exception(
                        "planning the schedules of circle %s failed", circle.name, extra={"circle": circle.name}
                    )
                    failed.append(circle.name)
                    continue
                planned.append(circle.name)
                armed += outcome.armed
                late += outcome.late
                skipped += [key for _, key, _ in outcome.skipped]
            self.last_result = PlanResult(tuple(planned), tuple(armed), tuple(late), tuple(skipped), tuple(failed))
            if circles is None and not failed:
                self._full_plan_done_at = self._clock.now()
            return self.last_result

    async def plan_on_taking_office(self) -> PlanResult:
        """The plan of a process becoming leader, unless it completed a full plan within FRESH_PLAN
        (its start-up's, moments before it first took office): that one armed the same runs."""
        done_at = self._full_plan_done_at
        if self.last_result is not None and done_at is not None and self._clock.now() - done_at < FRESH_PLAN:
            return self.last_result
        return await self.plan()

    async def _plan_circle(self, circle: Circle) -> _CirclePlan:
        outcome = _CirclePlan([], [], [])
        async with self._uow() as uow:
            session = uow.session
            await schedules.lock_circle_plan(session, circle.name)
            now = self._clock.now()
            end = now + self._horizon
            for schedule in self._schedules.values():
                mark = await schedules.watermark(session, schedule.name, circle.name)
                start = min(mark, now) if mark is not None else now - self._lookback
                for run in schedule.occurrences(circle, start, end):
                    await self._place(uow, schedule.name, circle, run, now, outcome)
                for row in await schedules.skip_expired(session, schedule.name, circle.name, now=now):
                    outcome.skipped.append((row.due_at, row.key, row.description or row.key))
                await schedules.move_watermark(session, schedule.name, circle.name, end, now=now)
            if outcome.skipped:
                await self._report_skipped(uow, circle, outcome.skipped)
            await uow.commit()
        if outcome.late:
            log.info(
                "circle %s: %d missed run(s) armed late", circle.name, len(outcome.late), extra={"circle": circle.name}
            )
        return outcome

    async def _place(
        self, uow: SqlUnitOfWork, schedule: str, circle: Circle, run: Occurrence, now: datetime, outcome: _CirclePlan
    ) -> None:
        until = run.catch_up_until or run.due_at + self._default_grace
        if run.due_at >= now or now <= until:
            if await schedules.arm(uow.session, schedule, circle.name, run, until, now=now):
                outcome.armed.append(run.key)
                if run.due_at < now:
                    outcome.late.append(run.key)
        elif await schedules.skip(uow.session, schedule, circle.name, run, now=now):
            outcome.skipped.append((run.due_at, run.key, run.description or run.key))

    async def _report_skipped(
        self, uow: SqlUnitOfWork, circle: Circle, skipped: list[tuple[datetime, str, str]]
    ) -> None:
        skipped = sorted(skipped)
        lines = [f"- {description}" for _, _, description in skipped[:MAX_NOTICE_LINES]]
        if len(skipped) > MAX_NOTICE_LINES:
            lines.append(f"- and {len(skipped) - MAX_NOTICE_LINES} more")
        text = (
            f"I was not running when these were due for {circle.name}, and it is too late for them now, "
            "so I skipped them:\n" + "\n".join(lines)
        )
        # Keyed by what it reports: a second plan (or replica) reporting the same runs sends nothing.
        digest = hashlib.sha256("\n".join(sorted(key for _, key, _ in skipped)).encode()).hexdigest()[:24]
        if self._notifier is None:
            log.warning("%s", text, extra={"circle": circle.name})
            return
        await self._notifier.tell_team_leader(uow, circle, text, key=f"schedules:skipped:{circle.name}:{digest}")
