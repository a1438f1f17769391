"""Binds the incident timer kinds to their use cases."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from adapters.timer_tick import TimerHandler
from domain.clock import Clock
from domain.incidents.model import IncidentError
from domain.incidents.service import IncidentContext, on_escalation_timer, on_sla_timer, on_stakeholder_timer
from domain.ports import IncidentNotifier
from storage.timers import DueTimer
from storage.unit_of_work import SqlUnitOfWork

log = logging.getLogger(__name__)


def incident_timer_handlers(clock: Clock, notifier: IncidentNotifier, *, jira_enabled: bool) -> dict[str, TimerHandler]:
    """Handlers for `incident.sla`, `incident.escalate` and `incident.stakeholder` timers."""

    def context(uow: SqlUnitOfWork) -> IncidentContext:
        return IncidentContext(uow=uow, clock=clock, notifier=notifier, jira_enabled=jira_enabled)

    def guarded(run: Callable[[IncidentContext, DueTimer], Awaitable[None]]) -> TimerHandler:
        async def handler(timer: DueTimer, uow: SqlUnitOfWork) -> None:
            try:
                await run(context(uow), timer)
            except IncidentError as error:
                # The incident or its circle went away: retrying cannot help, so the timer just ends.
                log.warning("timer %s dropped: %s", timer.key, error, extra={"timer": timer.key})

        return handler

    async def sla(ctx: IncidentContext, timer: DueTimer) -> None:
        payload = timer.payload
        await on_sla_timer(ctx, payload["incident"], payload["deadline"], payload["stage"])

    async def escalate(ctx: IncidentContext, timer: DueTimer) -> None:
        await on_escalation_timer(ctx, timer.payload["incident"], timer.payload["step"])

    async def stakeholder(ctx: IncidentContext, timer: DueTimer) -> None:
        await on_stakeholder_timer(ctx, timer.payload["incident"], timer.payload["overdue"])

    return {
        "incident.sla": guarded(sla),
        "incident.escalate": guarded(escalate),
        "incident.stakeholder": guarded(stakeholder),
    }
