"""Teams' proactive-message limits, enforced before each request.

Two parts. A plan: sliding-window logs of departures give each request its slot, up front, so
concurrent senders queue instead of waking together and a long wait is known at once. A check:
Teams counts arrivals, not our departures, so a request only leaves if, counting those still in
flight and those answered within the last period, the limit still has room (`Occupancy`). The
check costs throughput in proportion to the round trip (≈ limit / (period + round trip)): on a
LAN ~1 %, across the internet to Teams (~150 ms) ~13 %; that is the price of never earning a 429.

Why not a library: aiolimiter is a single-rate leaky bucket (a 60-per-30 s bucket admits ~119
messages in a sliding 30 s window, which Teams throttles), reads the loop clock and cannot say
how long a caller would wait; pyrate-limiter has multi-rate sliding windows, but we need two keys
(thread and tenant) reserved together, all-or-nothing, and the wait known up front so a long wait
becomes a RetryLater instead of a blocked relay. Those are the small classes below.

The limits are per process. With N replicas, give each 1/N of the tenant rate. The outbox hands
out one row per thread at a time, so a thread's messages are spaced by the round trip even when
consecutive ones land on different replicas, but nothing stronger holds across replicas: a 429
from Teams is still retried with its Retry-After; the limiter only keeps us from earning one.
"""

from __future__ import annotations

import asyncio
import bisect
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    """At most `limit` requests in any `period` seconds."""

    limit: int
    period: float


# https://learn.microsoft.com/microsoftteams/platform/bots/how-to/rate-limit
THREAD_RATES: tuple[Rate, ...] = (Rate(7, 1.0), Rate(60, 30.0))  # per bot, per conversation/thread
TENANT_RATES: tuple[Rate, ...] = (Rate(50, 1.0),)  # per app, per tenant, all conversations

# Teams counts arrivals, we plan departures: the plan keeps each window this much longer, about
# a round trip, so that the answers (see Occupancy) rarely have to hold a planned request back.
DEFAULT_SLACK = 0.01

# (t + window) - t is not always window in floating point; a nanosecond settles it.
_ROUNDING = 1e-9

# A refused caller coming back this late for its kept slot gets a new one.
_LATE = 0.002

# Slots kept for refused callers, at most; past ones are dropped beyond it.
_MAX_BOOKINGS = 10_000

# How often the logs of conversations that got no message for a while are dropped.
_SWEEP_EVERY = 60.0


class RateLimited(Exception):
    """No slot within the allowed wait; try again after `delay` seconds."""

    def __init__(self, key: str, delay: float) -> None:
        super().__init__(f"Teams rate limit for {key} leaves no slot for {delay:.1f}s")
        self.key = key
        self.delay = delay


def _drop_up_to(moments_by_key: dict[str, list[float]], key: str, up_to: float) -> None:
    """Drop `key`'s sorted moments up to `up_to`, and the key itself once none is left."""
    moments = moments_by_key.get(key)
    if moments is None:
        return
    del moments[: bisect.bisect_right(moments, up_to)]
    if not moments:
        del moments_by_key[key]


class SlidingWindowLog:
    """Send times per key (past and reserved); answers when one more send breaks no rate."""

    def __init__(self, rates: Sequence[Rate], slack: float) -> None:
        self._windows = tuple((rate.limit, rate.period * (1 + slack)) for rate in rates)
        self._longest = max(window for _, window in self._windows)
        self._sends: dict[str, list[float]] = {}

    def earliest(self, key: str, not_before: float) -> float:
        """The first moment >= not_before at which one more send keeps every rate."""
        # Sends a whole window before `not_before` cannot matter to it; they are not forgotten
        # here, though, because a caller asking at the real "now" may still need them.
        all_sends = self._sends.get(key, [])
        sends = all_sends[bisect.bisect_right(all_sends, not_before - self._longest) :]
        # A send becomes possible either now or exactly when an earlier one leaves a window.
        leaving = {sent + window for sent in sends for _, window in self._windows}
        candidates = sorted({not_before} | {moment for moment in leaving if moment > not_before})
        return next(moment for moment in candidates if self._fits(sends, moment))

    def reserve(self, key: str, moment: float) -> None:
        bisect.insort(self._sends.setdefault(key, []), moment)

    def release(self, key: str, moment: float) -> None:
        """Give back a reservation made with `reserve`."""
        sends = self._sends.get(key, [])
        position = bisect.bisect_left(sends, moment)
        if position < len(sends) and sends[position] == moment:
            del sends[position]

    def _fits(self, sends: list[float], moment: float) -> bool:
        merged = [*sends]
        position = bisect.bisect_right(merged, moment)
        merged.insert(position, moment)
        for limit, window in self._windows:
            # At most `limit` sends in any window ⇔ every run of limit+1 sends spans the window.
            first = max(0, position - limit)
            last = min(position, len(merged) - 1 - limit)
            if any(merged[i + limit] - merged[i] < window - _ROUNDING for i in range(first, last + 1)):
                return False
        return True

    def forget_before(self, key: str, now: float) -> None:
        """Drop sends that no request from `now` on can be counted with (call with the real now)."""
        _drop_up_to(self._sends, key, now - self._longest)

    def held_keys(self) -> list[str]:
        return list(self._sends)


