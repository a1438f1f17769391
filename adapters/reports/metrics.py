"""Report figures for Prometheus, read from the database at scrape time (so every replica agrees),
at most once a minute.

Totals since the beginning are exposed as counters and response times as summaries (count and
sum of seconds), so Grafana derives rates and means over any window:
`rate(circlebot_incident_time_to_acknowledge_seconds_sum[7d]) / rate(…_count[7d])` is the MTTA.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.registry import Collector

from storage.database import Database
from storage.reports import queries

# These totals scan every incident (about 2 s for 100,000 on SQLite): a scrape re-reads them at most
# this often and otherwise exposes the last figures (benchmarks/reports.py measures both).
REFRESH_EVERY = timedelta(minutes=1)


class ReportMetrics(Collector):
    """Register with the app's registry and call `refresh` before each exposition."""

    def __init__(self, database: Database, every: timedelta = REFRESH_EVERY) -> None:
        self._database = database
        self._every = every
        self._metrics: list[Metric] = []
        self._read_at: datetime | None = None

    async def refresh(self, now: datetime) -> None:
        """Re-read the figures when the last read is older than `every`."""
        if self._read_at is not None and now - self._read_at < self._every:
            return
        await self.read(now)

    async def read(self, now: datetime) -> None:
        """Read every figure from the database now."""
        async with self._database.read_session() as session:
            open_now = await queries.open_incidents(session)
            declared = await queries.declared_totals(session)
            breaches = await queries.sla_breach_totals(session)
            escalations = await queries.escalation_totals(session)
            overdue = await queries.overdue_actions(session, now.date())
            acknowledge = await queries.response_time_totals(session, "acknowledged_at")
            resolve = await queries.response_time_totals(session, "resolved_at")
        opened = GaugeMetricFamily(
            "circlebot_incidents_open", "Incidents not yet resolved", labels=["circle", "severity"]
        )
        for (circle, severity), count in sorted(open_now.items()):
            opened.add_metric([circle, severity], count)
        total = CounterMetricFamily(
            "circlebot_incidents", "Incidents declared", labels=["circle", "severity", "source"]
        )
        for labels, count in sorted(declared.items()):
            total.add_metric(list(labels), count)
        breached = CounterMetricFamily(
            "circlebot_sla_breaches", "SLA deadlines breached (notices sent)", labels=["circle", "severity", "clock"]
        )
        for labels, count in sorted(breaches.items()):
            breached.add_metric(list(labels), count)
        escalated = CounterMetricFamily(
            "circlebot_escalations", "Escalation steps reached", labels=["circle", "severity"]
        )
        for (circle, severity), count in sorted(escalations.items()):
            escalated.add_metric([circle, severity], count)
        late = GaugeMetricFamily(
            "circlebot_postmortem_actions_overdue", "Corrective actions past their due date", labels=["circle"]
        )
        for circle, count in sorted(overdue.items()):
            late.add_metric([circle], count)
        self._metrics = [
            opened, total, breached, escalated, late,
            _summary("circlebot_incident_time_to_acknowledge_seconds", "Declaration to acknowledgement", acknowledge),
            _summary("circlebot_incident_time_to_resolve_seconds", "Declaration to resolution", resolve),
        ]  # fmt: skip
        self._read_at = now

    def collect(self) -> Iterator[Metric]:
        yield from self._metrics


def _summary(name: str, documentation: str, totals: dict[tuple[str, str], tuple[int, float]]) -> SummaryMetricFamily:
    summary = SummaryMetricFamily(name, documentation, labels=["circle", "severity"])
    for (circle, severity), (count, seconds) in sorted(totals.items()):
        summary.add_metric([circle, severity], count_value=count, sum_value=seconds)
    return summary
