"""Alert storms: 1,000 alerts in several groupings through the real webhook, then ingested by the relay.

    python benchmarks/alerts.py [--alerts 1000] [--concurrency 20] [--database-url sqlite:///...]

Each scenario starts a fresh app on its own database, POSTs every notification (with Alertmanager's
habit of re-sending a growing group, and exact repeats), then drains the outbox. It checks that no
alert is lost (every alert is in its group's state), that each group has exactly one incident, and
that nothing went dead. The load generator shares the app's event loop, so door latencies are an
upper bound. One JSON line goes to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from sqlalchemy import create_engine
from sqlmodel import col, func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.alerts.routes import ALERTMANAGER_PATH
from adapters.circles_file import load_circles
from adapters.runtime import RUNTIME, Runtime
from adapters.settings import load_settings
from app import create_app
from storage import migrate
from storage.alerts.repository import AlertGroupRow
from storage.database import sync_url
from storage.incidents.repository import IncidentRow
from storage.outbox import OutboxRow
from storage.tables import metadata

TOKEN = "benchmark-token"
EXAMPLE = Path(__file__).resolve().parents[1] / "circles.example.yaml"
STARTS_AT = "2026-11-28T20:21:59Z"


def alert(group: str, index: int) -> dict[str, Any]:
    return {
        "status": "firing",
        "labels": {"alertname": group, "instance": f"node-{index}", "severity": "critical"},
        "annotations": {"summary": f"{group} failing on node-{index}", "runbook_url": "https://runbooks.example/x"},
        "startsAt": STARTS_AT,
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.local/graph",
        "fingerprint": hashlib.sha256(f"{group}/{index}".encode()).hexdigest()[:16],
    }


def notification(group: str, alerts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "receiver": "circlebot",
        "status": "firing",
        "alerts": alerts,
        "groupLabels": {"alertname": group},
        "commonLabels": {"alertname": group, "severity": "critical"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.local",
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{group}"}}',
        "truncatedAlerts": 0,
    }


def scenario(total: int, groups: int, batches: int) -> list[dict[str, Any]]:
    """`total` alerts in `groups` groups; each group sent as `batches` growing notifications plus a repeat."""
    bodies: list[dict[str, Any]] = []
    per_group = total // groups
    for number in range(groups):
        name = f"Storm{number}"
        alerts = [alert(name, index) for index in range(per_group)]
        for batch in range(1, batches + 1):
            bodies.append(notification(name, alerts[: max(1, per_group * batch // batches)]))
        bodies.append(notification(name, alerts))  # Alertmanager re-sending: absorbed at the door
    return bodies


async def run_scenario(
    name: str, bodies: list[dict[str, Any]], groups: int, total: int, database_url: str, concurrency: int
) -> dict[str, Any]:
    engine = create_engine(sync_url(database_url))
    migrate.upgrade(database_url)
    metadata.create_all(engine, checkfirst=True)
    engine.dispose()
    app = create_app(
        load_settings(DATABASE_URL=database_url, ALERT_WEBHOOK_TOKEN=TOKEN, _env_file=None), background=False
    )
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    runtime: Runtime = app[RUNTIME]
    try:
        async with runtime.uow() as uow:
            await uow.circles.apply(load_circles(EXAMPLE), runtime.clock.now())
            await uow.commit()
        latencies, statuses = await _post_all(server, bodies, concurrency)
        started = time.perf_counter()
        delivered = await runtime.relay.drain(max_rounds=100_000)
        ingest_seconds = time.perf_counter() - started
        checks = await _check(runtime, groups, total)
    finally:
        await server.close()
    door_seconds = sum(latencies)
    return {
        "scenario": name,
        "alerts": total,
        "groups": groups,
        "notifications": len(bodies),
        "door": {
            "p50_ms": round(statistics.median(latencies) * 1000, 2),
            "p95_ms": round(_percentile(latencies, 0.95) * 1000, 2),
            "max_ms": round(max(latencies) * 1000, 2),
            "statuses": {str(status): statuses.count(status) for status in sorted(set(statuses))},
            "busy_seconds": round(door_seconds, 3),
        },
        "ingest": {
            "rows_delivered": delivered,
            "seconds": round(ingest_seconds, 3),
            "alerts_per_second": round(total / ingest_seconds, 1) if ingest_seconds else None,
        },
        **checks,
    }


async def _post_all(
    server: TestServer, bodies: list[dict[str, Any]], concurrency: int
) -> tuple[list[float], list[int]]:
    latencies: list[float] = []
    statuses: list[int] = []
    url = str(server.make_url(ALERTMANAGER_PATH))
    # Notifications of one group go one after another (as Alertmanager sends them); groups in parallel.
    by_group: dict[str, list[dict[str, Any]]] = {}
    for body in bodies:
        by_group.setdefault(body["groupKey"], []).append(body)
    queue: asyncio.Queue[list[dict[str, Any]]] = asyncio.Queue()
    for sequence in by_group.values():
        queue.put_nowait(sequence)

    async with ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as session:

        async def worker() -> None:
            while not queue.empty():
                for body in queue.get_nowait():
                    started = time.perf_counter()
                    async with session.post(url, data=json.dumps(body)) as response:
                        await response.read()
                        statuses.append(response.status)
                    latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, statuses


async def _check(runtime: Runtime, groups: int, total: int) -> dict[str, Any]:
    async with runtime.database.session() as session:
        incidents = (await session.exec(select(func.count()).select_from(IncidentRow))).one()
        group_rows = (await session.exec(select(AlertGroupRow))).all()
        alerts_kept = sum(len(row.alerts) for row in group_rows)
        per_status = dict(
            (
                await session.exec(
                    select(OutboxRow.status, func.count())
                    .where(col(OutboxRow.kind) == "alerts.ingest")
                    .group_by(col(OutboxRow.status))
                )
            ).all()
        )
        with_incident = sum(1 for row in group_rows if row.incident_number is not None)
    return {
        "incidents": int(incidents),
        "ingest_rows": per_status,
        "ok": {
            "no_alert_lost": alerts_kept == total,
            "one_incident_per_group": incidents == groups == with_incident == len(group_rows),
            "nothing_dead": "dead" not in per_status and "pending" not in per_status,
        },
    }


def _percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--database-url", help="default: a fresh SQLite file per scenario")
    args = parser.parse_args(argv)
    # Without a Teams channel reference every new incident logs "install circlebot in the team first".
    logging.disable(logging.ERROR)
    total = args.alerts
    scenarios = [
        ("one alert per group", total, 1),
        ("all alerts in one group", 1, 20),
        ("20 groups of 50", 20, 3),
    ]
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for index, (name, groups, batches) in enumerate(scenarios):
            url = args.database_url or f"sqlite:///{Path(folder) / f'alerts-{index}.db'}"
            results.append(
                await run_scenario(name, scenario(total, groups, batches), groups, total, url, args.concurrency)
            )
    ok = all(all(result["ok"].values()) for result in results)
    print(json.dumps({"benchmark": "alerts", "ok": ok, "scenarios": results}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
