"""Delivers outbox rows to their handlers, with retries, backoff and dead-lettering."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from domain.clock import Clock
from domain.retry_policy import RetryPolicy
from storage import outbox
from storage.database import Database
from storage.outbox import OutboxMessage

log = logging.getLogger(__name__)

OutboxHandler = Callable[[OutboxMessage], Awaitable[dict[str, Any] | None]]
R = TypeVar("R")


class HandlerRegistry(Protocol):
    """Where delivery handlers are registered (the relay; a plain dict-backed fake in tests)."""

    def register(self, kind: str, handler: OutboxHandler) -> None: ...


class RetryLater(Exception):
    """The peer is busy or failed transiently; `retry_after` is what it asked for, if anything."""

    def __init__(self, reason: str, retry_after: timedelta | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentFailure(Exception):
    """Retrying cannot help (bad request, missing permission): park the row as dead now."""


def parse_payload(parse: Callable[[dict[str, Any]], R], message: OutboxMessage) -> R:
    """The row's payload read by `parse`; a malformed row never heals by itself, so it is parked."""
    try:
        return parse(message.payload)
    except (ValueError, KeyError, TypeError) as error:
        raise PermanentFailure(f"malformed {message.kind} outbox payload: {error}") from None


@dataclass
class RelayStats:
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


class OutboxRelay:
    """One relay per process; several may share PostgreSQL, and each row goes to exactly one.

    A row is leased before delivery. If the process dies mid-delivery, the lease expires and
    another relay takes the row: delivery is at-least-once, and handlers make it effectively
    once with the row's idempotency key.
    """

    def __init__(
        self,
        database: Database,
        handlers: Mapping[str, OutboxHandler],
        clock: Clock,
        *,
        policy: RetryPolicy | None = None,
        delivery_timeout: timedelta = timedelta(seconds=20),
        batch_size: int = 20,
        rng: random.Random | None = None,
        name: str | None = None,
    ) -> None:
        self._database = database
        self._handlers = dict(handlers)
        self._clock = clock
        self._policy = policy or RetryPolicy()
        self._timeout = delivery_timeout
        # The lease outlives the delivery timeout, so a live relay never loses a row it is working on.
        self._lease = delivery_timeout + timedelta(seconds=30)
        self._batch_size = batch_size
        self._rng = rng or random.Random()
        self.name = name or f"relay-{uuid.uuid4().hex[:8]}"
        self.stats = RelayStats()
        self._wakeup = asyncio.Event()
        self._stopping = False

    def register(self, kind: str, handler: OutboxHandler) -> None:
        self._handlers[kind] = handler

    def notify(self) -> None:
        """Something was queued: deliver now instead of at the next poll."""
        self._wakeup.set()

    async def run_once(self) -> int:
        """Claim one batch of due rows and deliver it; returns how many rows were tried."""
        now = self._clock.now()
        async with self._database.session() as session:
            batch = await outbox.claim_due(
                session, now=now, lease_until=now + self._lease, owner=self.name, limit=self._batch_size
            )
            await session.commit()
        await asyncio.gather(*(self._deliver(message) for message in batch))
        return len(batch)

    async def drain(self, max_rounds: int = 100) -> int:
        """Deliver until nothing is due (tests, CLI); returns rows tried."""
        total = 0
        for _ in range(max_rounds):
            tried = await self.run_once()
            if not tried:
                break
            total += tried
        return total

    async def run_forever(self, poll_interval: float = 1.0) -> None:
        """Poll until stop(); a notify() cuts the wait short."""
        while not self._stopping:
            try:
                while await self.run_once() and not self._stopping:
                    pass
            except Exception:
                log.exception("outbox relay round failed; will retry", extra={"relay": self.name})
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=poll_interval)

    def stop(self) -> None:
        self._stopping = True
        self._wakeup.set()

    async def _deliver(self, message: OutboxMessage) -> None:
        handler = self._handlers.get(message.kind)
        context = {"outbox_id": message.id, "kind": message.kind, "attempt": message.attempt}
        try:
            if handler is None:
                raise PermanentFailure(f"no handler registered for {message.kind!r}")
            result = await asyncio.wait_for(handler(message), timeout=self._timeout.total_seconds())
        except PermanentFailure as error:
            log.error("outbox delivery failed for good: %s", error, extra=context)
            await self._record_failure(message, f"permanent: {error}", retry_after=None, give_up=True)
        except RetryLater as error:
            log.warning("outbox delivery deferred: %s", error, extra=context)
            await self._record_failure(message, str(error), retry_after=error.retry_after, give_up=False)
        except TimeoutError:
            log.warning("outbox delivery timed out", extra=context)
            await self._record_failure(message, "timed out", retry_after=None, give_up=False)
        except Exception as error:
            log.warning("outbox delivery failed: %r", error, extra=context)
            await self._record_failure(message, repr(error), retry_after=None, give_up=False)
        else:
            async with self._database.session() as session:
                await outbox.mark_delivered(session, message.id, now=self._clock.now(), result=result)
                await session.commit()
            self.stats.delivered += 1
            self.stats.by_kind[message.kind] = self.stats.by_kind.get(message.kind, 0) + 1

    async def _record_failure(
        self, message: OutboxMessage, error: str, *, retry_after: timedelta | None, give_up: bool
    ) -> None:
        retry_at = None
        if not give_up and not self._policy.gives_up_after(message.attempt):
            delay = self._policy.delay(message.attempt, retry_after=retry_after, rng=self._rng)
            retry_at = self._clock.now() + delay
        async with self._database.session() as session:
            await outbox.mark_failed(session, message.id, error=error, retry_at=retry_at)
            await session.commit()
        if retry_at is None:
            self.stats.dead += 1
            log.error(
                "outbox row parked as dead; `circlebot outbox retry %s` revives it",
                message.id,
                extra={"outbox_id": message.id, "kind": message.kind},
            )
        else:
            self.stats.retried += 1
