"""The real circlebot server (relay and scheduler running) with Microsoft's Teams playground in front."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from adapters.settings import load_settings
from app import create_app
from tests.playground.harness import Playground, free_port, skip_reason

EXAMPLE_CIRCLES = Path(__file__).resolve().parents[2] / "circles.example.yaml"


@pytest.fixture
def playground_needed() -> None:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)


@pytest.fixture
async def circlebot_url(playground_needed: None, tmp_path: Path) -> AsyncIterator[str]:
    """circlebot serving /api/messages on a free port, as `make run` starts it (example circles applied)."""
    settings = load_settings(
        DATABASE_URL=f"sqlite:///{tmp_path / 'circlebot.db'}",
        CIRCLEBOT_CONFIG=str(EXAMPLE_CIRCLES),
        CIRCLEBOT_TICK_SECONDS=0.2,
        _env_file=None,
    )
    app = create_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def playground(circlebot_url: str) -> AsyncIterator[Playground]:
    async with Playground(f"{circlebot_url}/api/messages") as running:
        yield running
