"""A hung or slow peer never delays another lane, the health endpoints, or the process (#11 findings 2, 3).

Before: the relay gathered one batch across all kinds, so a hung Jira call held every Teams
message (incident cards 10-15 s late, the commander's page 30-35 s late); Jira calls ran in the
default thread pool and kept running after the outbox gave up, so /readyz took 8-28 s.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.jira.delivery import register_jira_handlers
from adapters.jira.tracker import JiraIssueTracker
from adapters.outbox_relay import JIRA, TEAMS, OutboxRelay, RetryLater, lane_of
from adapters.runtime import RUNTIME
from adapters.settings import load_settings
from app import create_app
from bot.messenger import TEAMS_SEND
from domain.clock import SystemClock
from domain.incidents.issue_tracker import CreateIssue, queue_issue_request
from storage import migrate
from storage.database import INTERACTIVE_WRITES, Database
from storage.outbox import OutboxMessage
from storage.unit_of_work import UnitOfWorkFactory
from tests.support.fake_jira import FakeJira

JIRA_ROWS = 6  # more than the Jira lane runs at once


@pytest.fixture
async def hung_jira() -> AsyncIterator[FakeJira]:
    async with FakeJira() as jira:
        jira.hang()  # every request: Jira accepted the connection and never answers
        yield jira


def declare(number: int) -> CreateIssue:
    return CreateIssue(incident=f"INC-{number}", project="DEMO", issue_type="Incident", summary=f"INC-{number}")


async def jira_busy(jira: FakeJira, calls: int = 4) -> None:
    """Wait until the Jira lane has `calls` requests hanging in Jira."""
    for _ in range(500):
        if len(jira.requests) >= calls:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"Jira saw {len(jira.requests)} requests, expected {calls}")


def test_kinds_go_to_the_lane_of_their_peer() -> None:
    kinds = ("teams.send", "jira.comment", "postmortem.gitlab_draft", "activities.gitlab.note", "alerts.ingest")
    assert [lane_of(kind) for kind in kinds] == ["teams", "jira", "gitlab", "gitlab", "internal"]


async def test_a_teams_page_is_delivered_within_a_second_of_its_commit_while_jira_hangs(
    database: Database, hung_jira: FakeJira
) -> None:
    clock = SystemClock()
    uow_factory = UnitOfWorkFactory(database, clock)
    tracker = JiraIssueTracker(hung_jira.url, user=hung_jira.user, token=hung_jira.token, timeout=30)
    relay = OutboxRelay(database, {}, clock, delivery_timeout=timedelta(seconds=60))
    register_jira_handlers(relay, tracker, clock=clock)
    paged = asyncio.Event()

    async def send_to_teams(_message: OutboxMessage) -> dict[str, Any]:
        paged.set()
        return {"id": "1"}

    relay.register(TEAMS_SEND, send_to_teams)
    async with uow_factory() as uow:
        for number in range(1, JIRA_ROWS + 1):
            queue_issue_request(uow.outbox, declare(number))
        await uow.commit()
    running = asyncio.create_task(relay.run_forever(poll_interval=0.2))
    try:
        await jira_busy(hung_jira)

        async with uow_factory() as uow:
            uow.outbox.add(TEAMS_SEND, {"text": "@Ada you are paged for INC-1"}, idempotency_key="page:INC-1")
            await uow.commit()
        committed = time.monotonic()
        relay.notify()
        await asyncio.wait_for(paged.wait(), timeout=5)

        assert time.monotonic() - committed < 1.0
        assert hung_jira.creates == 0  # Jira is still hung: the page did not wait for it
    finally:
        relay.stop()
        hung_jira.unhang()
        tracker.close()
        await hung_jira.stop()  # releases the hung handlers so the lane can finish
        await asyncio.wait_for(running, timeout=40)


async def test_a_hung_jira_call_ends_in_its_thread_and_never_uses_the_default_pool(hung_jira: FakeJira) -> None:
    tracker = JiraIssueTracker(hung_jira.url, user=hung_jira.user, token=hung_jira.token, timeout=0.5, workers=2)
    try:
        calls = [asyncio.create_task(tracker.find_by_label(f"circlebot-inc-{n}")) for n in range(4)]
        # Meanwhile the default pool, which the event loop's other blocking work shares, is free.
        assert await asyncio.wait_for(asyncio.to_thread(lambda: "free"), timeout=0.5) == "free"
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        assert all(isinstance(o, RetryLater) and "did not answer within 0.5 s" in str(o) for o in outcomes)

        hung_jira.unhang()
        # The requests timed out in their threads: the tracker's two threads are free again.
        assert await asyncio.wait_for(tracker.find_by_label("circlebot-inc-1"), timeout=5) is None
    finally:
        tracker.close()


async def test_health_endpoints_answer_at_once_while_every_jira_thread_is_hung(
    tmp_path: Path, hung_jira: FakeJira
) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    migrate.upgrade(url)
    settings = load_settings(
        DATABASE_URL=url, JIRA_URL=hung_jira.url, JIRA_USER=hung_jira.user, JIRA_TOKEN=hung_jira.token, _env_file=None
    )
    app = create_app(settings, background=False)
    async with TestClient(TestServer(app)) as client:
        runtime = app[RUNTIME]
        async with runtime.uow() as uow:
            for number in range(1, JIRA_ROWS + 1):
                queue_issue_request(uow.outbox, declare(number))
            await uow.commit()
        running = asyncio.create_task(runtime.relay.run_forever(poll_interval=0.2))
        try:
            await jira_busy(hung_jira)

            ready = await asyncio.wait_for(client.get("/readyz"), timeout=2)
            alive = await asyncio.wait_for(client.get("/healthz"), timeout=2)
            metrics = await asyncio.wait_for(client.get("/metrics"), timeout=2)

            assert (ready.status, alive.status, metrics.status) == (200, 200, 200)
            assert set(runtime.relay.lanes()) >= {JIRA, TEAMS}
        finally:
            runtime.relay.stop()
            await hung_jira.stop()
            await asyncio.wait_for(running, timeout=40)


async def test_building_the_jira_client_holds_no_lock_while_server_info_hangs() -> None:
    """Finding 3: the client build held a lock across serverInfo, so every caller queued behind it."""
    async with FakeJira() as jira:
        jira.hang("GET /rest/api/2/serverInfo")
        tracker = JiraIssueTracker(jira.url, user=jira.user, token=jira.token, timeout=30, workers=2)
        calls = [asyncio.create_task(tracker.find_by_label(f"circlebot-inc-{n}")) for n in (1, 2)]
        try:
            # Both builds ask at once; with the lock the second would wait out the first's 30 s.
            for _ in range(250):
                if jira.requests.count("GET /rest/api/2/serverInfo") == 2:
                    break
                await asyncio.sleep(0.02)
            assert jira.requests.count("GET /rest/api/2/serverInfo") == 2
        finally:
            jira.unhang()
            await jira.stop()
            await asyncio.gather(*calls, return_exceptions=True)
            tracker.close()


async def _relay_counting_claims(database: Database, delivered: list[str]) -> tuple[OutboxRelay, list[str]]:
    relay = OutboxRelay(database, {}, SystemClock())

    async def deliver(message: OutboxMessage) -> dict[str, Any]:
        delivered.append(message.payload["text"])
        return {"id": message.payload["text"]}

    for kind in (TEAMS_SEND, "jira.comment", "gitlab.note", "standups.close"):
        relay.register(kind, deliver)
    claims: list[str] = []
    claim = relay._claim

    async def counting(lane: str, limit: int) -> list[OutboxMessage]:
        claims.append(lane)
        return await claim(lane, limit)

    relay._claim = counting  # type: ignore[method-assign]
    return relay, claims


async def _until(condition: Any) -> None:
    for _ in range(250):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the relay did not get there within 5 s")


async def test_a_teams_row_wakes_only_the_teams_lane_and_its_delivery_reads_nothing_more(database: Database) -> None:
    delivered: list[str] = []
    relay, claims = await _relay_counting_claims(database, delivered)
    uow_factory = UnitOfWorkFactory(database, SystemClock(), on_outbox_commit=relay.notify)
    running = asyncio.create_task(relay.run_forever(poll_interval=60))  # no poll within the test
    try:
        await _until(lambda: len(claims) == 4)  # each lane looks once at start
        claims.clear()

        async with uow_factory() as uow:
            uow.outbox.add(TEAMS_SEND, {"text": "INC-1 card"}, idempotency_key="card:INC-1")
            await uow.commit()
        await _until(lambda: delivered == ["INC-1 card"])
        await asyncio.sleep(0.1)  # a lane woken by the delivery's end would claim now

        # On SQLite each claim is a read queued with the turns' writes; Jira, GitLab and the
        # process's own lane had nothing to do with this row.
        assert claims == ["teams"]
    finally:
        relay.stop()
        await asyncio.wait_for(running, timeout=5)


async def test_the_next_row_of_an_ordering_key_goes_as_soon_as_the_one_before_is_delivered(database: Database) -> None:
    delivered: list[str] = []
    relay, _claims = await _relay_counting_claims(database, delivered)
    uow_factory = UnitOfWorkFactory(database, SystemClock(), on_outbox_commit=relay.notify)
    running = asyncio.create_task(relay.run_forever(poll_interval=60))
    try:
        async with uow_factory() as uow:
            for text in ("INC-2 card", "INC-2 @mention", "INC-2 update"):
                uow.outbox.add(TEAMS_SEND, {"text": text}, idempotency_key=text, ordering_key="thread:INC-2")
            await uow.commit()

        # One notify for all three: the second and third are claimed when the one before ends.
        await _until(lambda: len(delivered) == 3)
        assert delivered == ["INC-2 card", "INC-2 @mention", "INC-2 update"]
    finally:
        relay.stop()
        await asyncio.wait_for(running, timeout=5)


async def test_teams_deliveries_write_as_someone_waits_and_other_lanes_as_background(database: Database) -> None:
    relay = OutboxRelay(database, {}, SystemClock())
    seen: dict[str, bool] = {}

    def recording(lane: str) -> Any:
        async def deliver(_message: OutboxMessage) -> dict[str, Any]:
            seen[lane] = INTERACTIVE_WRITES.get()  # what the gate will see of this delivery's writes
            return {}

        return deliver

    relay.register(TEAMS_SEND, recording("teams"))
    relay.register("jira.comment", recording("jira"))
    async with UnitOfWorkFactory(database, SystemClock())() as uow:
        uow.outbox.add(TEAMS_SEND, {"text": "card"}, idempotency_key="card:INC-3")
        uow.outbox.add("jira.comment", {"text": "note"}, idempotency_key="jira:INC-3:note")
        await uow.commit()
    running = asyncio.create_task(relay.run_forever(poll_interval=60))
    try:
        await _until(lambda: len(seen) == 2)
    finally:
        relay.stop()
        await asyncio.wait_for(running, timeout=5)

    # On SQLite a card's claim and done mark queue with the turns' writes, not behind a storm's ingestion.
    assert seen == {"teams": True, "jira": False}
