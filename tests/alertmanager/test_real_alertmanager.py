"""The real Prometheus Alertmanager posts to the real app: one incident, a 500 absorbed, the resolution noted.

Needs `/usr/bin/prometheus-alertmanager` and `amtool` (Debian `prometheus-alertmanager`; `make test`
installs it when apt is available). Without them the test is skipped, and fails under CI=true.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlmodel import col, select

from adapters.alerts.routes import ALERTMANAGER_PATH
from adapters.runtime import RUNTIME, Runtime
from adapters.settings import load_settings
from app import create_app
from domain.incidents.model import Incident
from storage import migrate
from storage.outbox import OutboxRow
from tests.support import alerts

pytestmark = pytest.mark.alertmanager

ALERTMANAGER = Path("/usr/bin/prometheus-alertmanager")
TOKEN = "real-alertmanager-token"
# Bounds for the polling loops below: generous, since Alertmanager's group_wait/interval are 1s/2s.
WAIT_SECONDS = 30
POLL_SECONDS = 0.2

CONFIG = """\
global:
  resolve_timeout: 5m
route:
  receiver: circlebot
  group_by: ['alertname', 'service']
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
receivers:
  - name: circlebot
    webhook_configs:
      - url: http://127.0.0.1:{app_port}{path}
        send_resolved: true
        max_alerts: 0
        http_config:
          authorization:
            type: Bearer
            credentials: {token}
"""


def _require_binaries() -> str:
    amtool = shutil.which("amtool") or "/usr/bin/amtool"
    if ALERTMANAGER.exists() and Path(amtool).exists():
        return amtool
    reason = "needs /usr/bin/prometheus-alertmanager and amtool: apt-get install prometheus-alertmanager"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but the real-Alertmanager test cannot run: {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class FlakyDoor:
    """Answers the first alert webhook with 500 after it was committed: a lost answer, to be redelivered."""

    posts: int = 0
    failed: int = 0
    statuses: list[int] = field(default_factory=list)

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        response = await handler(request)
        if request.path != ALERTMANAGER_PATH:
            return response
        self.posts += 1
        if self.failed == 0 and response.status == 200:
            self.failed += 1
            response = web.json_response({"error": "injected failure after commit"}, status=500)
        self.statuses.append(response.status)
        return response


@dataclass
class Stack:
    runtime: Runtime
    door: FlakyDoor
    alertmanager_url: str
    amtool: str

    async def amtool_add(self, *args: str) -> None:
        command = [self.amtool, "alert", "add", *args, f"--alertmanager.url={self.alertmanager_url}"]
        result = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, f"amtool failed: {result.stderr}"

    async def incidents(self) -> list[Incident]:
        async with self.runtime.uow() as uow:
            return await uow.incidents.open_in_circle("demo")

    async def ingest_rows(self) -> list[OutboxRow]:
        async with self.runtime.database.session() as session:
            query = select(OutboxRow).where(col(OutboxRow.kind) == "alerts.ingest")
            return list((await session.exec(query)).all())

    async def wait_for(self, what: str, check: Callable[[], Awaitable[bool]]) -> None:
        """Deliver the outbox and poll until `check` holds; fail with `what` after WAIT_SECONDS."""
        deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
        while asyncio.get_running_loop().time() < deadline:
            await self.runtime.relay.drain()
            if await check():
                return
            await asyncio.sleep(POLL_SECONDS)
        pytest.fail(f"gave up after {WAIT_SECONDS}s waiting for {what}; door saw {self.door.statuses}")


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    amtool = _require_binaries()
    database_url = f"sqlite:///{tmp_path / 'bot.db'}"
    migrate.upgrade(database_url)
    app = create_app(
        load_settings(DATABASE_URL=database_url, ALERT_WEBHOOK_TOKEN=TOKEN, _env_file=None), background=False
    )
    door = FlakyDoor()
    app.middlewares.append(door.middleware)
    server = TestServer(app, host="127.0.0.1", port=_free_port())
    await server.start_server()
    runtime = app[RUNTIME]
    config = alerts.circles_config()
    async with runtime.uow() as uow:
        await uow.circles.apply(config, runtime.clock.now())
        await uow.commit()

    am_port = _free_port()
    config_file = tmp_path / "alertmanager.yml"
    config_file.write_text(CONFIG.format(app_port=server.port, path=ALERTMANAGER_PATH, token=TOKEN))
    log = (tmp_path / "alertmanager.log").open("w")
    process = await asyncio.create_subprocess_exec(
        str(ALERTMANAGER),
        f"--config.file={config_file}",
        f"--storage.path={tmp_path / 'am-data'}",
        f"--web.listen-address=127.0.0.1:{am_port}",
        "--cluster.listen-address=",  # empty: no gossip, no second port
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{am_port}"
    try:
        await _wait_ready(url, process, tmp_path / "alertmanager.log")
        yield Stack(runtime, door, url, amtool)
    finally:
        process.terminate()
        await process.wait()
        log.close()
        await server.close()


async def _wait_ready(url: str, process: asyncio.subprocess.Process, log: Path) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(int(WAIT_SECONDS / POLL_SECONDS)):
            if process.returncode is not None:
                pytest.fail(f"alertmanager exited with {process.returncode}: {_tail(log)}")
            try:
                async with session.get(f"{url}/-/ready") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(POLL_SECONDS)
    pytest.fail(f"alertmanager did not become ready: {_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text()[-2000:]


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_real_alertmanager_fires_once_survives_a_500_and_resolves(stack: Stack) -> None:
    # An explicit start, repeated when resolving, keeps Alertmanager's merged startsAt unchanged.
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30)
    labels = ["alertname=HighErrorRate", "service=checkout", "severity=critical"]
    annotations = ["--annotation=summary=Checkout 5xx above 5%", "--annotation=runbook_url=https://runbooks.example/co"]

    await stack.amtool_add(*labels, *annotations, f"--start={_rfc3339(started)}")

    async def one_incident_after_a_redelivery() -> bool:
        return stack.door.statuses[:1] == [500] and 200 in stack.door.statuses and len(await stack.incidents()) == 1

    await stack.wait_for("the incident, after the 500 and Alertmanager's retry", one_incident_after_a_redelivery)
    [incident] = await stack.incidents()
    assert incident.title == "Checkout 5xx above 5%"
    assert ("Runbook", "https://runbooks.example/co") in incident.links
    assert len(await stack.ingest_rows()) == 1  # the retry after the 500 was absorbed at the door

    ended = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    await stack.amtool_add(*labels, *annotations, f"--start={_rfc3339(started)}", f"--end={_rfc3339(ended)}")

    async def resolution_noted() -> bool:
        [incident] = await stack.incidents()
        return incident.timeline[-1].kind == "alert_resolved"

    await stack.wait_for("the resolution on the timeline", resolution_noted)
    [incident] = await stack.incidents()
    assert incident.timeline[-1].text == "1 alert resolved: Checkout 5xx above 5%"
    assert incident.is_open  # the commander decides; nothing closes behind their back
    assert len(await stack.ingest_rows()) == 2
