"""The real circlebot server (relay and scheduler running) with Microsoft's Teams playground in front."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.playground.harness import Playground, skip_reason
from tests.support.circlebot_server import EXAMPLE_CIRCLES as EXAMPLE_CIRCLES  # the browser tests read it
from tests.support.circlebot_server import example_app, serving


@pytest.fixture
def playground_needed() -> None:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)


@pytest.fixture
async def circlebot_url(playground_needed: None, tmp_path: Path) -> AsyncIterator[str]:
    """circlebot serving /api/messages on a free port, as `make run` starts it (example circles applied)."""
    async with serving(example_app(tmp_path)) as url:
        yield url


@pytest.fixture
async def playground(circlebot_url: str) -> AsyncIterator[Playground]:
    async with Playground(f"{circlebot_url}/api/messages") as running:
        yield running
