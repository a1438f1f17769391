"""The app behind a test client, as most end-to-end tests need it; a test module may define its own `client`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.bot_app import APP_ID, BotClient, bot_client


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[BotClient]:
    """The app on a fresh SQLite file, without a Microsoft app id (no token checks)."""
    async with bot_client(f"sqlite:///{tmp_path / 'bot.db'}") as test_client:
        yield test_client


@pytest.fixture
async def authenticated_client(tmp_path: Path) -> AsyncIterator[BotClient]:
    """The app with a Microsoft app id: every request must carry a valid Bot Framework token."""
    async with bot_client(
        f"sqlite:///{tmp_path / 'bot.db'}", MicrosoftAppId=APP_ID, MicrosoftAppPassword="not-a-real-secret"
    ) as test_client:
        yield test_client
