"""CSV of a period's incidents: one row per incident, times in the circle's zone with their offset."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from domain.circle import Circle
from domain.reports.facts import IncidentFacts
from domain.reports.period import Period

# A cell starting with one of these is a formula to Excel and LibreOffice: titles are user text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def incidents_csv(facts: Iterable[IncidentFacts], circle: Circle, period: Period, now: datetime) -> str:
    """The incidents declared in `period`, as CSV text with a header row."""
    zone = ZoneInfo(circle.time_zone)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "incident", "severity", "source", "service", "title", "commander",
            f"declared ({circle.time_zone})", f"acknowledged ({circle.time_zone})", f"resolved ({circle.time_zone})",
            "minutes to acknowledge", "minutes to resolve", "acknowledge SLA", "resolve SLA",
            "escalation steps", "stakeholder updates", "postmortem decision",
        ]
    )  # fmt: skip
    for incident in facts:
        if not period.contains(incident.declared_at):
            continue
        policy = circle.sla_for(incident.severity)
        writer.writerow(
            [
                incident.key, incident.severity.value, incident.source.value, _cell(incident.service or ""),
                _cell(incident.title), incident.commander or "",
                _local(incident.declared_at, zone), _local(incident.acknowledged_at, zone),
                _local(incident.resolved_at, zone),
                _minutes(incident.declared_at, incident.acknowledged_at),
                _minutes(incident.declared_at, incident.resolved_at),
                _sla(incident.declared_at + policy.acknowledge, incident.acknowledged_at, now),
                _sla(incident.declared_at + policy.resolve, incident.resolved_at, now),
                len(incident.escalations), len(incident.stakeholder_updates), incident.postmortem_decision or "",
            ]
        )  # fmt: skip
    return out.getvalue()


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).isoformat(timespec="seconds") if moment else ""


def _minutes(start: datetime, end: datetime | None) -> str:
    return f"{(end - start).total_seconds() / 60:.1f}" if end else ""


def _sla(deadline: datetime, stopped_at: datetime | None, now: datetime) -> str:
    if stopped_at is not None:
        return "met" if stopped_at <= deadline else "breached"
    return "breached" if now > deadline else "pending"
