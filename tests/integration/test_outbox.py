"""The transactional outbox: nothing lost, nothing doubled, whatever the peer or the process does."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from adapters.outbox_relay import Delivered, OutboxRelay, PermanentFailure, RetryLater
from domain.clock import FixedClock
from domain.retry_policy import RetryPolicy
from storage import outbox, sent_messages
from storage.database import Database
from storage.outbox import OutboxMessage, OutboxRow
from storage.timers import TimerRow
from storage.unit_of_work import UnitOfWorkFactory
from tests.support.fake_service import FakeTicketService


async def rows(database: Database) -> list[OutboxRow]:
    async with database.session() as session:
        return list((await session.exec(select(OutboxRow).order_by(OutboxRow.id))).all())  # type: ignore[arg-type]


def relay_for(database: Database, clock: FixedClock, handlers: dict[str, Any], **options: Any) -> OutboxRelay:
    return OutboxRelay(database, handlers, clock, **options)


async def test_outbox_row_commits_with_the_state_change_or_not_at_all(
    database: Database, uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    async with uow_factory() as uow:
        await uow.timers.schedule("sla.warn", "sla:INC-1", clock.now(), {"incident": "INC-1"})
        uow.outbox.add("jira.create", {"title": "kept"}, idempotency_key="jira:INC-1")
        await uow.commit()
    async with uow_factory() as uow:
        await uow.timers.schedule("sla.warn", "sla:INC-2", clock.now(), {"incident": "INC-2"})
        uow.outbox.add("jira.create", {"title": "dropped"}, idempotency_key="jira:INC-2")
        # no commit: leaving the block rolls both back

    assert [row.payload["title"] for row in await rows(database)] == ["kept"]
    async with database.session() as session:
        assert [t.key for t in (await session.exec(select(TimerRow))).all()] == ["sla:INC-1"]


async def test_queueing_the_same_idempotency_key_twice_keeps_one_row(
    database: Database, uow_factory: UnitOfWorkFactory
) -> None:
    for title in ("first", "second"):
        async with uow_factory() as uow:
            uow.outbox.add("jira.create", {"title": title}, idempotency_key="jira:INC-1")
            await uow.commit()
    assert [row.payload["title"] for row in await rows(database)] == ["first"]


async def test_relay_delivers_and_records_the_result(
    database: Database, uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    service = FakeTicketService()
    async with uow_factory() as uow:
        uow.outbox.add("jira.create", {"title": "Checkout 500s"}, idempotency_key="jira:INC-1")
        await uow.commit()

    assert await relay_for(database, clock, {"jira.create": service.deliver}).drain() == 1

    [row] = await rows(database)
    assert (row.status, row.result, row.attempts) == ("done", {"key": "T-1"}, 1)
    assert service.creates == 1


async def test_deliveries_that_finish_together_are_marked_done_in_one_transaction_with_their_records(
    database: Database, uow_factory: UnitOfWorkFactory, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with uow_factory() as uow:
        for n in range(5):
            uow.outbox.add("teams.send", {"n": n}, idempotency_key=f"teams:{n}")
        await uow.commit()
    marked: list[list[int]] = []
    mark_all_delivered = outbox.mark_all_delivered

    async def spy(session: Any, delivered: Any, *, now: Any) -> None:
        marked.append([row_id for row_id, _ in delivered])
        await mark_all_delivered(session, delivered, now=now)

    monkeypatch.setattr(outbox, "mark_all_delivered", spy)

    async def post(message: OutboxMessage) -> Delivered:
        async def record(session: Any) -> None:
            await sent_messages.record(
                session, key=message.idempotency_key, conversation_id="19:c", activity_id=f"a{message.payload['n']}",
                now=clock.now(),
            )  # fmt: skip

        return Delivered({"activity_id": f"a{message.payload['n']}"}, record)

    assert await relay_for(database, clock, {"teams.send": post}).drain() == 5

    assert len(marked) == 1 and len(marked[0]) == 5
    assert [(row.status, row.result) for row in await rows(database)] == [
        ("done", {"activity_id": f"a{n}"}) for n in range(5)
    ]
    async with database.session() as session:
        recorded = [await sent_messages.lookup(session, f"teams:{n}") for n in range(5)]
    assert [sent.activity_id if sent else None for sent in recorded] == [f"a{n}" for n in range(5)]


async def test_a_record_that_cannot_be_written_fails_its_own_row_only_and_leaves_it_due(
    database: Database, uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    async with uow_factory() as uow:
        for n in range(3):
            uow.outbox.add("teams.send", {"n": n}, idempotency_key=f"teams:{n}")
        await uow.commit()

    async def post(message: OutboxMessage) -> Delivered:
        async def record(session: Any) -> None:
            if message.payload["n"] == 1:
                raise RuntimeError("disk full")
            await sent_messages.record(
                session, key=message.idempotency_key, conversation_id="19:c", activity_id="a", now=clock.now()
            )

        return Delivered({"n": message.payload["n"]}, record)

    relay = relay_for(database, clock, {"teams.send": post})
    await relay.drain(max_rounds=1)

    statuses = [(row.status, row.last_error) for row in await rows(database)]
    assert statuses[0] == ("done", None) and statuses[2] == ("done", None)
    assert statuses[1][0] == "pending" and "delivered but not recorded" in (statuses[1][1] or "")
    async with database.session() as session:
        assert await sent_messages.lookup(session, "teams:1") is None
        assert await sent_messages.lookup(session, "teams:2") is not None


async def test_row_claimed_by_a_relay_that_died_is_delivered_by_another_after_the_lease(
    database: Database, uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    service = FakeTicketService()
    async with uow_factory() as uow:
        uow.outbox.add("jira.create", {"title": "x"}, idempotency_key="jira:INC-1")
        await uow.commit()
    # Relay A leases the row and dies before delivering (we simply never call its delivery).
    async with database.session() as session:
        claimed = await outbox.claim_due(
            session, now=clock.now(), lease_until=clock.now() + timedelta(minutes=1), owner="dead", limit=10
        )
        await session.commit()
    assert len(claimed) == 1

    survivor = relay_for(database, clock, {"jira.create": service.deliver})
    assert await survivor.drain() == 0  # still leased by the dead relay
    clock.advance(timedelta(minutes=2))
    assert await survivor.drain() == 1
    assert service.creates == 1


def test_a_process_killed_between_commit_and_delivery_loses_nothing(database_url: str) -> None:
    # A real process commits an outbox row and dies at once (os._exit: no cleanup, no delivery).
    script = textwrap.dedent(
        f"""
        import asyncio, os
        from domain.clock import SystemClock
        from storage.database import Database
        from storage.unit_of_work import UnitOfWorkFactory

        async def main():
            uow_factory = UnitOfWorkFactory(Database({database_url!r}), SystemClock())
            async with uow_factory() as uow:
                uow.outbox.add("jira.create", {{"title": "survives"}}, idempotency_key="jira:INC-9")
                await uow.commit()
            os._exit(0)

        asyncio.run(main())
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)

    async def deliver_in_new_process() -> FakeTicketService:
        from domain.clock import SystemClock

        database = Database(database_url)
        service = FakeTicketService()
        try:
            await OutboxRelay(database, {"jira.create": service.deliver}, SystemClock()).drain()
        finally:
            await database.dispose()
        return service

    service = asyncio.run(deliver_in_new_process())
    assert [t["title"] for t in service.tickets.values()] == ["survives"]


