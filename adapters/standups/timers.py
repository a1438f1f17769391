"""Binds the stand-up timer kinds to their use cases, and the use cases' collaborators to a unit of work."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date

from adapters.timer_tick import TimerHandler
from domain.clock import Clock
from domain.ports import UnitOfWork
from domain.standups import service
from domain.standups.model import StandupError
from domain.standups.ports import StandupNotifier, WipActivityLookup
from domain.standups.schedule import CLOSE, OPEN, PROMPT, REFRESH, REMIND
from storage.timers import DueTimer


def standup_context(
    uow: UnitOfWork, clock: Clock, notifier: StandupNotifier, wip: WipActivityLookup
) -> service.StandupContext:
    """The stand-up use cases' collaborators, on one unit of work."""
    return service.StandupContext(
        uow=uow, clock=clock, notifier=notifier, standups=uow.standups, incidents=uow.incidents, wip=wip
    )


def standup_timer_handlers(clock: Clock, notifier: StandupNotifier, wip: WipActivityLookup) -> dict[str, TimerHandler]:
    """Handlers for the prompt, reminder, summary post, refresh and window close of each stand-up."""

    def handler(run: Callable[[service.StandupContext, DueTimer, str, date], Awaitable[object]]) -> TimerHandler:
        async def fire(timer: DueTimer, uow: UnitOfWork) -> None:
            payload = timer.payload
            ctx = standup_context(uow, clock, notifier, wip)
            try:
                await run(ctx, timer, payload["circle"], date.fromisoformat(payload["day"]))
            except StandupError as error:
                # The circle changed under the timer (member gone, stand-up off): retrying cannot help.
                logging.getLogger(__name__).warning("timer %s dropped: %s", timer.key, error)

        return fire

    return {
        OPEN: handler(lambda ctx, _timer, circle, day: service.on_open(ctx, circle, day)),
        PROMPT: handler(
            lambda ctx, timer, circle, day: service.on_prompt(
                ctx, circle, day, timer.payload["members"], due_at=timer.due_at
            )
        ),
        REMIND: handler(lambda ctx, timer, circle, day: service.on_remind(ctx, circle, day, timer.payload["members"])),
        REFRESH: handler(lambda ctx, _timer, circle, day: service.on_refresh(ctx, circle, day)),
        CLOSE: handler(lambda ctx, _timer, circle, day: service.on_close(ctx, circle, day)),
    }
