"""The real app behind an aiohttp test client, for tests that POST activities to /api/messages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from adapters.runtime import RUNTIME, Runtime
from adapters.settings import load_settings
from app import create_app
from domain.clock import Clock, FixedClock
from storage import migrate

BotClient = TestClient[Any, Any]


@asynccontextmanager
async def bot_client(database_url: str, *, clock: Clock | None = None, **settings: Any) -> AsyncIterator[BotClient]:
    """A test client for create_app on `database_url`, without the relay and scheduler."""
    migrate.upgrade(database_url)
    app = create_app(
        load_settings(DATABASE_URL=database_url, _env_file=None, **settings), clock=clock, background=False
    )
    async with TestClient(TestServer(app)) as client:
        yield client


def runtime_of(client: BotClient) -> Runtime:
    """The runtime of the app behind `client` (its units of work, relay, clock)."""
    runtime: Runtime = client.app[RUNTIME]
    return runtime


def clock_of(client: BotClient) -> FixedClock:
    """The fixed clock a test gave `bot_client`, to move time forward."""
    clock = runtime_of(client).clock
    assert isinstance(clock, FixedClock)
    return clock


async def post_activity(client: BotClient, activity: dict[str, Any], **headers: str) -> ClientResponse:
    """POST `activity` to /api/messages as JSON."""
    return await client.post("/api/messages", json=activity, headers=headers)


# The Microsoft app id of `authenticated_client` (tests/e2e/conftest.py): tokens must name it as their audience.
APP_ID = "00000000-0000-0000-0000-000000000001"
