"""Binds the postmortem timer kinds (reminders, merge checks) to their use cases."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from adapters.timer_tick import TimerHandler
from domain.postmortems.effects import MERGE_CHECK_TIMER, REMINDER_TIMER
from domain.postmortems.model import PostmortemError
from domain.postmortems.service import PostmortemContext, on_merge_check, on_reminder
from storage.timers import DueTimer
from storage.unit_of_work import SqlUnitOfWork

log = logging.getLogger(__name__)

ContextFactory = Callable[[SqlUnitOfWork], PostmortemContext]


def postmortem_timer_handlers(context: ContextFactory) -> dict[str, TimerHandler]:
    """Handlers for `postmortem.reminder` and `postmortem.merge_check` timers."""

    def guarded(run: Callable[[PostmortemContext, DueTimer], Awaitable[None]]) -> TimerHandler:
        async def handler(timer: DueTimer, uow: SqlUnitOfWork) -> None:
            try:
                await run(context(uow), timer)
            except PostmortemError as error:
                # The postmortem or its circle went away: retrying cannot help, so the timer just ends.
                log.warning("timer %s dropped: %s", timer.key, error, extra={"timer": timer.key})

        return handler

    async def remind(ctx: PostmortemContext, timer: DueTimer) -> None:
        payload = timer.payload
        await on_reminder(ctx, payload["postmortem"], payload["subject"], payload.get("action"), payload["to"])

    async def merge_check(ctx: PostmortemContext, timer: DueTimer) -> None:
        await on_merge_check(ctx, timer.payload["postmortem"])

    return {REMINDER_TIMER: guarded(remind), MERGE_CHECK_TIMER: guarded(merge_check)}
