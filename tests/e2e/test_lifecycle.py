"""Start and stop like production: in-flight requests finish, the relay and scheduler stop cleanly."""

from __future__ import annotations

import asyncio
import gc
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiohttp import web

from adapters.runtime import RUNTIME
from adapters.settings import load_settings
from app import create_app
from domain.clock import FixedClock
from tests.conftest import EXAMPLE_CIRCLES


async def test_shutdown_lets_an_in_flight_request_finish_and_stops_the_background_work(tmp_path: Path) -> None:
    app = create_app(load_settings(DATABASE_URL=f"sqlite:///{tmp_path / 'c.db'}", _env_file=None))
    started = asyncio.Event()

    async def slow(_request: web.Request) -> web.Response:
        started.set()
        await asyncio.sleep(0.5)
        return web.Response(text="finished")

    app.router.add_get("/slow", slow)
    runner = web.AppRunner(app, shutdown_timeout=10)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    runtime = app[RUNTIME]
    assert runtime.scheduler.leader.is_leader

    async with aiohttp.ClientSession() as session:
        request = asyncio.create_task(session.get(f"http://127.0.0.1:{port}/slow"))
        await started.wait()
        await runner.cleanup()  # what SIGTERM does under `circlebot serve`
        response = await request
        assert (response.status, await response.text()) == (200, "finished")

    relay_tasks = [t for t in asyncio.all_tasks() if t.get_name() == "outbox-relay"]
    assert relay_tasks == []
    assert not runtime.scheduler.running


async def test_the_rota_is_planned_before_the_server_listens(tmp_path: Path) -> None:
    """A shift change due minutes after a start is armed by the start-up itself, not by a later job."""
    settings = load_settings(
        DATABASE_URL=f"sqlite:///{tmp_path / 'c.db'}", CIRCLEBOT_CONFIG=str(EXAMPLE_CIRCLES), _env_file=None
    )
    app = create_app(settings, clock=FixedClock(datetime(2026, 12, 7, 7, 55, tzinfo=UTC)), background=False)
    runner = web.AppRunner(app)
    await runner.setup()  # what happens before `circlebot serve` binds its port and /readyz can answer
    try:
        async with app[RUNTIME].uow.reader() as uow:
            timer = await uow.timers.get("handover:demo:primary:2026-12-07T08:00:00+00:00")
            assert timer is not None and timer.status == "pending"
    finally:
        await runner.cleanup()


async def test_what_start_up_built_is_left_out_of_full_garbage_collections_while_the_app_runs(tmp_path: Path) -> None:
    app = create_app(load_settings(DATABASE_URL=f"sqlite:///{tmp_path / 'c.db'}", _env_file=None), background=False)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        assert gc.get_freeze_count() > 10_000  # modules, models, clients: walked by no gen-2 pass
    finally:
        await runner.cleanup()

    assert gc.get_freeze_count() == 0  # stopped (a test's app, a restart in place): collectable again
