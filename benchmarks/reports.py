"""Report and dashboard speed over 100,000 incidents, on SQLite and PostgreSQL.

    python benchmarks/reports.py [--incidents 100000] [--circles 10] [--repeat 5] [--database-url URL]

Fills a fresh database (a temporary SQLite file unless --database-url names an empty PostgreSQL
database) with `--incidents` incidents spread over two years and `--circles` circles, with their
timelines (declaration, acknowledgement, resolution; escalations on one in ten, stakeholder
updates on one in five), then times what a person waits for: `/report month`, `/report week`,
the dashboard (report, twelve weeks of charts, HTML), the CSV export of a month, and the report
figures of /metrics (the full read, done at most once a minute, and a scrape in between). One
JSON line: per query the best, median and worst of `--repeat` runs, in ms, and whether each
median is under the 300 ms target (issue #15, item 7).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.circles_file import CirclesConfig, load_circles
from adapters.reports.export import incidents_csv
from adapters.reports.metrics import ReportMetrics
from adapters.reports.page import fragment
from domain.circle import Circle
from domain.clock import FixedClock
from domain.reports.period import calendar_month, parse_period, weeks_back
from domain.reports.service import circle_report, report_and_history
from domain.reports.trends import trends
from storage import migrate
from storage.activities.tables import ActivityFeedbackRow, ActivityRow
from storage.database import Database, sync_url
from storage.incidents.repository import IncidentRow, TimelineRow
from storage.reports import queries
from storage.reports.reads import SqlReportReads
from storage.standups.tables import StandupBlockerRow, StandupEntryRow
from storage.unit_of_work import UnitOfWorkFactory

EXAMPLE = Path(__file__).resolve().parents[1] / "circles.example.yaml"
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
SPAN = timedelta(days=730)
TARGET_MS = 300
BATCH = 5000


def circles(count: int) -> CirclesConfig:
    example = load_circles(EXAMPLE).specs[0]
    made = [
        example.model_copy(update={"name": name, "channel_id": f"channel-{name}", "team_id": f"team-{name}"})
        for name in ["demo", *(f"circle{n}" for n in range(1, count))]
    ]
    return CirclesConfig(tuple(made), "demo")


def fill(url: str, names: list[str], incidents: int, members: list[str]) -> int:
    """Insert the incidents and their timelines in batches; returns the number of timeline rows."""
    rng = random.Random(15)
    engine = create_engine(sync_url(url))
    timeline_rows = 0
    with engine.begin() as connection:
        for first in range(1, incidents + 1, BATCH):
            rows, entries = [], []
            for number in range(first, min(first + BATCH, incidents + 1)):
                declared = NOW - SPAN * rng.random()
                severity = rng.choice(["P1", "P2", "P3", "P3", "P4"])
                ack = declared + timedelta(minutes=rng.expovariate(1 / 8))
                resolved = ack + timedelta(minutes=rng.expovariate(1 / 180)) if rng.random() > 0.01 else None
                rows.append({
                    "number": number, "circle": names[number % len(names)], "title": f"incident {number}",
                    "description": "", "severity": severity, "status": "resolved" if resolved else "investigating",
                    "business_impact": number % 5 == 0, "data_loss": False,
                    "source": "alert" if number % 3 else "manual", "service": f"service-{number % 17}",
                    "commander": members[number % len(members)], "declared_by": "bench", "declared_at": declared,
                    "acknowledged_at": ack, "acknowledged_by": "bench", "resolved_at": resolved,
                })  # fmt: skip
                moments = [("declared", declared), ("acknowledged", ack)]
                if number % 10 == 0:
                    moments += [
                        ("escalated", declared + timedelta(minutes=5)),
                        ("escalated", declared + timedelta(minutes=10)),
                    ]
                if number % 5 == 0:
                    moments.append(("stakeholder_update", declared + timedelta(minutes=25)))
                if resolved:
                    moments.append(("resolved", resolved))
                entries += [{"incident_number": number, "at": at, "actor": "bench", "kind": kind, "text": kind}
                            for kind, at in moments]  # fmt: skip
            connection.execute(insert(IncidentRow), rows)
            connection.execute(insert(TimelineRow), entries)
            timeline_rows += len(entries)
        fill_teamwork(connection, names, members)
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT setval('incident_number_seq', (SELECT max(number) FROM incident))"))
    with engine.connect() as connection:  # fresh statistics, as autovacuum would have them in production
        connection.execute(text("ANALYZE"))
        connection.commit()
    engine.dispose()
    return timeline_rows


def fill_teamwork(connection: Any, names: list[str], members: list[str]) -> None:
    """Every weekday's stand-up of every member of every circle over SPAN, a blocker a week each, and
    an activity a fortnight each with daily feedback: what the report's teamwork reads scan."""
    entries, blockers, activities, feedback = [], [], [], []
    first = (NOW - SPAN).date()
    for offset in range(SPAN.days):
        day = first + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for circle in names:
            for member in members:
                entries.append({"circle": circle, "day": day, "member": member, "status": "answered",
                                "yesterday": "", "today": "", "blockers": "", "reason": "",
                                "night_paged": False})  # fmt: skip
                if day.weekday() == 0:
                    blockers.append({"circle": circle, "member": member, "text": "waiting", "first_day": day,
                                     "last_day": day, "solved_on": day + timedelta(days=2)})  # fmt: skip
                if offset % 14 == 0:
                    moment = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
                    activities.append({
                        "circle": circle, "owner": member, "title": "activity", "description": "", "tasks": [],
                        "definition_of_done": [], "repository": "internal", "project": "sre/internal",
                        "marker": f"{circle}-{member}-{offset}", "created_by": member, "created_at": moment,
                        "extra_labels": [], "status": "done", "started_at": moment, "wip_since": moment,
                        "status_changed_at": moment + timedelta(days=12), "last_feedback_at": moment,
                        "feedback_level": 0, "risk_notified": False, "missing_sections": [], "revision": 0,
                        "deadline": day + timedelta(days=14),
                    })  # fmt: skip
    connection.execute(insert(StandupEntryRow), entries)
    connection.execute(insert(StandupBlockerRow), blockers)
    connection.execute(insert(ActivityRow), activities)
    started = {row["marker"]: row["created_at"] for row in activities}
    for activity_id, marker in connection.execute(text("SELECT id, marker FROM activity")).all():
        start = started[marker]
        feedback += [{"activity_id": activity_id, "day": (start + timedelta(days=n)).date(), "sequence": 1,
                      "at": start + timedelta(days=n), "text": "done"} for n in range(1, 11)]  # fmt: skip
    connection.execute(insert(ActivityFeedbackRow), feedback)


