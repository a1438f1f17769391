"""Alert notifications become incidents: route to a circle, follow the group, declare or update.

One open incident per (circle, group). A notification that only repeats what the group already
knows changes the group's counters and nothing in chat; alerts that start or resolve land on the
incident's timeline; when every alert has resolved the commander is asked to resolve (or, if the
circle says so, the incident resolves itself). An alert firing again soon after its incident was
resolved reopens that incident instead of opening a new one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from domain.alerts.model import (
    Alert,
    AlertGroup,
    AlertNotification,
    AlertStatus,
    GroupChanges,
    describe_alerts,
    links_of,
    runbook_links,
)
from domain.alerts.model import incident_title as title_of
from domain.circle import Circle, Severity
from domain.incidents import service
from domain.incidents.model import MAX_TEXT_LENGTH, Incident, IncidentStatus, Source
from domain.incidents.service import IncidentContext


class AlertGroups(Protocol):
    """Where alert groups are kept; `find` locks the group for the transaction."""

    async def find(self, circle: str, group_key: str) -> AlertGroup | None: ...

    async def add(self, group: AlertGroup) -> None:
        """Insert; a concurrent insert of the same (circle, group) fails the transaction."""
        ...

    async def save(self, group: AlertGroup) -> None: ...

    async def of_incident(self, incident_number: int) -> list[AlertGroup]:
        """The groups following an incident (usually one)."""
        ...


class AlertRouter(Protocol):
    """The circles alerts may go to."""

    async def get(self, name: str) -> Circle | None: ...

    async def active(self) -> list[Circle]:
        """Active circles in file order: the first whose route matches takes the alert."""
        ...

    async def default_circle(self) -> Circle | None: ...


@dataclass
class IngestResult:
    """What one notification did, for the outbox row's result and the logs."""

    declared: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    unrouted: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "declared": self.declared,
            "reopened": self.reopened,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "unrouted": self.unrouted,
        }


async def ingest_alerts(
    ctx: IncidentContext,
    groups: AlertGroups,
    router: AlertRouter,
    notification: AlertNotification,
    *,
    pinned_circle: str | None = None,
    runbook_web_base: str | None = None,
) -> IngestResult:
    """Apply one notification to the incidents of the circles its alerts route to.

    With `runbook_web_base` (GitLab's URL), an alert without `runbook_url` whose service the circle
    knows gets a Runbook button at its entry in the service's runbook.
    """
    result = IngestResult()
    routed, result.unrouted = await route_alerts(router, notification.alerts, pinned_circle)
    for circle, alerts in routed:
        await _ingest_group(ctx, groups, circle, notification, alerts, result, runbook_web_base)
    return result


async def route_alerts(
    router: AlertRouter, alerts: Iterable[Alert], pinned_circle: str | None
) -> tuple[list[tuple[Circle, list[Alert]]], int]:
    """Alerts per circle (a pinned circle takes them all), and how many no circle takes."""
    alerts = list(alerts)
    if pinned_circle is not None:
        circle = await router.get(pinned_circle)
        return ([(circle, alerts)] if circle and alerts else []), (0 if circle else len(alerts))
    circles = await router.active()
    default = await router.default_circle()
    by_name: dict[str, tuple[Circle, list[Alert]]] = {}
    unrouted = 0
    for alert in alerts:
        circle = next((c for c in circles if c.routes_alert(alert.labels)), default)
        if circle is None:
            unrouted += 1
            continue
        by_name.setdefault(circle.name, (circle, []))[1].append(alert)
    return list(by_name.values()), unrouted


async def _ingest_group(
    ctx: IncidentContext,
    groups: AlertGroups,
    circle: Circle,
    notification: AlertNotification,
    alerts: list[Alert],
    result: IngestResult,
    runbook_web_base: str | None = None,
) -> None:
    now = ctx.clock.now()
    group = await groups.find(circle.name, notification.group_key)
    is_new = group is None
    if group is None:
        group = AlertGroup(circle=circle.name, group_key=notification.group_key, first_seen=now, last_seen=now)
    changes = group.observe(alerts, now)
    incident = await _followed_incident(ctx, circle, group)
    if incident is None:
        if changes.started:
            group.forget_resolved()
            incident = await _declare(ctx, circle, notification, alerts, runbook_web_base)
            group.incident_number = incident.number
            result.declared.append(incident.key)
    elif changes.anything:
        reopened = await _update(ctx, circle, notification.sender, incident, group, changes, runbook_web_base)
        (result.reopened if reopened else result.updated).append(incident.key)
    else:
        result.unchanged.append(incident.key)
    await (groups.add(group) if is_new else groups.save(group))


async def _followed_incident(ctx: IncidentContext, circle: Circle, group: AlertGroup) -> Incident | None:
    """The group's incident if alerts may still attach to it: open, or resolved within the window."""
    if group.incident_number is None:
        return None
    incident = await ctx.uow.incidents.get(group.incident_number)
    if incident is None or incident.status is IncidentStatus.CLOSED:
        return None
    if incident.status is IncidentStatus.RESOLVED:
        resolved_at = incident.resolved_at or incident.declared_at
        if ctx.clock.now() - resolved_at > circle.alerts.reattach_window:
            return None
    return incident


