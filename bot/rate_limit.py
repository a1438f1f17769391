"""Teams' proactive-message limits, enforced before each request with sliding-window logs.

Why not a library: aiolimiter is a single-rate leaky bucket (a 60-per-30 s bucket admits ~119
messages in a sliding 30 s window, which Teams throttles), reads the loop clock and cannot say
how long a caller would wait; pyrate-limiter has multi-rate sliding windows, but we need two keys
(thread and tenant) reserved together, all-or-nothing, and the wait known up front so a long wait
becomes a RetryLater instead of a blocked relay. That is the small class below.

The limits are per process. With N replicas, give each 1/N of the tenant rate. The outbox hands
out one row per thread at a time, so a thread's messages are spaced by the round trip even when
consecutive ones land on different replicas, but nothing stronger holds across replicas: a 429
from Teams is still retried with its Retry-After; the limiter only keeps us from earning one.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    """At most `limit` requests in any `period` seconds."""

    limit: int
    period: float


# https://learn.microsoft.com/microsoftteams/platform/bots/how-to/rate-limit
THREAD_RATES: tuple[Rate, ...] = (Rate(7, 1.0), Rate(60, 30.0))  # per bot, per conversation/thread
# Per app, per tenant, all conversations; and at most 5 in any 100 ms: a burst of 50 leaves at
# once but is taken in by Teams over tens of milliseconds, so the last of one burst could be
# counted in the same second as the first of the next (a 429 in 1 of ~500 requests, measured
# with benchmarks/standups.py against a fake Teams in a process of its own).
TENANT_RATES: tuple[Rate, ...] = (Rate(50, 1.0), Rate(5, 0.1))

# Teams counts arrivals, we count departures: network jitter can squeeze requests sent a full
# window apart into one window on their side, so every window is kept 5 % longer.
DEFAULT_SLACK = 0.05

# (t + window) - t is not always window in floating point; a nanosecond settles it.
_ROUNDING = 1e-9

# Waking this much after the reserved moment is on time; later, the reservation is moved.
_LATE = 0.002

# Slots kept for refused callers, at most; past ones are dropped beyond it.
_MAX_BOOKINGS = 10_000


class RateLimited(Exception):
    """No slot within the allowed wait; try again after `delay` seconds."""

    def __init__(self, key: str, delay: float) -> None:
        super().__init__(f"Teams rate limit for {key} leaves no slot for {delay:.1f}s")
        self.key = key
        self.delay = delay


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
        sends = self._sends.get(key)
        if sends is None:
            return
        del sends[: bisect.bisect_right(sends, now - self._longest)]
        if not sends:
            # Thousands of conversations each get a message now and then: forget idle ones.
            del self._sends[key]


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

    async def acquire(self, *, conversation_id: str, tenant_id: str | None, booking: str | None = None) -> float:
        """Wait until a request to `conversation_id` may go; returns how long it waited.

        With a `booking` name (the outbox key), a refusal keeps the slot it computed for that name:
        the caller comes back shortly before it (RateLimited.delay) and goes then. Without it, a
        storm's thousand cards refused together would all come back for the same next slot.
        """
        tenant = tenant_id or "unknown-tenant"
        started = now = self._monotonic()
        self._threads.forget_before(conversation_id, now)
        self._tenants.forget_before(tenant, now)
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
        while True:
            # The slot is reserved before sleeping, with no await in between, so concurrent
            # callers queue behind it instead of all waking up at the same instant.
            if delay <= 0:
                return moment - started
            await self._sleep(delay)
            now = self._monotonic()
            if now - moment <= _LATE:
                return moment - started
            # A busy event loop woke us late: the request goes now, not at the reserved moment,
            # and a slot that late may break a window the callers after us were fitted into.
            # Move the reservation to the real departure, or further if it does not fit there.
            self._release(conversation_id, tenant, moment)
            moment = self._earliest_for_both(conversation_id, tenant, now)
            self._reserve(conversation_id, tenant, moment)
            delay = moment - now

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
