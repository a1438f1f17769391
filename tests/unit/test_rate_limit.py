"""Teams' limits: 7 messages/s and 60 per 30 s per thread, 50 requests/s per tenant.

Most tests here have Teams answer at once (`send`); the last ones are about slow answers.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.rate_limit import Rate, RateLimited, TeamsRateLimiter


class FakeMonotonic:
    """A monotonic clock that moves only when someone sleeps on it (or never, when frozen)."""

    def __init__(self, *, frozen: bool = False) -> None:
        self.now = 1000.0
        self.frozen = frozen
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if not self.frozen:
            self.now += seconds


def limiter(clock: FakeMonotonic, *, max_wait: float = 60.0) -> TeamsRateLimiter:
    """Teams' limits as documented, without our margin (the slack)."""
    return TeamsRateLimiter(
        max_wait=max_wait, slack=0.0, tenant_rates=(Rate(50, 1.0),), monotonic=clock, sleep=clock.sleep
    )


async def send(
    limiter: TeamsRateLimiter, thread: str = "19:incidents", tenant: str = "contoso", booking: str | None = None
) -> float:
    """A request that Teams answers at once; returns how long it waited for its slot."""
    async with limiter.slot(conversation_id=thread, tenant_id=tenant, booking=booking) as waited:
        return waited


async def test_seven_messages_to_a_thread_go_at_once_and_the_eighth_waits_for_the_next_second() -> None:
    clock = FakeMonotonic()
    teams = limiter(clock)

    waits = [await send(teams) for _ in range(8)]

    assert waits == [0.0] * 7 + [1.0]


async def test_the_61st_message_in_30_seconds_waits_even_when_spread_under_7_per_second() -> None:
    clock = FakeMonotonic()
    teams = limiter(clock)
    for _ in range(60):
        await send(teams)
        clock.now += 0.25  # 4 per second: well under 7/s; 60 of them take 15 s

    started = clock.now
    await send(teams)

    # The first of the 60 went at 1000.0; the 61st may go 30 s after it.
    assert clock.now == pytest.approx(1030.0)
    assert clock.now - started == pytest.approx(15.0)


async def test_the_tenant_limit_of_50_per_second_holds_across_threads() -> None:
    clock = FakeMonotonic()
    teams = limiter(clock)

    waits = [await send(teams, thread=f"19:circle-{n}") for n in range(51)]

    assert waits[:50] == [0.0] * 50
    assert waits[50] == pytest.approx(1.0)


async def test_tenants_do_not_share_a_limit() -> None:
    clock = FakeMonotonic()
    teams = limiter(clock)
    for n in range(50):
        await send(teams, thread=f"19:circle-{n}", tenant="contoso")

    assert await send(teams, thread="19:other", tenant="fabrikam") == 0.0


async def test_a_busy_thread_does_not_hold_up_other_threads_of_its_tenant() -> None:
    clock = FakeMonotonic(frozen=True)
    teams = limiter(clock)
    for _ in range(7):
        await send(teams, thread="19:busy")
    busy = asyncio.create_task(send(teams, thread="19:busy"))  # reserves a slot 1 s ahead
    await asyncio.sleep(0)

    assert await send(teams, thread="19:quiet") == 0.0
    assert await busy == 1.0


async def test_a_sender_waiting_for_the_next_second_does_not_make_the_limiter_forget_this_one() -> None:
    clock = FakeMonotonic(frozen=True)
    teams = limiter(clock)
    for n in range(50):
        await send(teams, thread=f"19:circle-{n}")
    waiting = asyncio.create_task(send(teams, thread="19:circle-50"))  # reserves 1 s ahead
    await asyncio.sleep(0)

    # Still within the first second: the 50 sent in it count, whatever the waiter looked ahead at.
    assert await send(teams, thread="19:circle-51") == 1.0
    assert await waiting == 1.0


async def test_a_wait_longer_than_allowed_is_refused_with_the_delay_so_the_relay_can_retry_later() -> None:
    clock = FakeMonotonic()
    teams = limiter(clock, max_wait=3.0)
    for _ in range(60):
        await send(teams)

    with pytest.raises(RateLimited) as refused:
        await send(teams)

    # 60 messages at 7/s took 8 s; the 61st must wait until 30 s after the first.
    assert clock.now == pytest.approx(1008.0)
    assert refused.value.delay == pytest.approx(22.0)
    assert clock.sleeps == [1.0] * 8  # the refused one did not sleep


async def test_a_refused_sender_keeps_its_slot_so_that_latecomers_queue_behind_it() -> None:
    # A storm's cards refused together: each keeps the slot it was refused for, so none of them
    # is refused again for a card that came later (and none has to win a race for the next slot).
    clock = FakeMonotonic(frozen=True)
    teams = limiter(clock, max_wait=0.5)
    for _ in range(7):
        await send(teams)
    refusals = []
    for n in range(7):
        with pytest.raises(RateLimited) as refused:
            await send(teams, booking=f"card-{n}")
        refusals.append(refused.value.delay)

    clock.now = 1000.6
    with pytest.raises(RateLimited) as latecomer:
        await send(teams)
    clock.now = 1001.0
    waits = [await send(teams, booking=f"card-{n}") for n in range(7)]

    assert refusals == [1.0] * 7
    assert latecomer.value.delay == pytest.approx(1.4)  # behind the seven kept slots
    assert waits == [0.0] * 7