async def _declare(
    ctx: IncidentContext,
    circle: Circle,
    notification: AlertNotification,
    alerts: list[Alert],
    runbook_web_base: str | None,
) -> Incident:
    firing = [alert for alert in alerts if alert.status is AlertStatus.FIRING]
    first = min(firing, key=lambda alert: alert.starts_at)
    common = {**notification.common_labels}
    return await service.declare_incident(
        ctx,
        circle,
        title=title_of(firing, notification.common_annotations, notification.common_labels),
        severity=_most_severe(circle, firing),
        declared_by=notification.sender,
        description=_description(notification, firing),
        source=Source.ALERT,
        service=_service_of(circle, first, common),
        alert_fingerprint=first.fingerprint[:200] or None,
        links=links_of(firing) + runbook_links(circle, firing, runbook_web_base),
    )


async def _update(
    ctx: IncidentContext,
    circle: Circle,
    actor: str,
    incident: Incident,
    group: AlertGroup,
    changes: GroupChanges,
    runbook_web_base: str | None = None,
) -> bool:
    """Record what changed; True when the incident was reopened."""
    now = ctx.clock.now()
    reopened = False
    if changes.started:
        text = f"{_count(changes.started)} firing: {describe_alerts(changes.started)}"
        if incident.status is IncidentStatus.RESOLVED:
            incident.reopen(actor, now, f"{text} again")
            reopened = True
        else:
            incident.record(now, actor, "alert", text)
        incident.add_links(links_of(changes.started) + runbook_links(circle, changes.started, runbook_web_base))
        severity = _most_severe(circle, changes.started)
        if severity < incident.severity:  # "P1" < "P2": a more severe alert joined the group
            incident.change_severity(severity, actor, now)
    if changes.resolved:
        incident.record(now, actor, "alert_resolved", f"{_count(changes.resolved)} resolved: "
                        f"{describe_alerts(changes.resolved)}")  # fmt: skip
    all_clear = bool(changes.resolved) and group.all_resolved and incident.is_open
    resolves_itself = all_clear and circle.alerts.auto_resolve
    if resolves_itself:
        incident.resolve(actor, now, summary="Every alert resolved; resolved automatically (alerts.auto_resolve)")
    await service.save_changes(ctx, incident, circle)
    if resolves_itself:  # the report asks, as after any resolve, for a postmortem decision
        await ctx.notifier.post_report(ctx.uow, await service.report_for(ctx, incident, circle), circle)
    if changes.started:
        await ctx.notifier.tell_thread(ctx.uow, incident, circle, f"{incident.key}: {text}")
    if all_clear and not resolves_itself:
        await ctx.notifier.tell_thread(ctx.uow, incident, circle, _ask_to_resolve(incident, circle, len(group.alerts)))
    return reopened


def _service_of(circle: Circle, first: Alert, common: Mapping[str, str]) -> str | None:
    """The circle's service the alert belongs to (circles.yaml `services`), else its `service` label."""
    configured = circle.service_for(first.labels)
    if configured is not None:
        return configured.name
    return common.get("service") or first.labels.get("service") or None


def _ask_to_resolve(incident: Incident, circle: Circle, alert_count: int) -> str:
    member = circle.member(incident.commander) if incident.commander else None
    who = member.display_name if member else "Commander"
    alerts = "The alert has" if alert_count == 1 else f"All {alert_count} alerts have"
    return (
        f"{alerts} resolved. {who}, if the service is healthy, resolve {incident.key} from its card or with "
        f"`/incident resolve {incident.key} <summary>`; it stays open until you do."
    )


def _most_severe(circle: Circle, alerts: Iterable[Alert]) -> Severity:
    return min((circle.alerts.severity_for(alert.labels) for alert in alerts), default=circle.alerts.default_severity)


def _count(alerts: tuple[Alert, ...] | list[Alert]) -> str:
    return "1 alert" if len(alerts) == 1 else f"{len(alerts)} alerts"


def _description(notification: AlertNotification, firing: list[Alert]) -> str:
    lines = [f"{_count(firing)} firing, sent by {notification.sender} (receiver {notification.receiver})."]
    lines += [f"- {alert.summary}{_labels(alert.labels)}" for alert in firing[:10]]
    if len(firing) > 10:
        lines.append(f"- and {len(firing) - 10} more")
    if notification.truncated_alerts:
        lines.append(f"{notification.truncated_alerts} more alerts were left out by the sender (max_alerts).")
    if notification.external_url:
        lines.append(f"Sent from {notification.external_url}")
    text = "\n".join(lines)
    return text if len(text) <= MAX_TEXT_LENGTH else text[: MAX_TEXT_LENGTH - 1] + "…"


def _labels(labels: Mapping[str, str]) -> str:
    shown = ", ".join(f"{name}={value}" for name, value in sorted(labels.items()) if name != "alertname")
    return f" [{shown[:300]}]" if shown else ""