async def test_handler_that_times_out_after_doing_its_work_is_retried_without_a_duplicate(
    database: Database, uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    service = FakeTicketService(hang_after_create=1)
    async with uow_factory() as uow:
        uow.outbox.add("jira.create", {"title": "x"}, idempotency_key="jira:INC-1")
        await uow.commit()
    relay = relay_for(database, clock, {"jira.create": service.deliver}, delivery_timeout=timedelta(seconds=0.2))

    await relay.drain()
    [row] = await rows(database)
    assert (row.status, row.last_error) == ("pending", "timed out")

    clock.advance(timedelta(minutes=1))
    await relay.drain()
    [row] = await rows(database)
    assert row.status == "done"
    assert row.result == {"key": "T-1", "reused": True}
    assert service.creates == 1


async def test_retry_after_from_the_peer_is_honoured(
    database: Database, uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    async def busy(_message: OutboxMessage) -> None:
        raise RetryLater("429 Too Many Requests", retry_after=timedelta(seconds=120))

    async with uow_factory() as uow:
        uow.outbox.add("jira.create", {}, idempotency_key="k")
        await uow.commit()
    await relay_for(database, clock, {"jira.create": busy}).drain()

    [row] = await rows(database)
    assert row.next_attempt_at >= clock.now() + timedelta(seconds=120)
    assert row.last_error == "429 Too Many Requests"


async def test_a_row_waiting_for_an_event_is_woken_by_it_alone_and_stops_waiting_on_any_other_outcome(
    database: Database, uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    outcomes: dict[str, list[Exception]] = {
        "a": [RetryLater("no address yet", timedelta(hours=1), counts=False, waiting_for="install:19:a")],
        "b": [RetryLater("no address yet", timedelta(hours=1), counts=False, waiting_for="install:19:b")],
        # Same reason, worded the same, but not waiting for anything: an event must not wake it.
        "c": [RetryLater("no address yet", timedelta(hours=1))],
    }

    async def deliver(message: OutboxMessage) -> None:
        if outcomes[message.idempotency_key]:
            raise outcomes[message.idempotency_key].pop(0)

    async with uow_factory() as uow:
        for key in outcomes:
            uow.outbox.add("teams.send", {}, idempotency_key=key)
        await uow.commit()
    relay = relay_for(database, clock, {"teams.send": deliver})
    await relay.drain()
    assert [row.waiting_for for row in await rows(database)] == ["install:19:a", "install:19:b", None]

    async with database.session() as session:
        woken = await outbox.wake_waiting(session, waiting_for="install:19:a", now=clock.now())
        await session.commit()
    await relay.drain()

    assert woken == 1
    assert [(row.status, row.waiting_for) for row in await rows(database)] == [
        ("done", None),
        ("pending", "install:19:b"),
        ("pending", None),
    ]
    outcomes["b"].append(RuntimeError("Teams answered 502"))
    async with database.session() as session:
        await outbox.wake_waiting(session, waiting_for="install:19:b", now=clock.now())
        await session.commit()
    await relay.drain()
    assert [row.waiting_for for row in await rows(database)][1] is None  # now it waits for its backoff only


async def test_failures_back_off_exponentially_then_park_the_row_as_dead(
    database: Database, uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    async def down(_message: OutboxMessage) -> None:
        raise ConnectionError("jira unreachable")

    async with uow_factory() as uow:
        uow.outbox.add("jira.create", {}, idempotency_key="k")
        await uow.commit()
    policy = RetryPolicy(max_attempts=4, base=timedelta(seconds=10), cap=timedelta(hours=1))
    relay = relay_for(database, clock, {"jira.create": down}, policy=policy)

    delays = []
    for _ in range(4):
        before = clock.now()
        await relay.drain()
        [row] = await rows(database)
        if row.status == "dead":
            break
        delays.append(row.next_attempt_at - before)
        clock.set(row.next_attempt_at)

    assert row.status == "dead"
    assert row.attempts == 4
    assert "jira unreachable" in (row.last_error or "")
    assert [timedelta(seconds=5) <= d <= timedelta(seconds=10) for d in delays[:1]] == [True]
    assert delays[1] > delays[0] / 2 and delays[2] >= timedelta(seconds=20)


async def test_permanent_failure_is_dead_at_once_and_retry_revives_it(
    database: Database, uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    calls = []

    async def flaky(message: OutboxMessage) -> None:
        calls.append(message.attempt)
        if len(calls) == 1:
            raise PermanentFailure("400: project DEMO does not exist")

    async with uow_factory() as uow:
        uow.outbox.add("jira.create", {}, idempotency_key="k")
        await uow.commit()
    relay = relay_for(database, clock, {"jira.create": flaky})
    await relay.drain()
    [row] = await rows(database)
    assert row.status == "dead"

    async with database.session() as session:
        assert await outbox.revive(session, row.id or 0, now=clock.now())
        await session.commit()
    await relay.drain()
    [row] = await rows(database)
    assert row.status == "done"
    assert calls == [1, 1]


async def test_unknown_kind_is_parked_not_lost(
    database: Database, uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    async with uow_factory() as uow:
        uow.outbox.add("nobody.handles.this", {}, idempotency_key="k")
        await uow.commit()
    await relay_for(database, clock, {}).drain()
    [row] = await rows(database)
    assert row.status == "dead"
    assert "no handler" in (row.last_error or "")


async def test_rows_sharing_an_ordering_key_are_delivered_one_at_a_time_in_order(
    database: Database, uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    delivered: list[str] = []
    failures = {"create": 1}

    async def deliver(message: OutboxMessage) -> None:
        step = message.payload["step"]
        if failures.get(step):
            failures[step] -= 1
            raise RetryLater("busy", retry_after=timedelta(seconds=30))
        delivered.append(step)

    async with uow_factory() as uow:
        for step in ("create", "comment", "transition"):
            uow.outbox.add("jira", {"step": step}, idempotency_key=f"INC-1:{step}", ordering_key="jira:INC-1")
        uow.outbox.add("jira", {"step": "other-incident"}, idempotency_key="INC-2:create", ordering_key="jira:INC-2")
        await uow.commit()
    relay = relay_for(database, clock, {"jira": deliver})

    await relay.drain()
    assert delivered == ["other-incident"]  # INC-1's comment waits behind its failed create
    clock.advance(timedelta(minutes=1))
    await relay.drain()
    assert delivered == ["other-incident", "create", "comment", "transition"]


@pytest.mark.postgres
async def test_two_relays_on_postgresql_never_deliver_the_same_row(
    postgres_database_url: str, clock: FixedClock
) -> None:
    database_url = postgres_database_url
    writer = Database(database_url)
    async with UnitOfWorkFactory(writer, clock)() as uow:
        for n in range(200):
            uow.outbox.add("work", {"n": n}, idempotency_key=f"row-{n}")
        await uow.commit()
    await writer.dispose()

    deliveries: list[tuple[str, int]] = []

    def handler_for(name: str) -> Any:
        async def deliver(message: OutboxMessage) -> None:
            await asyncio.sleep(0.001)  # let the other relay interleave
            deliveries.append((name, message.payload["n"]))

        return deliver

    databases = [Database(database_url), Database(database_url)]
    relays = [
        OutboxRelay(db, {"work": handler_for(f"relay-{i}")}, clock, batch_size=7, name=f"relay-{i}")
        for i, db in enumerate(databases)
    ]
    try:
        await asyncio.gather(*(relay.drain(max_rounds=200) for relay in relays))
    finally:
        for db in databases:
            await db.dispose()

    numbers = sorted(n for _, n in deliveries)
    assert numbers == list(range(200))  # every row once: none lost, none doubled
    assert {name for name, _ in deliveries} == {"relay-0", "relay-1"}  # both relays did work


async def test_a_lane_looks_before_it_claims_and_sees_every_due_row_of_its_kinds(
    database: Database, uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    # The relay's SQLite look-before-claim (issue #17) must never miss a row the claim would take.
    async def due(**filters: Any) -> bool:
        async with database.read_session() as session:
            return await outbox.any_due(session, now=clock.now(), **filters)

    assert not await due()
    async with uow_factory() as uow:
        uow.outbox.add("jira.create", {"title": "t"}, idempotency_key="jira:INC-1")
        await uow.commit()
    assert await due(kinds=["jira.create"])
    assert not await due(kinds=["teams.send"])
    assert not await due(exclude_kinds=["jira.create"])

    async with database.session() as session:
        claimed = await outbox.claim_due(
            session, now=clock.now(), lease_until=clock.now() + timedelta(minutes=1), owner="a", limit=5
        )
        await session.commit()
    assert [message.idempotency_key for message in claimed] == ["jira:INC-1"]
    assert not await due(kinds=["jira.create"]), "a leased row is not due"
    clock.advance(timedelta(minutes=2))
    assert await due(kinds=["jira.create"]), "an expired lease is due again"


async def test_the_relay_delivers_a_row_queued_while_other_lanes_are_idle(
    database: Database, uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    delivered: list[str] = []

    async def deliver(message: OutboxMessage) -> dict[str, Any]:
        delivered.append(message.idempotency_key)
        return {}

    relay = relay_for(database, clock, {"jira.create": deliver, "teams.send": deliver})
    assert await relay.drain() == 0
    async with uow_factory() as uow:
        uow.outbox.add("teams.send", {"text": "hi"}, idempotency_key="teams:1")
        await uow.commit()
    assert await relay.drain() == 1
    assert delivered == ["teams:1"]