class Occupancy:
    """Requests Teams may still count, per key: those in flight, and those answered less than a
    period ago. Planning departures is not enough: Teams counts arrivals, and a request that left
    on time may arrive late (a busy loop, a slow network) next to one that left a window later.
    A request arrives between its departure and its answer, so if at most `limit` requests are
    in flight or answered within the last `period` whenever one more leaves, no window of
    `period` at Teams can hold more than `limit`, whatever the latency (a semaphore whose permit
    comes back a period after the answer)."""

    def __init__(self, rates: Sequence[Rate]) -> None:
        self._rates = tuple(rates)
        self._longest = max(rate.period for rate in self._rates)
        self._in_flight: dict[str, int] = {}
        self._answers: dict[str, list[float]] = {}

    def free_at(self, key: str, now: float) -> float | None:
        """None if one more request may leave now; else the moment it may (math.inf: at an answer)."""
        in_flight = self._in_flight.get(key, 0)
        answers = self._answers.get(key, [])
        free_at: float | None = None
        for rate in self._rates:
            recent = answers[bisect.bisect_right(answers, now - rate.period + _ROUNDING) :]
            excess = in_flight + len(recent) - rate.limit + 1
            if excess <= 0:
                continue
            # The oldest answers leave the window first; if they are not enough, only an answer
            # to a request now in flight can make room.
            moment = recent[excess - 1] + rate.period if excess <= len(recent) else math.inf
            free_at = moment if free_at is None else max(free_at, moment)
        return free_at

    def depart(self, key: str) -> None:
        self._in_flight[key] = self._in_flight.get(key, 0) + 1

    def answered(self, key: str, now: float) -> None:
        """The request that left under `key` has its answer (or its failure) at `now`."""
        left = self._in_flight.get(key, 0) - 1
        if left > 0:
            self._in_flight[key] = left
        else:
            self._in_flight.pop(key, None)
        bisect.insort(self._answers.setdefault(key, []), now)

    def forget_before(self, key: str, now: float) -> None:
        """Drop answers that no request from `now` on can be counted with (call with the real now)."""
        _drop_up_to(self._answers, key, now - self._longest)

    def held_keys(self) -> list[str]:
        return list(self._answers)


