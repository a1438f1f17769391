"""Delivers outbox rows to their handlers, per destination lane, with retries, backoff and dead-lettering.

Each lane (Teams, Jira, GitLab, and the process's own work) claims only its own kinds and keeps
up to its concurrency in flight, taking a new row as soon as one finishes: a hung Jira call
holds one Jira slot, never a Teams page (before, one batch was gathered across all kinds, and a
hung Jira call held every Teams message behind it for its whole timeout).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from domain.clock import Clock
from domain.retry_policy import RetryPolicy
from storage import outbox
from storage.database import INTERACTIVE_WRITES, Database
from storage.group_commit import GroupCommit
from storage.outbox import OutboxMessage as OutboxMessage  # what handlers get; dialogs/ import it from here

log = logging.getLogger(__name__)

R = TypeVar("R")


@dataclass(frozen=True)
class Delivered:
    """A handler's answer when it has a proof of delivery to keep (the activity id Teams returned):
    `record` writes it in the very transaction that marks the row done, so there is never one
    without the other, and a delivery costs one write instead of two."""

    result: dict[str, Any] | None
    record: Callable[[AsyncSession], Awaitable[None]]


OutboxHandler = Callable[[OutboxMessage], Awaitable[dict[str, Any] | Delivered | None]]

TEAMS, JIRA, GITLAB, INTERNAL = "teams", "jira", "gitlab", "internal"
# How many rows of a lane are in flight at once. Teams answers in milliseconds and pages must
# not queue: its rows wait in the rate limiter, and 64 are 1.3 s of sending at 50 requests/s,
# enough to keep Teams busy while the timer tick holds SQLite's one writer (the relay claims and
# marks rows done only between the tick's batches). Jira and GitLab are slow and share a bounded
# pool of blocking threads each.
DEFAULT_CONCURRENCY: dict[str, int] = {TEAMS: 64, JIRA: 4, GITLAB: 2, INTERNAL: 4}
_LANE_OF_PREFIX = {"teams": TEAMS, "jira": JIRA, "gitlab": GITLAB, "postmortem": GITLAB}


def lane_of(kind: str) -> str:
    """The lane a kind is delivered in: the first peer its dotted name names ("jira.comment",
    "activities.gitlab.note" -> "gitlab"; postmortem writes go to GitLab); else INTERNAL."""
    return next((_LANE_OF_PREFIX[part] for part in kind.split(".") if part in _LANE_OF_PREFIX), INTERNAL)


class HandlerRegistry(Protocol):
    """Where delivery handlers are registered (the relay; a plain dict-backed fake in tests)."""

    def register(self, kind: str, handler: OutboxHandler) -> None: ...


class RetryLater(Exception):
    """The peer is busy or failed transiently; `retry_after` is what it asked for, if anything.

    `counts` False: this try was a wait (a create may still show up in the peer's search), not a
    failure, so it does not use up one of the row's attempts. `not_applied`: the peer said it did
    nothing (a 429), so a create that failed so is certain not to have happened. `waiting_for`
    names the event that ends the wait early (storage/outbox.py, wake_waiting).
    """

    def __init__(
        self,
        reason: str,
        retry_after: timedelta | None = None,
        *,
        counts: bool = True,
        not_applied: bool = False,
        waiting_for: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.counts = counts
        self.not_applied = not_applied
        self.waiting_for = waiting_for


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


@dataclass(frozen=True)
class Delivery:
    """One finished delivery attempt, as the metrics see it."""

    lane: str
    kind: str
    outcome: str  # delivered, retry, dead
    seconds: float


DeliveryObserver = Callable[[Delivery], None]
# Told of every row parked as dead (the row, and why), so the circle sees it: see app.py.
DeadRowHandler = Callable[[OutboxMessage, str], Awaitable[None]]


@dataclass(frozen=True)
class _DoneMark:
    row_id: int
    result: dict[str, Any] | None
    record: Callable[[AsyncSession], Awaitable[None]] | None


class _DoneMarks:
    """Group commit of finished deliveries (storage/group_commit.py): on SQLite every transaction
    waits its turn for the one writer, and a burst (a stand-up morning, a storm) finishes dozens of
    deliveries a second."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self._database = database
        self._clock = clock
        self._group: GroupCommit[_DoneMark, Exception | None] = GroupCommit(self._write_batch, name="outbox-done-marks")

    async def mark(self, row_id: int, delivered: dict[str, Any] | Delivered | None) -> None:
        """Return once the row is committed as done (with its record, if any)."""
        if isinstance(delivered, Delivered):
            mark = _DoneMark(row_id, delivered.result, delivered.record)
        else:
            mark = _DoneMark(row_id, delivered, None)
        if (error := await self._group.put(mark)) is not None:
            raise error

    async def _write_batch(self, batch: Sequence[_DoneMark]) -> list[Exception | None]:
        try:
            await self._write(batch)
            return [None] * len(batch)
        except Exception:
            # One bad record must not fail its neighbours: write them one by one.
            errors: list[Exception | None] = []
            for mark in batch:
                try:
                    await self._write([mark])
                    errors.append(None)
                except Exception as error:
                    errors.append(error)
            return errors

    async def _write(self, batch: Sequence[_DoneMark]) -> None:
        async with self._database.session() as session:
            for mark in batch:
                if mark.record is not None:
                    await mark.record(session)
            delivered = [(mark.row_id, mark.result) for mark in batch]
            await outbox.mark_all_delivered(session, delivered, now=self._clock.now())
            await session.commit()


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
        concurrency: Mapping[str, int] | None = None,
        rng: random.Random | None = None,
        name: str | None = None,
        on_delivery: DeliveryObserver | None = None,
    ) -> None:
        self._database = database
        self._handlers = dict(handlers)
        self._clock = clock
        self._policy = policy or RetryPolicy()
        self._timeout = delivery_timeout
        # The lease outlives the delivery timeout, so a live relay never loses a row it is working on.
        self._lease = delivery_timeout + timedelta(seconds=30)
        self._batch_size = batch_size
        self._concurrency = {**DEFAULT_CONCURRENCY, **(concurrency or {})}
        self._rng = rng or random.Random()
        self.name = name or f"relay-{uuid.uuid4().hex[:8]}"
        self.stats = RelayStats()
        self._on_delivery = on_delivery
        self._on_dead: list[DeadRowHandler] = []
        self._wakeups: dict[str, asyncio.Event] = {}
        self._stopping = False
        # One group commit per lane: the Teams lane's done marks are written with its priority.
        self._done_marks: dict[str, _DoneMarks] = {}

    def register(self, kind: str, handler: OutboxHandler) -> None:
        self._handlers[kind] = handler

    def observe(self, on_delivery: DeliveryObserver) -> None:
        """Be told of every finished attempt (the metrics)."""
        self._on_delivery = on_delivery

    def on_dead(self, handler: DeadRowHandler) -> None:
        """Be told of every row parked as dead (features show it to the circle)."""
        self._on_dead.append(handler)

    def notify(self, kinds: Iterable[str] | None = None) -> None:
        """Rows of `kinds` (None: of any kind) were queued: their lanes deliver now, not at the next poll.

        Only those lanes: every woken lane reads the outbox, and on SQLite that read is one more
        statement queued with the turns' (a declaration's card used to wake Jira and GitLab too).
        """
        lanes = self._wakeups.keys() if kinds is None else {self._lane_for(kind) for kind in kinds}
        for lane in lanes:
            if wakeup := self._wakeups.get(lane):
                wakeup.set()

    def _lane_for(self, kind: str) -> str:
        # A kind nobody registered is claimed by INTERNAL, which parks it as dead.
        return lane_of(kind) if kind in self._handlers else INTERNAL

    def lanes(self) -> dict[str, list[str]]:
        """Each lane with the kinds registered in it."""
        lanes: dict[str, list[str]] = {}
        for kind in sorted(self._handlers):
            lanes.setdefault(lane_of(kind), []).append(kind)
        return lanes

    async def run_once(self) -> int:
        """Claim one batch of due rows per lane and deliver them; returns how many rows were tried."""
        claimed = [await self._claim(lane, self._batch_size) for lane in self._lanes_with_unknown()]
        batch = [message for messages in claimed for message in messages]
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
        """Run every lane until stop(); a notify() cuts their waits short."""
        lanes = self._lanes_with_unknown()
        for lane in lanes:
            self._wakeups.setdefault(lane, asyncio.Event())
        await asyncio.gather(*(self._run_lane(lane, poll_interval) for lane in lanes))

    def stop(self) -> None:
        self._stopping = True
        self.notify()

    def _lanes_with_unknown(self) -> list[str]:
        # INTERNAL also claims kinds nobody registered, so they are parked as dead, not left pending.
        return sorted({*self.lanes(), INTERNAL})

    async def _claim(self, lane: str, limit: int) -> list[OutboxMessage]:
        if limit <= 0:
            return []
        now = self._clock.now()
        lanes = self.lanes()
        if lane == INTERNAL:
            filters: dict[str, Any] = {
                "exclude_kinds": [kind for other, kinds in lanes.items() if other != INTERNAL for kind in kinds]
            }
        else:
            filters = {"kinds": lanes[lane]}
        if self._database.dialect == "sqlite":
            # SQLite has one writer at a time, and every notify() wakes every lane: look before
            # queuing for the write lock, so lanes with nothing due do not delay the turns' commits.
            async with self._database.read_session() as session:
                if not await outbox.any_due(session, now=now, **filters):
                    return []
        async with self._database.session() as session:
            batch = await outbox.claim_due(
                session, now=now, lease_until=now + self._lease, owner=self.name, limit=limit, **filters
            )
            await session.commit()
        return [dataclasses.replace(message, save_progress=self._progress_saver(message.id)) for message in batch]

    async def _run_lane(self, lane: str, poll_interval: float) -> None:
        """Keep up to the lane's concurrency in flight; claim again when something may have become due.

        That is: a notify() for this lane, the poll interval, a delivery ending while the last
        claim filled every slot (more may wait), or a delivery of an ordered row ending (the next
        row of its ordering key is free now). A delivery ending otherwise frees a slot no row is
        waiting for: claiming then would only read the outbox to find nothing.
        """
        if lane == TEAMS:
            # Someone is waiting for these messages (a card, a page): on SQLite their claims and
            # done marks queue with the requests' writes, not behind an alert storm's ingestion.
            INTERACTIVE_WRITES.set(True)  # this lane's task and the deliveries it starts
        wakeup = self._wakeups[lane]
        in_flight: dict[asyncio.Task[None], OutboxMessage] = {}
        limit = max(1, self._concurrency.get(lane, DEFAULT_CONCURRENCY[INTERNAL]))
        claim, backlog = True, False
        while not self._stopping:
            if claim:
                wakeup.clear()
                room = limit - len(in_flight)
                claimed = 0
                try:
                    for message in await self._claim(lane, room):
                        claimed += 1
                        task = asyncio.create_task(self._deliver(message), name=f"outbox-{lane}-{message.id}")
                        in_flight[task] = message
                except Exception:
                    log.exception(
                        "outbox relay could not claim rows; will retry", extra={"relay": self.name, "lane": lane}
                    )
                backlog = claimed == room if room else backlog
            waiter: asyncio.Future[Any] = asyncio.ensure_future(wakeup.wait())
            # Wake for a new row (notify), a delivery ending or the next poll.
            done, _ = await asyncio.wait(
                {*in_flight, waiter}, timeout=poll_interval, return_when=asyncio.FIRST_COMPLETED
            )
            waiter.cancel()
            ended = [in_flight.pop(task) for task in list(in_flight) if task in done]
            claim = (
                not done
                or wakeup.is_set()
                or (backlog and bool(ended))
                or any(message.ordering_key for message in ended)
            )
        if in_flight:
            # Shutdown: let deliveries in flight finish (each is bounded by the delivery timeout).
            await asyncio.gather(*in_flight, return_exceptions=True)

    def _progress_saver(self, row_id: int) -> Callable[[dict[str, Any]], Awaitable[None]]:
        async def save(progress: dict[str, Any]) -> None:
            async with self._database.session() as session:
                kept = await outbox.save_progress(session, row_id, owner=self.name, progress=progress)
                await session.commit()
            if not kept:
                raise RetryLater("the outbox lease on this row was lost; another relay has it")

        return save

    async def _deliver(self, message: OutboxMessage) -> None:
        handler = self._handlers.get(message.kind)
        context = {"outbox_id": message.id, "kind": message.kind, "attempt": message.attempt}
        started = time.monotonic()
        outcome = "retry"
        try:
            if handler is None:
                raise PermanentFailure(f"no handler registered for {message.kind!r}")
            result = await asyncio.wait_for(handler(message), timeout=self._timeout.total_seconds())
        except PermanentFailure as error:
            log.error("outbox delivery failed for good: %s", error, extra=context)
            outcome = await self._record_failure(message, f"permanent: {error}", retry_after=None, give_up=True)
        except RetryLater as error:
            log.warning("outbox delivery deferred: %s", error, extra=context)
            outcome = await self._record_failure(
                message,
                str(error),
                retry_after=error.retry_after,
                give_up=False,
                counts=error.counts,
                waiting_for=error.waiting_for,
            )
        except TimeoutError:
            log.warning("outbox delivery timed out", extra=context)
            outcome = await self._record_failure(message, "timed out", retry_after=None, give_up=False)
        except Exception as error:
            log.warning("outbox delivery failed: %r", error, extra=context)
            outcome = await self._record_failure(message, repr(error), retry_after=None, give_up=False)
        else:
            try:
                lane = lane_of(message.kind)
                if lane not in self._done_marks:
                    self._done_marks[lane] = _DoneMarks(self._database, self._clock)
                await self._done_marks[lane].mark(message.id, result)
            except Exception as error:
                # Done but not recorded: it stays due, like a delivery whose process died here.
                log.warning("outbox delivery could not be recorded: %r", error, extra=context)
                outcome = await self._record_failure(
                    message, f"delivered but not recorded: {error!r}", retry_after=None, give_up=False
                )
            else:
                outcome = "delivered"
                self.stats.delivered += 1
                self.stats.by_kind[message.kind] = self.stats.by_kind.get(message.kind, 0) + 1
        if self._on_delivery is not None:
            self._on_delivery(Delivery(lane_of(message.kind), message.kind, outcome, time.monotonic() - started))

    async def _record_failure(
        self,
        message: OutboxMessage,
        error: str,
        *,
        retry_after: timedelta | None,
        give_up: bool,
        counts: bool = True,
        waiting_for: str | None = None,
    ) -> str:
        retry_at = None
        if not counts:
            retry_at = self._clock.now() + (retry_after or self._policy.base)
        elif not give_up and not self._policy.gives_up_after(message.attempt):
            delay = self._policy.delay(message.attempt, retry_after=retry_after, rng=self._rng)
            retry_at = self._clock.now() + delay
        async with self._database.session() as session:
            await outbox.mark_failed(
                session, message.id, error=error, retry_at=retry_at, refund_attempt=not counts, waiting_for=waiting_for
            )
            await session.commit()
        if retry_at is None:
            self.stats.dead += 1
            log.error(
                "outbox row parked as dead; `circlebot outbox retry %s` revives it",
                message.id,
                extra={"outbox_id": message.id, "kind": message.kind},
            )
            for report in self._on_dead:
                try:
                    await report(message, error)
                except Exception:
                    log.exception("could not report a dead outbox row", extra={"outbox_id": message.id})
            return "dead"
        self.stats.retried += 1
        return "retry"
