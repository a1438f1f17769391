"""The postmortem document: markdown from the handbook's template, prefilled from the incident."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from domain.circle import Circle
from domain.incidents.model import Incident, Source
from domain.local_time import format_date, format_moment
from domain.postmortems.model import Postmortem

TODO = "_To be written by the owner._"
# Chat in the incident thread stays in the timeline: it is often where the story is.
_SKIPPED_KINDS = frozenset({"postmortem_decision"})


def render_draft(postmortem: Postmortem, incident: Incident, circle: Circle) -> str:
    """The first version of the postmortem file; the owner completes it on the branch."""
    zone = ZoneInfo(circle.time_zone)
    owner = circle.member(postmortem.owner)
    sections = [
        f"# Postmortem {incident.key}: {_one_line(incident.title)}",
        _metadata(postmortem, incident, circle, owner.display_name if owner else postmortem.owner, zone),
        "> Blameless: describe systems, conditions and decisions as they looked at the time — not people.",
        "## Summary",
        _paragraph(incident.resolution_summary or incident.description) + "\n\n" + TODO,
        "## Impact",
        _impact(incident),
        "## Triggers",
        "\n".join(f"- {trigger}" for trigger in postmortem.triggers) or "- No trigger fired; started by decision.",
        "## Symptoms",
        _paragraph(incident.description) + "\n\n_What did users and monitoring see?_",
        "## Detection",
        _detection(incident, zone),
        "## Timeline",
        f"Times are {circle.time_zone}.\n\n" + _timeline(incident, zone),
        "## Root cause",
        _paragraph(incident.root_cause) if incident.root_cause else TODO,
        "## What went well",
        "- " + TODO,
        "## What went badly",
        "- " + TODO,
        "## Where we got lucky",
        "- " + TODO,
        "## Corrective actions",
        "Agreed in the review thread in Teams; circlebot files each one as an issue and links it here.\n\n"
        "| # | Action | Owner | Due | Issue |\n|---|---|---|---|---|\n| | | | | |",
    ]
    return "\n\n".join(sections) + "\n"


def _metadata(postmortem: Postmortem, incident: Incident, circle: Circle, owner: str, zone: ZoneInfo) -> str:
    rows = [
        ("Incident", incident.key + (f" (Jira {incident.jira_key})" if incident.jira_key else "")),
        ("Severity", incident.severity.value),
        ("Circle", f"{circle.name} ({circle.customer} / {circle.project})"),
        ("Declared", _local(incident.declared_at, zone)),
        ("Resolved", _local(incident.resolved_at, zone) if incident.resolved_at else "—"),
        ("Postmortem owner", owner),
        ("Review due", format_date(postmortem.due)),
        ("Status", postmortem.status.label),
    ]
    return "| | |\n|---|---|\n" + "\n".join(f"| {name} | {_cell(value)} |" for name, value in rows)


def _impact(incident: Incident) -> str:
    duration = (incident.resolved_at or incident.declared_at) - incident.declared_at
    lines = [
        f"- **Customers / business:** {'affected' if incident.business_impact else 'not affected'}",
        f"- **Duration:** {_duration(duration)} (declared → resolved)",
        f"- **Data loss:** {'yes' if incident.data_loss else 'no'}",
    ]
    return "\n".join(lines) + "\n\n_Who was affected, how many, for how long?_"


def _detection(incident: Incident, zone: ZoneInfo) -> str:
    how = (
        f"Detected by monitoring (alert{' ' + incident.alert_fingerprint if incident.alert_fingerprint else ''})."
        if incident.source is Source.ALERT
        else f"Declared by hand by {incident.declared_by}: monitoring did not catch it."
    )
    if incident.acknowledged_at is not None:
        ack = _duration(incident.acknowledged_at - incident.declared_at)
        how += f" Acknowledged by {incident.acknowledged_by} after {ack}."
    return how + "\n\n_How could we have detected it sooner?_"


def _timeline(incident: Incident, zone: ZoneInfo) -> str:
    rows = [
        f"| {_local(entry.at, zone)} | {_cell(entry.actor)} | {_cell(entry.text)} |"
        for entry in incident.timeline
        if entry.kind not in _SKIPPED_KINDS
    ]
    return "| Time | Who | What |\n|---|---|---|\n" + "\n".join(rows)


def _local(at: datetime, zone: ZoneInfo) -> str:
    return format_moment(at, zone)


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else ""]
    parts.append(f"{minutes}m" if minutes or not (days or hours) else "")
    return " ".join(part for part in parts if part)


def _paragraph(text: str | None) -> str:
    return text.strip() if text and text.strip() else TODO


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _cell(text: str) -> str:
    """Table-safe: no pipes or line breaks that would end the markdown cell."""
    return _one_line(text).replace("|", "\\|")
