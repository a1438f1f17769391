"""Liveness, readiness and metrics through HTTP on the real app."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.log_setup import configure_logging
from adapters.runtime import RUNTIME
from adapters.settings import load_settings
from app import create_app
from storage import migrate


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