class TeamsRateLimiter:
    """Waits for a slot under the thread and tenant limits, or raises RateLimited if it is too far."""

    def __init__(
        self,
        *,
        thread_rates: Sequence[Rate] = THREAD_RATES,
        tenant_rates: Sequence[Rate] = TENANT_RATES,
        max_wait: float = 3.0,
        slack: float = DEFAULT_SLACK,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._threads = SlidingWindowLog(thread_rates, slack)
        self._tenants = SlidingWindowLog(tenant_rates, slack)
        self._max_wait = max_wait
        self._monotonic = monotonic
        self._sleep = sleep
        self._bookings: dict[str, tuple[str, str, float]] = {}
        self._thread_occupancy = Occupancy(thread_rates)
        self._tenant_occupancy = Occupancy(tenant_rates)
        self._an_answer = asyncio.Event()
        self._next_sweep = -math.inf

    @asynccontextmanager
    async def slot(
        self, *, conversation_id: str, tenant_id: str | None, booking: str | None = None
    ) -> AsyncIterator[float]:
        """Wait until a request to `conversation_id` may go, and send it inside the block (the
        block's end is taken as its answer); yields how long it waited.

        With a `booking` name (the outbox key), a refusal (RateLimited) keeps the slot it computed
        for that name: the caller comes back shortly before it (RateLimited.delay) and goes then.
        Without it, a storm's thousand cards refused together would all come back for the same
        next slot.
        """
        tenant = tenant_id or "unknown-tenant"
        waited = await self._depart(conversation_id, tenant, booking)
        try:
            yield waited
        finally:
            now = self._monotonic()
            self._thread_occupancy.answered(conversation_id, now)
            self._tenant_occupancy.answered(tenant, now)
            self._an_answer.set()
            self._an_answer = asyncio.Event()

    async def _depart(self, conversation_id: str, tenant: str, booking: str | None) -> float:
        started = now = self._monotonic()
        self._forget_before(conversation_id, tenant, now)
        moment = self._booked(booking, conversation_id, tenant, now)
        if moment is None:
            moment = self._earliest_for_both(conversation_id, tenant, now)
            self._reserve(conversation_id, tenant, moment)
        delay = moment - now
        if delay > self._max_wait:
            if booking is None:
                self._release(conversation_id, tenant, moment)
            else:
                self._bookings[booking] = (conversation_id, tenant, moment)
            raise RateLimited(f"conversation {conversation_id} / tenant {tenant}", delay)
        if delay > 0:
            # The slot is reserved before sleeping, with no await in between, so concurrent
            # callers queue behind it instead of all waking up at the same instant.
            await self._sleep(delay)
            now = self._monotonic()
        # Woken late by a busy loop or not, what decides is what Teams may still count (the plan
        # only spreads the senders); woken a hair early by the timer's resolution, it goes now.
        give_up_at = started + self._max_wait
        while (free_at := self._free_at(conversation_id, tenant, max(now, moment))) is not None:
            if now >= give_up_at:
                # Teams is slow to answer what we already sent; waiting on would hold a relay slot.
                self._release(conversation_id, tenant, moment)
                raise RateLimited(f"conversation {conversation_id} / tenant {tenant}", self._max_wait)
            await self._until_answer_or(min(free_at, give_up_at) - now)
            now = self._monotonic()
        self._thread_occupancy.depart(conversation_id)
        self._tenant_occupancy.depart(tenant)
        return max(now, moment) - started

    def _free_at(self, conversation_id: str, tenant: str, now: float) -> float | None:
        in_thread = self._thread_occupancy.free_at(conversation_id, now)
        in_tenant = self._tenant_occupancy.free_at(tenant, now)
        return max((moment for moment in (in_thread, in_tenant) if moment is not None), default=None)

    async def _until_answer_or(self, seconds: float) -> None:
        """Sleep `seconds`, or less if an answer comes in meanwhile."""
        answer = asyncio.ensure_future(self._an_answer.wait())
        timer = asyncio.ensure_future(self._sleep(seconds))
        try:
            await asyncio.wait((answer, timer), return_when=asyncio.FIRST_COMPLETED)
        finally:
            answer.cancel()
            timer.cancel()

    def _forget_before(self, conversation_id: str, tenant: str, now: float) -> None:
        self._threads.forget_before(conversation_id, now)
        self._tenants.forget_before(tenant, now)
        self._thread_occupancy.forget_before(conversation_id, now)
        self._tenant_occupancy.forget_before(tenant, now)
        if now >= self._next_sweep:
            # Thousands of conversations get a message now and then; forget the idle ones too.
            self._next_sweep = now + _SWEEP_EVERY
            for key in self._threads.held_keys():
                self._threads.forget_before(key, now)
            for key in self._thread_occupancy.held_keys():
                self._thread_occupancy.forget_before(key, now)

    def _booked(self, booking: str | None, conversation_id: str, tenant: str, now: float) -> float | None:
        """The slot kept for `booking` if it is still ahead (or only just passed); else None."""
        if booking is None or (booked := self._bookings.pop(booking, None)) is None:
            if len(self._bookings) > _MAX_BOOKINGS:
                # Callers that never came back (their row went dead, or to another replica).
                self._bookings = {name: b for name, b in self._bookings.items() if b[2] > now}
            return None
        booked_conversation, booked_tenant, moment = booked
        if (booked_conversation, booked_tenant) == (conversation_id, tenant) and now - moment <= _LATE:
            return moment
        self._release(booked_conversation, booked_tenant, moment)
        return None

    def _reserve(self, conversation_id: str, tenant: str, moment: float) -> None:
        self._threads.reserve(conversation_id, moment)
        self._tenants.reserve(tenant, moment)

    def _release(self, conversation_id: str, tenant: str, moment: float) -> None:
        self._threads.release(conversation_id, moment)
        self._tenants.release(tenant, moment)

    def _earliest_for_both(self, conversation_id: str, tenant: str, now: float) -> float:
        # Each log only moves the moment later, and only to one of finitely many candidates.
        moment = now
        while True:
            in_thread = self._threads.earliest(conversation_id, moment)
            in_tenant = self._tenants.earliest(tenant, in_thread)
            if in_tenant == in_thread:
                return in_thread
            moment = in_tenant
