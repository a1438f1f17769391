"""circlebot served on a free local port as `make run` starts it: example circles applied, relay and
scheduler running. The playground and browser tests put Microsoft's Teams playground in front of it."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import web

from adapters.settings import load_settings
from app import create_app
from domain.clock import Clock

EXAMPLE_CIRCLES = Path(__file__).resolve().parents[2] / "circles.example.yaml"


def free_port() -> int:
    """Return a TCP port that is currently free on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def example_app(tmp_path: Path, *, clock: Clock | None = None, **env: object) -> web.Application:
    """The app on a fresh SQLite file with the example circles; `env` adds settings (GITLAB_URL, …)."""
    settings = load_settings(
        DATABASE_URL=f"sqlite:///{tmp_path / 'circlebot.db'}",
        CIRCLEBOT_CONFIG=str(EXAMPLE_CIRCLES),
        CIRCLEBOT_TICK_SECONDS=0.2,
        _env_file=None,
        **env,
    )
    return create_app(settings, clock=clock)


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """`app` listening on a free port of 127.0.0.1; yields its base URL and stops it afterwards."""
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
