"""Binds the activity timer kinds (the feedback request, the morning check) to their use cases."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from adapters.timer_tick import TimerHandler
from domain.activities import daily
from domain.activities.context import ActivitiesContext
from domain.activities.model import ActivityError
from domain.activities.schedule import DAILY_CHECK_TIMER, FEEDBACK_REQUEST_TIMER
from domain.ports import UnitOfWork
from storage.timers import DueTimer
from storage.unit_of_work import SqlUnitOfWork

log = logging.getLogger(__name__)

ContextFactory = Callable[[UnitOfWork], ActivitiesContext]


def activity_timer_handlers(context: ContextFactory) -> dict[str, TimerHandler]:
    """The feedback request and the morning check, each run in the timer's own transaction."""

    async def feedback_request(timer: DueTimer, uow: SqlUnitOfWork) -> None:
        payload = timer.payload
        try:
            await daily.request_feedback(
                context(uow),
                payload["circle"],
                payload["member"],
                date.fromisoformat(payload["day"]),
                due_at=timer.due_at,
            )
        except ActivityError as error:
            # The circle went away: retrying cannot help, so this run just ends.
            log.warning("timer %s dropped: %s", timer.key, error, extra={"timer": timer.key})

    async def daily_check(timer: DueTimer, uow: SqlUnitOfWork) -> None:
        payload = timer.payload
        try:
            done = await daily.daily_check(context(uow), payload["circle"], date.fromisoformat(payload["day"]))
        except ActivityError as error:
            log.warning("timer %s dropped: %s", timer.key, error, extra={"timer": timer.key})
            return
        if done:
            log.info("activity check of %s: %s", payload["circle"], ", ".join(done))

    return {FEEDBACK_REQUEST_TIMER: feedback_request, DAILY_CHECK_TIMER: daily_check}
