"""Fires due durable timers: a small batch per transaction, each timer's work in its own savepoint."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta

from domain.clock import Clock
from domain.retry_policy import RetryPolicy
from storage import timers
from storage.outbox import SqlOutbox
from storage.timers import DueTimer
from storage.unit_of_work import SqlUnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

TimerHandler = Callable[[DueTimer, SqlUnitOfWork], Awaitable[None]]


class _BatchFailed(Exception):
    """The batch's transaction itself failed (not one handler): nothing of it was committed."""


class TimerTick:
    """Due timers are claimed a few at a time; each is handled and marked fired with its batch.

    A batch ends early once its handlers have taken `batch_seconds` (twenty stand-up prompts are
    one timer): its unhandled timers stay due, and the transaction, which holds SQLite's one
    writer, stays short enough for the relay to deliver what the previous ones queued.

    Each handler runs in a savepoint of the batch's transaction: a failing handler rolls back
    only its own work and is recorded as a failed attempt (retried later) in the same commit,
    while its neighbours fire. A crash mid-batch rolls the whole batch back and its timers fire
    again later; a second replica skips the locked rows. So each timer's effect is committed
    exactly once. Batching matters on stand-up mornings: a thousand due prompts cost tens of
    commits, not a thousand, and on SQLite the outbox relay gets the single writer back sooner.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        handlers: Mapping[str, TimerHandler],
        clock: Clock,
        *,
        policy: RetryPolicy | None = None,
        max_per_tick: int = 200,
        batch_size: int = 10,
        batch_seconds: float = 0.1,
    ) -> None:
        self._uow_factory = uow_factory
        self._handlers = dict(handlers)
        self._clock = clock
        self._policy = policy or RetryPolicy(max_attempts=8, base=timedelta(seconds=5))
        self._max_per_tick = max_per_tick
        self._batch_size = max(1, batch_size)
        self._batch_seconds = batch_seconds
        self.fired = 0

    def register(self, kind: str, handler: TimerHandler) -> None:
        self._handlers[kind] = handler

    async def tick(self) -> int:
        """Fire every timer due now (up to a bound); returns how many fired."""
        fired, claimed, batch_size = 0, 0, self._batch_size
        while claimed < self._max_per_tick:
            try:
                outcome = await self._fire_batch(min(batch_size, self._max_per_tick - claimed))
            except _BatchFailed:
                # Which timer broke the transaction is unknown: go on one at a time, where a
                # failure is pinned on its timer and recorded.
                batch_size = 1
                continue
            if outcome is None:
                break
            claimed += outcome[0]
            fired += outcome[1]
        self.fired += fired
        return fired

    async def _fire_batch(self, limit: int) -> tuple[int, int] | None:
        """(claimed, fired) for one batch, or None when nothing is due."""
        now = self._clock.now()
        failed: list[tuple[DueTimer, str]] = []
        async with self._uow_factory() as uow:
            batch = await timers.claim_due(uow.session, now=now, limit=limit)
            if not batch:
                return None
            try:
                fired, queued = [], 0
                started = time.monotonic()
                for handled, due in enumerate(batch):
                    if handled and time.monotonic() - started >= self._batch_seconds:
                        # On SQLite the relay waits for this transaction to write what it sends:
                        # commit now, and leave the rest (still due, not marked) to the next batch.
                        batch = batch[:handled]
                        break
                    error = await self._fire_in_savepoint(due, uow, now)
                    if error is None:
                        fired.append(due.id)
                        queued += uow.outbox.added
                    else:
                        failed.append((due, error))
                await timers.mark_all_fired(uow.session, fired, now=now)
                for due, error in failed:
                    await timers.mark_failed_attempt(uow.session, due.id, error=error, retry_at=self._retry_at(due))
                # Every timer's rows are already flushed; this empty writer only carries the count,
                # so that the commit wakes the local relay when something was queued.
                uow.outbox = SqlOutbox(uow.session, now)
                uow.outbox.added = queued
                await uow.commit()
            except Exception as error:
                await uow.rollback()
                if len(batch) > 1:
                    log.warning("timer batch of %d rolled back (%r); firing one at a time", len(batch), error)
                    raise _BatchFailed from error
                [due] = batch
                log.exception("timer %s failed", due.key, extra={"timer": due.key, "kind": due.kind})
                await self._record_failure(due, repr(error))
                return 1, 0
        return len(batch), len(fired)

    async def _fire_in_savepoint(self, due: DueTimer, uow: SqlUnitOfWork, now: datetime) -> str | None:
        """Run the timer's handler in a savepoint; None when it succeeded, else the error."""
        # A fresh outbox writer per timer: rows a failing handler queued are dropped with it,
        # those of a handler that succeeded are flushed inside its savepoint.
        uow.outbox = SqlOutbox(uow.session, now)
        try:
            async with uow.session.begin_nested():
                handler = self._handlers.get(due.kind)
                if handler is None:
                    raise LookupError(f"no handler registered for timer kind {due.kind!r}")
                await handler(due, uow)
                await uow.outbox.flush()
        except Exception as error:
            log.exception("timer %s failed", due.key, extra={"timer": due.key, "kind": due.kind})
            return repr(error)
        return None

    def _retry_at(self, due: DueTimer) -> datetime | None:
        """When a timer that just failed fires again; None once the policy gives up on it."""
        attempts = due.attempts + 1
        if self._policy.gives_up_after(attempts):
            return None
        return self._clock.now() + self._policy.delay(attempts)

    async def _record_failure(self, due: DueTimer, error: str) -> None:
        async with self._uow_factory() as uow:
            await timers.mark_failed_attempt(uow.session, due.id, error=error, retry_at=self._retry_at(due))
            await uow.commit()
