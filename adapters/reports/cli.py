"""`circlebot report --circle X [--month 2026-11 | --period week] [--csv]`: the report on the command line."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime

from adapters.reports.export import incidents_csv
from adapters.settings import Settings
from domain.clock import SystemClock
from domain.reports.load import BUCKETS
from domain.reports.period import PeriodError, parse_period
from domain.reports.report import CircleReport
from domain.reports.service import circle_report
from domain.reports.summary import breach_line, headline, minutes
from storage.circles import SqlCircles
from storage.database import Database
from storage.reports import queries
from storage.reports.reads import SqlReportReads


def add_report_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `report` command, wired into the circlebot CLI by app.py."""
    report = commands.add_parser("report", help="a circle's report for a period, as text or CSV")
    report.add_argument("--circle", required=True, help="the circle's name, as in circles.yaml")
    period = report.add_mutually_exclusive_group()
    period.add_argument("--month", help="a month, e.g. 2026-11")
    period.add_argument("--period", help="week, month (both so far) or a month like 2026-11; default: week")
    report.add_argument("--csv", action="store_true", help="the period's incidents as CSV instead of the summary")
    report.set_defaults(run=report_command)


def report_command(args: argparse.Namespace, settings: Settings) -> int:
    try:
        text = asyncio.run(_report(settings, args.circle, args.month or args.period or "week", csv=args.csv))
    except (LookupError, PeriodError) as error:
        print(f"circlebot report: {error}", file=sys.stderr)
        return 1
    sys.stdout.write(text)
    return 0


async def _report(settings: Settings, name: str, period: str, *, csv: bool) -> str:
    database = Database(settings.database_url)
    now = SystemClock().now()
    try:
        async with database.read_session() as session:
            circles = SqlCircles(session)
            circle = await circles.get(name)
            if circle is None:
                known = ", ".join(c.name for c in await circles.active()) or "none (circlebot config apply FILE)"
                raise LookupError(f"no circle called {name!r}; circles: {known}")
            comparison = parse_period(period, now=now, time_zone=circle.time_zone)
            if csv:
                current = comparison.current
                facts = await queries.incident_facts(session, [circle.name], current.start, current.end)
                return incidents_csv(facts, circle, current, now)
            return render_text(await circle_report(SqlReportReads(session), circle, comparison, now), now)
    finally:
        await database.dispose()


def render_text(report: CircleReport, now: datetime) -> str:
    """The report as aligned lines of text."""
    comparison = report.comparison
    lines = [
        f"{report.circle} · {comparison.current.label} · times in {report.time_zone}",
        f"compared with {comparison.previous.label}",
        "",
        *(f"{label:<22}{value}" for label, value in headline(report)),
    ]
    if report.current.worst_breaches:
        lines += ["", "worst SLA breaches", *(f"  {breach_line(b)}" for b in report.current.worst_breaches)]
    busy = [p for p in report.load if not p.is_idle]
    if busy:
        lines += ["", f"on-call load (pages / minutes on incidents: {', '.join(BUCKETS)}; each in their own zone)"]
        for person in busy:
            pages = " / ".join(str(person.pages[b]) for b in BUCKETS)
            spent = " / ".join(minutes(person.minutes[b]) for b in BUCKETS)
            accepted = f"{person.handovers_accepted}/{person.handovers} handovers accepted" if person.handovers else ""
            lines.append(f"  {person.name:<20}pages {pages:<12}minutes {spent:<22}{accepted}".rstrip())
    return "\n".join(lines) + "\n"
