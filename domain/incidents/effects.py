"""What follows from an incident's change: its Jira writes and the timers its state calls for.

Both are derived, never written by hand at call sites: Jira mirrors the events, and the timer set
(SLA warnings and breaches, escalation steps, stakeholder cadence) is recomputed from the state and
armed or disarmed to match. So every use case gets the same consequences, idempotently.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.circle import Circle
from domain.incidents.issue_tracker import (
    CommentOnIssue,
    CreateIssue,
    TransitionIssue,
    UpdatePriority,
    queue_issue_request,
)
from domain.incidents.model import Incident, IncidentEvent
from domain.incidents.sla import acknowledge_clock, escalation_schedule, next_stakeholder_update_due, resolve_clock
from domain.local_time import format_moment, zone_named
from domain.ports import UnitOfWork

# Timeline kinds that are chat, not changes: they stay out of Jira and the stakeholder prompts.
CHATTER = frozenset({"thread"})
# Timeline kinds Jira already knows about, so mirroring them there would only echo.
# A failed delivery is not mirrored either: telling Jira that Jira failed would fail too.
NOT_FOR_JIRA = CHATTER | {"jira", "jira_failed", "delivery_failed"}


def queue_jira_write(uow: UnitOfWork, incident: Incident, circle: Circle, event: IncidentEvent) -> None:
    """Mirror one event to the circle's Jira issue: create it on declaration, else comment (and transition)."""
    if event.name in NOT_FOR_JIRA:
        return
    if event.name == "declared":
        queue_issue_request(
            uow.outbox,
            CreateIssue(
                incident=incident.key,
                project=circle.jira.project_key,
                issue_type=circle.jira.issue_type,
                summary=jira_summary(incident),
                description=_jira_description(incident, circle),
                priority=circle.jira.priority_for(incident.severity),
            ),
        )
        return
    # The timeline position makes each comment's marker unique and stable across retries.
    marker = f"{incident.key}-{len(incident.timeline)}-{event.name}"
    queue_issue_request(
        uow.outbox, CommentOnIssue(incident=incident.key, body=f"{event.actor}: {event.detail}", marker=marker)
    )
    if event.name == "severity":
        priority = circle.jira.priority_for(incident.severity)
        # The summary carries the severity ("INC-7 [P2] …"): it follows, or Jira keeps saying P2.
        queue_issue_request(
            uow.outbox,
            UpdatePriority(incident=incident.key, priority=priority, marker=marker, summary=jira_summary(incident)),
        )
    transition = {"resolved": circle.jira.resolve_transition, "closed": circle.jira.close_transition}.get(event.name)
    if transition:
        queue_issue_request(uow.outbox, TransitionIssue(incident=incident.key, transition=transition, marker=marker))
    if event.name == "reopened":
        reopen = TransitionIssue(
            incident=incident.key,
            transition=circle.jira.reopen_transition,
            marker=marker,
            target_status=circle.jira.reopened_status,
        )
        queue_issue_request(uow.outbox, reopen)


def jira_summary(incident: Incident) -> str:
    """The Jira summary: key, current severity and title."""
    return f"{incident.key} [{incident.severity}] {incident.title}"


def _jira_description(incident: Incident, circle: Circle) -> str:
    """What the declarer saw (their own words), then the facts; times in the circle's zone."""
    when = format_moment(incident.declared_at, zone_named(circle.time_zone))
    facts = [
        f"Declared by {incident.declared_by} at {when} ({incident.source}).",
        f"Business impact: {'yes' if incident.business_impact else 'no'}; data loss: "
        f"{'yes' if incident.data_loss else 'no'}.",
    ]
    return "\n\n".join([incident.description or incident.title, *facts])


def timer_keys(incident: Incident, circle: Circle) -> list[str]:
    """Every timer an incident may own, so state changes can disarm the ones no longer wanted."""
    n = incident.number
    keys = [f"sla:{n}:{d}:{s}" for d in ("acknowledge", "resolve") for s in ("warn", "breach")]
    keys += [f"escalate:{n}:{i}" for i in range(len(circle.escalation))]
    return keys


async def sync_timers(uow: UnitOfWork, incident: Incident, circle: Circle) -> None:
    """Arm the timers the incident's state calls for and disarm the rest (idempotent)."""
    policy = circle.sla_for(incident.severity)
    wanted: dict[str, tuple[str, datetime, dict[str, object]]] = {}
    n = incident.number
    if incident.is_open:
        clocks = [resolve_clock(incident, policy)]
        if incident.acknowledged_at is None:
            clocks.append(acknowledge_clock(incident, policy))
            for index, (due, _step) in enumerate(escalation_schedule(incident, circle)):
                wanted[f"escalate:{n}:{index}"] = ("incident.escalate", due, {"incident": n, "step": index})
        for clock in clocks:
            for stage, due in (("warn", clock.warn_at), ("breach", clock.deadline)):
                payload = {"incident": n, "deadline": clock.name, "stage": stage}
                wanted[f"sla:{n}:{clock.name}:{stage}"] = ("incident.sla", due, payload)
    for key in timer_keys(incident, circle):
        if key in wanted:
            kind, due, payload = wanted[key]
            await uow.timers.schedule(kind, key, due, dict(payload))
        else:
            await uow.timers.cancel(key)
    await _sync_stakeholder_timers(uow, incident, circle)


async def _sync_stakeholder_timers(uow: UnitOfWork, incident: Incident, circle: Circle) -> None:
    # One generation of timers per update sent: a new update disarms the previous generation.
    n = incident.number
    generation = sum(1 for e in incident.timeline if e.kind == "stakeholder_update")
    policy = circle.sla_for(incident.severity)
    due = next_stakeholder_update_due(incident, policy)
    for old in range(generation):
        await uow.timers.cancel(f"stakeholder:{n}:{old}:due")
        await uow.timers.cancel(f"stakeholder:{n}:{old}:overdue")
    current = f"stakeholder:{n}:{generation}"
    if due is None or policy.stakeholder_update is None:
        await uow.timers.cancel(f"{current}:due")
        await uow.timers.cancel(f"{current}:overdue")
        return
    grace = max(policy.stakeholder_update / 2, timedelta(minutes=5))
    await uow.timers.schedule("incident.stakeholder", f"{current}:due", due, {"incident": n, "overdue": False})
    await uow.timers.schedule(
        "incident.stakeholder", f"{current}:overdue", due + grace, {"incident": n, "overdue": True}
    )
