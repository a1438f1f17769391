"""Liveness, readiness and metrics through HTTP on the real app."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.log_setup import configure_logging
from adapters.outbox_relay import RetryLater
from adapters.runtime import RUNTIME
from adapters.settings import load_settings
from app import create_app
from domain.clock import FixedClock
from storage import migrate
from tests.conftest import START


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[TestClient[object, object]]:
    app = create_app(load_settings(DATABASE_URL=database_url, _env_file=None), background=False)
    async with TestClient(TestServer(app)) as client:
        yield client


async def test_healthz_says_alive(client: TestClient[object, object]) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "alive"}


async def test_readyz_is_ready_when_migrations_are_current_and_503_when_not(
    client: TestClient[object, object], database_url: str
) -> None:
    assert (await client.get("/readyz")).status == 200
    migrate.downgrade(database_url, "base")
    response = await client.get("/readyz")
    assert response.status == 503
    assert (await response.json())["reason"] == "migrations pending"


async def test_metrics_expose_outbox_depth_dead_rows_and_timer_lag(
    client: TestClient[object, object],
) -> None:
    runtime = client.app[RUNTIME]  # type: ignore[index]
    async with runtime.uow() as uow:
        uow.outbox.add("jira.create", {}, idempotency_key="k")
        await uow.timers.schedule("t", "late", runtime.clock.now(), {})
        await uow.commit()
    text = await (await client.get("/metrics")).text()
    assert "circlebot_outbox_pending 1.0" in text
    assert "circlebot_outbox_dead 0.0" in text
    assert "circlebot_timer_lag_seconds" in text
    assert "circlebot_outbox_oldest_pending_seconds" in text


@pytest.fixture
async def fixed_client(database_url: str) -> AsyncIterator[TestClient[object, object]]:
    app = create_app(
        load_settings(DATABASE_URL=database_url, _env_file=None), clock=FixedClock(START), background=False
    )
    async with TestClient(TestServer(app)) as client:
        yield client


async def test_metrics_give_each_lane_its_backlog_age_dead_rows_and_delivery_outcomes(
    fixed_client: TestClient[object, object],
) -> None:
    client = fixed_client
    runtime = client.app[RUNTIME]  # type: ignore[index]
    async with runtime.uow() as uow:
        uow.outbox.add("jira.comment", {}, idempotency_key="j")
        uow.outbox.add("teams.send", {}, idempotency_key="t")
        await uow.commit()
    runtime.clock.advance(timedelta(minutes=2))
    runtime.relay.register("teams.send", _delivered)
    runtime.relay.register("jira.comment", _jira_is_down)

    await runtime.relay.drain()
    text = await (await client.get("/metrics")).text()

    assert 'circlebot_outbox_lane_pending{lane="jira"} 1.0' in text
    assert 'circlebot_outbox_lane_oldest_pending_seconds{lane="jira"} 120.0' in text
    assert 'circlebot_outbox_lane_pending{lane="teams"} 0.0' in text
    assert 'circlebot_outbox_lane_dead{lane="gitlab"} 0.0' in text
    assert 'circlebot_outbox_deliveries_total{lane="teams",outcome="delivered"} 1.0' in text
    assert 'circlebot_outbox_deliveries_total{lane="jira",outcome="retry"} 1.0' in text
    assert 'circlebot_outbox_delivery_seconds_count{lane="teams"} 1.0' in text
    assert "circlebot_ready 1.0" in text


async def test_metrics_time_turns_and_count_answers_by_status_class(client: TestClient[object, object]) -> None:
    await client.post("/api/messages", data="{", headers={"Content-Type": "application/json"})
    typing = {"type": "typing", "id": "1", "serviceUrl": "http://127.0.0.1:9", "conversation": {"id": "a:1"}}
    assert (await client.post("/api/messages", json=typing)).status == 200
    await client.get("/healthz")

    text = await (await client.get("/metrics")).text()

    assert 'circlebot_http_responses_total{code="4xx",route="/api/messages"} 1.0' in text
    assert 'circlebot_http_responses_total{code="2xx",route="/healthz"} 1.0' in text
    assert 'circlebot_turn_seconds_count{type="typing"} 1.0' in text


async def _delivered(_message: object) -> dict[str, str]:
    return {}


async def _jira_is_down(_message: object) -> None:
    raise RetryLater("Jira did not answer")


async def test_readiness_probes_do_not_log_migration_lines_each_call(
    client: TestClient[object, object],
) -> None:
    """Kubernetes asks every few seconds: the log must not fill with Alembic's "Context impl" lines."""
    stream = io.StringIO()
    handler = configure_logging("INFO", "text", [], stream=stream)
    try:
        for _ in range(3):
            assert (await client.get("/readyz")).status == 200
    finally:
        logging.getLogger().removeHandler(handler)
    assert "alembic" not in stream.getvalue()
