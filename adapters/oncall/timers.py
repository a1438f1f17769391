"""Binds the on-call timer kinds to their use cases (the shared planner arms the recurring ones)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from adapters.timer_tick import TimerHandler
from domain.clock import Clock
from domain.oncall import service
from domain.oncall.moments import OnCallError
from domain.oncall.ports import OnCallNotifier, PluggableReadiness, Readiness
from domain.oncall.schedule import GAP_REPORT, SHIFT_CHANGE, SHIFT_REMINDER
from domain.oncall.service import OnCallContext
from domain.ports import UnitOfWork
from domain.rota import Layer
from storage.timers import DueTimer
from storage.unit_of_work import SqlUnitOfWork

log = logging.getLogger(__name__)


def oncall_context(
    uow: UnitOfWork, clock: Clock, notifier: OnCallNotifier, readiness: Readiness | None = None
) -> OnCallContext:
    """The on-call use cases' collaborators, on one unit of work."""
    return OnCallContext(
        uow=uow,
        clock=clock,
        notifier=notifier,
        overrides=uow.rota_overrides,
        handovers=uow.handovers,
        incidents=uow.incidents,
        postmortems=uow.postmortems,
        readiness=readiness or PluggableReadiness(),
    )


def oncall_timer_handlers(
    clock: Clock, notifier: OnCallNotifier, readiness: Readiness | None = None
) -> dict[str, TimerHandler]:
    """Handlers for shift changes, handover chasing, shift reminders and the weekly gap report."""

    def guarded(run: Callable[[OnCallContext, DueTimer], Awaitable[object]]) -> TimerHandler:
        async def handler(timer: DueTimer, uow: SqlUnitOfWork) -> None:
            try:
                await run(oncall_context(uow, clock, notifier, readiness), timer)
            except OnCallError as error:
                # The handover or circle changed under the timer: retrying cannot help.
                log.warning("timer %s dropped: %s", timer.key, error, extra={"timer": timer.key})

        return handler

    async def shift_change(ctx: OnCallContext, timer: DueTimer) -> object:
        payload = timer.payload
        return await service.on_shift_change(
            ctx, payload["circle"], Layer(payload["layer"]), datetime.fromisoformat(payload["at"])
        )

    async def chase(ctx: OnCallContext, timer: DueTimer) -> object:
        await service.on_handover_chase(ctx, int(timer.payload["handover"]), str(timer.payload["stage"]))
        return None

    async def shift_reminder(ctx: OnCallContext, timer: DueTimer) -> object:
        payload = timer.payload
        return await service.on_shift_reminder(
            ctx,
            payload["circle"],
            Layer(payload["layer"]),
            datetime.fromisoformat(payload["at"]),
            payload["member"],
            timedelta(seconds=int(payload["before"])),
        )

    async def gap_report(ctx: OnCallContext, timer: DueTimer) -> object:
        return await service.on_gap_report(ctx, timer.payload["circle"], timer.due_at)

    return {
        SHIFT_CHANGE: guarded(shift_change),
        service.HANDOVER_CHASE: guarded(chase),
        SHIFT_REMINDER: guarded(shift_reminder),
        GAP_REPORT: guarded(gap_report),
    }