async def test_concurrent_senders_queue_behind_each_other_instead_of_waking_together() -> None:
    clock = FakeMonotonic(frozen=True)
    teams = limiter(clock)

    waits = await asyncio.gather(*(send(teams) for _ in range(15)))

    assert sorted(waits) == [0.0] * 7 + [1.0] * 7 + [2.0]


async def test_slack_keeps_each_window_a_little_longer_than_teams_counts() -> None:
    clock = FakeMonotonic()
    teams = TeamsRateLimiter(slack=0.05, tenant_rates=(Rate(50, 1.0),), monotonic=clock, sleep=clock.sleep)

    waits = [await send(teams) for _ in range(8)]

    assert waits[7] == pytest.approx(1.05)


class VirtualTime:
    """Many concurrent sleepers on one clock that jumps to the next wake-up; chosen sleepers wake late."""

    def __init__(self, late_by: list[float]) -> None:
        self.now = 1000.0
        self._late_by = late_by  # how late the 1st, 2nd, ... sleeper wakes (a busy event loop)
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        late = self._late_by.pop(0) if self._late_by else 0.0
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.now + seconds + late, len(self._sleepers), woken))
        await woken

    async def run(self, work: list[asyncio.Task[None]]) -> None:
        while not all(task.done() for task in work):
            for _ in range(5):
                await asyncio.sleep(0)  # let everyone who can go on reach their next sleep
            waiting = sorted((s for s in self._sleepers if not s[2].done()), key=lambda s: s[:2])
            if waiting:
                self.now = max(self.now, waiting[0][0])
                waiting[0][2].set_result(None)


async def test_a_sender_woken_late_by_a_busy_loop_still_keeps_every_window_within_the_limit() -> None:
    # The first sender that has to wait wakes 0.3 s late. Had it gone then on its old slot, it
    # and the 50 sent one second after that slot would be 51 in one second at Teams.
    clock = VirtualTime(late_by=[0.3])
    teams = TeamsRateLimiter(slack=0.0, monotonic=clock, sleep=clock.sleep, max_wait=60.0)
    departures: list[float] = []

    async def sender(n: int) -> None:
        async with teams.slot(conversation_id=f"19:circle-{n}", tenant_id="contoso"):
            departures.append(clock.now)

    work = [asyncio.create_task(sender(n)) for n in range(150)]
    await clock.run(work)

    busiest = max(sum(1 for d in departures if start <= d < start + 1.0 - 1e-9) for start in departures)
    assert len(departures) == 150 and busiest == 50


async def test_answers_that_come_late_hold_the_next_second_back_by_as_much() -> None:
    # Teams took 0.3 s to answer each of the first 50: they may have arrived then, so the 51st,
    # planned a second after they left, goes a second after they were answered.
    clock = VirtualTime(late_by=[])
    teams = TeamsRateLimiter(slack=0.0, monotonic=clock, sleep=clock.sleep, max_wait=60.0)
    departures: list[float] = []

    async def sender(n: int) -> None:
        async with teams.slot(conversation_id=f"19:circle-{n}", tenant_id="contoso"):
            departures.append(clock.now)
            await clock.sleep(0.3)

    work = [asyncio.create_task(sender(n)) for n in range(51)]
    await clock.run(work)

    assert departures[:50] == [1000.0] * 50
    assert departures[50] == pytest.approx(1001.3)


async def test_requests_still_in_flight_hold_their_slots_until_they_are_answered() -> None:
    clock = VirtualTime(late_by=[])
    teams = TeamsRateLimiter(slack=0.0, monotonic=clock, sleep=clock.sleep, max_wait=60.0)
    departures: list[float] = []

    async def sender(n: int, answered_after: float) -> None:
        async with teams.slot(conversation_id=f"19:circle-{n}", tenant_id="contoso"):
            departures.append(clock.now)
            await clock.sleep(answered_after)

    # The first 50 are answered 2 s or more after they left: until then Teams may still count
    # them, and the first answered (at 1002) may have arrived just then.
    work = [asyncio.create_task(sender(n, 2.0 + n * 0.01)) for n in range(51)]
    await clock.run(work)

    assert departures[50] == pytest.approx(1003.0)


async def test_a_teams_that_does_not_answer_gets_no_more_requests_and_the_caller_is_told_to_come_back() -> None:
    clock = VirtualTime(late_by=[])
    teams = TeamsRateLimiter(slack=0.0, monotonic=clock, sleep=clock.sleep, max_wait=3.0)

    async def hanging(n: int) -> None:
        async with teams.slot(conversation_id=f"19:circle-{n}", tenant_id="contoso"):
            await clock.sleep(120.0)  # the connector's read timeout

    async def the_51st() -> None:
        with pytest.raises(RateLimited):
            await send(teams, thread="19:circle-50")
        refused_at.append(clock.now)

    refused_at: list[float] = []
    hangs = [asyncio.create_task(hanging(n)) for n in range(50)]
    await clock.run([*hangs, asyncio.create_task(the_51st())])

    assert refused_at == [pytest.approx(1003.0)]


async def test_conversations_that_got_one_message_long_ago_are_forgotten() -> None:
    clock = FakeMonotonic()
    teams = limiter(clock)
    for n in range(1000):
        await send(teams, thread=f"a:chat-{n}")
    clock.now += 61.0

    await send(teams, thread="a:chat-new")

    assert teams._threads.held_keys() == ["a:chat-new"]
    assert teams._thread_occupancy.held_keys() == ["a:chat-new"]
