"""Fires due durable timers, each in its own transaction with the work it triggers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from domain.clock import Clock
from domain.retry_policy import RetryPolicy
from storage import timers
from storage.timers import DueTimer
from storage.unit_of_work import SqlUnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

TimerHandler = Callable[[DueTimer, SqlUnitOfWork], Awaitable[None]]


class TimerTick:
    """Each due timer is claimed, handled and marked fired in one transaction.

    A crash mid-handler rolls everything back and the timer fires again later; a second
    replica skips the locked row. So each timer's effect is committed exactly once.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        handlers: Mapping[str, TimerHandler],
        clock: Clock,
        *,
        policy: RetryPolicy | None = None,
        max_per_tick: int = 200,
    ) -> None:
        self._uow_factory = uow_factory
        self._handlers = dict(handlers)
        self._clock = clock
        self._policy = policy or RetryPolicy(max_attempts=8, base=timedelta(seconds=5))
        self._max_per_tick = max_per_tick
        self.fired = 0

    def register(self, kind: str, handler: TimerHandler) -> None:
        self._handlers[kind] = handler

    async def tick(self) -> int:
        """Fire every timer due now (up to a bound); returns how many fired."""
        fired = 0
        for _ in range(self._max_per_tick):
            outcome = await self._fire_next()
            if outcome is None:
                break
            fired += outcome
        self.fired += fired
        return fired

    async def _fire_next(self) -> int | None:
        """1 if a timer fired, 0 if one failed, None if nothing is due."""
        now = self._clock.now()
        async with self._uow_factory() as uow:
            due = await timers.claim_next_due(uow.session, now=now)
            if due is None:
                return None
            try:
                handler = self._handlers.get(due.kind)
                if handler is None:
                    raise LookupError(f"no handler registered for timer kind {due.kind!r}")
                await handler(due, uow)
                await timers.mark_fired(uow.session, due.id, now=now)
                await uow.commit()
                return 1
            except Exception as error:
                await uow.rollback()
                log.exception("timer %s failed", due.key, extra={"timer": due.key, "kind": due.kind})
                await self._record_failure(due, repr(error))
                return 0

    async def _record_failure(self, due: DueTimer, error: str) -> None:
        async with self._uow_factory() as uow:
            attempts = await timers.attempts_of(uow.session, due.id) + 1
            retry_at = None
            if not self._policy.gives_up_after(attempts):
                retry_at = self._clock.now() + self._policy.delay(attempts)
            await timers.mark_failed_attempt(uow.session, due.id, error=error, retry_at=retry_at)
            await uow.commit()