async def measure(url: str, circle: Circle, repeat: int) -> dict[str, dict[str, Any]]:
    database = Database(url)
    metrics = ReportMetrics(database)

    async def report(period: str) -> None:
        async with database.read_session() as session:
            await circle_report(
                SqlReportReads(session), circle, parse_period(period, now=NOW, time_zone=circle.time_zone), NOW
            )

    async def dashboard() -> None:
        comparison = parse_period("month", now=NOW, time_zone=circle.time_zone)
        weeks = weeks_back(NOW, circle.time_zone, 12)
        async with database.read_session() as session:
            made, history = await report_and_history(SqlReportReads(session), circle, comparison, weeks, NOW)
        fragment(made, trends(history, circle, NOW), csv_href="/x", note="benchmark")

    async def export() -> None:
        month = calendar_month(2026, 10, circle.time_zone).current
        async with database.read_session() as session:
            facts = await queries.incident_facts(session, [circle.name], month.start, month.end)
        incidents_csv(facts, circle, month, NOW)

    cases: dict[str, Callable[[], Awaitable[None]]] = {
        "report_month": lambda: report("month"),
        "report_week": lambda: report("week"),
        "report_2026_10": lambda: report("2026-10"),
        "dashboard": dashboard,
        "csv_month": export,
        "metrics_read": lambda: metrics.read(NOW),  # once a minute at most
        "metrics_scrape_cached": lambda: metrics.refresh(NOW),  # every other scrape
    }
    results = {}
    try:
        for name, case in cases.items():
            await case()  # warm the connection pool and the caches, as a running bot has them
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                await case()
                times.append((time.perf_counter() - started) * 1000)
            median = statistics.median(times)
            results[name] = {"best_ms": round(min(times), 1), "median_ms": round(median, 1),
                             "worst_ms": round(max(times), 1)}  # fmt: skip
            if name != "metrics_read":  # not a query anyone waits for: see adapters/reports/metrics.py
                results[name]["under_300ms"] = median < TARGET_MS
    finally:
        await database.dispose()
    return results


async def setup(url: str, config: CirclesConfig) -> None:
    database = Database(url)
    async with UnitOfWorkFactory(database, FixedClock(NOW))() as uow:
        await uow.circles.apply(config, NOW)
        await uow.commit()
    await database.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--circles", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", help="an empty database; default: a temporary SQLite file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="circlebot-reports-") as folder:
        url = args.database_url or f"sqlite:///{folder}/reports.db"
        migrate.upgrade(url)
        config = circles(args.circles)
        asyncio.run(setup(url, config))
        demo = config.circles[0]
        started = time.perf_counter()
        timeline = fill(url, [c.name for c in config.circles], args.incidents, [m.handle for m in demo.members])
        filled_s = time.perf_counter() - started
        results = asyncio.run(measure(url, demo, args.repeat))
    print(json.dumps({
        "database": url.split(":", 1)[0], "incidents": args.incidents, "circles": args.circles,
        "timeline_rows": timeline, "fill_s": round(filled_s, 1), "queries": results,
        "all_under_300ms": all(r.get("under_300ms", True) for r in results.values()),
    }))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
