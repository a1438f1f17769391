"""Incident use cases: each loads, applies one rule, and queues its effects in the same transaction.

Effects are derived from the incident's events and state, never written by hand at call sites:
Jira writes (outbox), SLA/escalation/stakeholder timers (durable timers), and Teams messages
(the notifier, which also writes to the outbox). So a command either happens with all its
consequences or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from domain.circle import Circle, Member, Severity
from domain.clock import Clock
from domain.incidents.effects import CHATTER, queue_jira_write, sync_timers
from domain.incidents.model import DELIVERY_FAILED, JIRA_FAILED, Incident, IncidentError, IncidentStatus, Source
from domain.incidents.report import IncidentReport, build_report
from domain.incidents.sla import acknowledge_clock, next_stakeholder_update_due, overdue_hint, resolve_clock, time_left
from domain.incidents.triggers import evaluate_triggers
from domain.local_time import format_time, format_when, zone_named
from domain.ports import IncidentNotifier, UnitOfWork
from domain.rota import OnCall, on_call_at

# The breach notice's headline names its clock; reports count breaches per clock by it.
ACK_OVERDUE, SLA_BREACHED = "ACK OVERDUE", "SLA BREACHED"
PHASE_CHANGES = frozenset({"acknowledged", "status", "resolved", "reopened", "severity"})


@dataclass
class IncidentContext:
    """The collaborators every incident use case needs."""

    uow: UnitOfWork
    clock: Clock
    notifier: IncidentNotifier
    jira_enabled: bool


def current_commander(circle: Circle, at: datetime) -> str:
    """The primary on call now; the Team Leader when the rota has a gap."""
    shift = on_call_at(circle.rota, at).primary
    return shift.member if shift else circle.team_leader


async def declare_incident(
    ctx: IncidentContext,
    circle: Circle,
    *,
    title: str,
    severity: Severity,
    declared_by: str,
    description: str = "",
    business_impact: bool = False,
    data_loss: bool = False,
    source: Source = Source.MANUAL,
    service: str | None = None,
    alert_fingerprint: str | None = None,
    thread: str | None = None,
    links: tuple[tuple[str, str], ...] = (),
) -> Incident:
    """Open an incident in `circle`, commanded by its current on-call."""
    now = ctx.clock.now()
    commander = current_commander(circle, now)
    member = circle.member(commander)
    incident = Incident.declare(
        number=0,
        circle=circle.name,
        title=title,
        severity=severity,
        declared_by=declared_by,
        at=now,
        commander=commander,
        commander_name=member.display_name if member else None,
        description=description,
        business_impact=business_impact,
        data_loss=data_loss,
        source=source,
        service=service,
        alert_fingerprint=alert_fingerprint,
        links=links,
    )
    await ctx.uow.incidents.add(incident, thread=thread)
    await _apply_effects(ctx, incident, circle)
    return incident


async def load(ctx: IncidentContext, number: int) -> tuple[Incident, Circle]:
    """The incident and its circle, or an IncidentError the user can act on."""
    incident = await ctx.uow.incidents.get(number)
    if incident is None:
        raise IncidentError(f"there is no INC-{number}; `/incident list` shows the open ones")
    circle = await ctx.uow.circles.get(incident.circle)
    if circle is None:
        raise IncidentError(f"INC-{number} belongs to circle {incident.circle}, which is no longer configured")
    return incident, circle


async def acknowledge(ctx: IncidentContext, number: int, by: str) -> Incident:
    incident, circle = await load(ctx, number)
    incident.acknowledge(by, ctx.clock.now())
    return await _save(ctx, incident, circle)


async def change_status(ctx: IncidentContext, number: int, status: IncidentStatus, by: str, note: str = "") -> Incident:
    incident, circle = await load(ctx, number)
    incident.move_to(status, by, ctx.clock.now(), note)
    return await _save(ctx, incident, circle)


async def add_note(ctx: IncidentContext, number: int, by: str, text: str, *, kind: str = "note") -> Incident:
    incident, circle = await load(ctx, number)
    incident.add_note(by, ctx.clock.now(), text, kind=kind)
    return await _save(ctx, incident, circle, refresh_card=kind not in CHATTER)


async def assign(ctx: IncidentContext, number: int, commander: str, by: str) -> Incident:
    incident, circle = await load(ctx, number)
    member = circle.member(commander)
    if member is None:
        raise IncidentError(f"{commander} is not a member of circle {circle.name}")
    incident.assign(commander, by, ctx.clock.now(), member.display_name)
    return await _save(ctx, incident, circle)


async def change_severity(ctx: IncidentContext, number: int, severity: Severity, by: str) -> Incident:
    incident, circle = await load(ctx, number)
    incident.change_severity(severity, by, ctx.clock.now())
    return await _save(ctx, incident, circle)


async def change_impact(
    ctx: IncidentContext, number: int, by: str, *, business_impact: bool, data_loss: bool
) -> Incident:
    """Impact found out mid-incident: business impact starts the stakeholder updates."""
    incident, circle = await load(ctx, number)
    incident.set_impact(business_impact=business_impact, data_loss=data_loss, by=by, at=ctx.clock.now())
    return await _save(ctx, incident, circle)


def circle_service(circle: Circle, name: str) -> str:
    """The circle's service called `name` (any case), in the circle's spelling."""
    found = circle.service(name)
    if found is None:
        known = ", ".join(s.name for s in circle.services) or "none"
        raise IncidentError(f"{name!r} is not a service of {circle.name} (services: {known})")
    return found.name


async def change_service(ctx: IncidentContext, number: int, name: str, by: str) -> Incident:
    """Link the incident to one of its circle's services (its runbook, its recurrence count)."""
    incident, circle = await load(ctx, number)
    incident.set_service(circle_service(circle, name), by, ctx.clock.now())
    return await _save(ctx, incident, circle)


async def resolve(
    ctx: IncidentContext,
    number: int,
    by: str,
    *,
    summary: str,
    root_cause: str | None = None,
    data_loss: bool | None = None,
    oncall_intervened: bool | None = None,
) -> IncidentReport:
    """Resolve and produce the report, with the postmortem triggers that fired."""
    incident, circle = await load(ctx, number)
    now = ctx.clock.now()
    incident.resolve(
        by, now, summary=summary, root_cause=root_cause, data_loss=data_loss, oncall_intervened=oncall_intervened
    )
    await _save(ctx, incident, circle)
    return await report_for(ctx, incident, circle)


async def report_for(ctx: IncidentContext, incident: Incident, circle: Circle) -> IncidentReport:
    policy = circle.postmortem
    similar = await ctx.uow.incidents.count_similar(
        circle=circle.name,
        service=incident.service,
        fingerprint=incident.alert_fingerprint,
        since=ctx.clock.now() - policy.recurrence_window,
    )
    triggers = evaluate_triggers(incident, similar_recent=similar, policy=policy)
    return build_report(incident, circle.sla_for(incident.severity), triggers)


async def incident_report(ctx: IncidentContext, number: int) -> IncidentReport:
    """The report of a resolved incident, its postmortem triggers re-evaluated now."""
    incident, circle = await load(ctx, number)
    return await report_for(ctx, incident, circle)


async def reopen(ctx: IncidentContext, number: int, by: str, reason: str) -> Incident:
    incident, circle = await load(ctx, number)
    incident.reopen(by, ctx.clock.now(), reason)
    return await _save(ctx, incident, circle)


async def close(ctx: IncidentContext, number: int, by: str) -> Incident:
    incident, circle = await load(ctx, number)
    incident.close(by, ctx.clock.now())
    return await _save(ctx, incident, circle)


async def decide_postmortem(ctx: IncidentContext, number: int, by: str, *, start: bool, reason: str = "") -> Incident:
    incident, circle = await load(ctx, number)
    incident.decide_postmortem(by, ctx.clock.now(), start=start, reason=reason)
    return await _save(ctx, incident, circle)


async def send_stakeholder_update(ctx: IncidentContext, number: int, by: str, text: str) -> Incident:
    """Publish the commander's update to stakeholders and Jira."""
    incident, circle = await load(ctx, number)
    incident.record_stakeholder_update(by, ctx.clock.now(), text)
    await ctx.notifier.post_stakeholder_update(ctx.uow, incident, circle, text.strip())
    return await _save(ctx, incident, circle)


async def link_issue(ctx: IncidentContext, number: int, issue_key: str) -> Incident:
    """The Jira issue exists: show its key on the card (idempotent, deliveries may repeat)."""
    incident, circle = await load(ctx, number)
    if incident.jira_key == issue_key:
        return incident
    incident.jira_key = issue_key
    incident.record(ctx.clock.now(), "circlebot", "jira", f"Jira issue {issue_key}")
    return await _save(ctx, incident, circle)


async def delivery_failed(ctx: IncidentContext, number: int, *, what: str, jira_issue: bool = False) -> Incident:
    """An external write for this incident was given up on: the card says so, the Team Leader is told once.

    `jira_issue`: it was the Jira issue itself, so the card's Jira field reads "failed", not
    "pending" forever. Telling is keyed by `what`, so a row retried and parked again is told once.
    """
    incident, circle = await load(ctx, number)
    kind = JIRA_FAILED if jira_issue else DELIVERY_FAILED
    text = f"Gave up on {what}; `circlebot outbox list --status dead` shows why, `circlebot outbox retry` resends."
    if any(entry.kind == kind and entry.text == text for entry in incident.timeline):
        return incident
    incident.record(ctx.clock.now(), "circlebot", kind, text)
    leader = circle.member(circle.team_leader)
    if leader is not None:
        await ctx.notifier.tell_privately(
            ctx.uow,
            incident,
            circle,
            leader,
            f"{incident.key}: {text}",
            key=f"incident:{incident.number}:failed:{_slug(what)}",
        )
    return await _save(ctx, incident, circle)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower())[:60]


async def save_changes(ctx: IncidentContext, incident: Incident, circle: Circle) -> Incident:
    """Persist an incident another module's use case changed (alert ingest), with all the effects."""
    return await _save(ctx, incident, circle)


# --- timers -------------------------------------------------------------------------------------


async def on_sla_timer(ctx: IncidentContext, number: int, deadline: str, stage: str) -> None:
    """An SLA warning (80 %) or breach for the acknowledge or resolve deadline."""
    incident, circle = await load(ctx, number)
    policy = circle.sla_for(incident.severity)
    clock = acknowledge_clock(incident, policy) if deadline == "acknowledge" else resolve_clock(incident, policy)
    now = ctx.clock.now()
    if clock.stopped_at is not None or not incident.is_open:
        return
    if stage == "warn" and now >= clock.deadline:
        return  # a warning that comes late (the bot was down) would say "due in 0s": the breach says it all
    zone = zone_named(circle.time_zone)
    due = format_when(clock.deadline, zone, now)
    what = "acknowledge" if deadline == "acknowledge" else "resolve"
    if stage == "warn":
        text = f"SLA warning: {incident.key} must be {what}d by {due} (in {time_left(clock.remaining(now))})."
        kind = "sla_warning"
    else:
        headline = ACK_OVERDUE if deadline == "acknowledge" else SLA_BREACHED
        text = f"{headline}: {incident.key} was not {what}d by {due}{overdue_hint(now - clock.deadline)}."
        kind = "sla_breach"
    incident.record(now, "circlebot", kind, text)
    commander = circle.member(incident.commander) if incident.commander else None
    await ctx.notifier.tell_thread(ctx.uow, incident, circle, text, mention=commander)
    await _save(ctx, incident, circle)


async def on_escalation_timer(ctx: IncidentContext, number: int, step_index: int) -> None:
    """Not acknowledged in time: engage the next step of the escalation path."""
    incident, circle = await load(ctx, number)
    if incident.acknowledged_at is not None or not incident.is_open or step_index >= len(circle.escalation):
        return
    now = ctx.clock.now()
    step = circle.escalation[step_index]
    member = escalation_target(circle, step.notify, now)
    if member is None:
        text = f"Escalation step {step_index + 1} ({step.notify}): nobody to notify — rota gap"
        incident.record(now, "circlebot", "escalated", text)
        await ctx.notifier.tell_thread(ctx.uow, incident, circle, text)
        return await _save_quietly(ctx, incident, circle)
    text = f"Not acknowledged: escalated to {member.display_name} ({step.notify}, step {step_index + 1})"
    incident.record(now, "circlebot", "escalated", text)
    await ctx.notifier.page(ctx.uow, incident, circle, member, text, step=step_index)
    await ctx.notifier.tell_thread(ctx.uow, incident, circle, text)
    await _save(ctx, incident, circle)


def escalation_target(
    circle: Circle, notify: str, at: datetime, on_call: Callable[[datetime], OnCall] | None = None
) -> Member | None:
    """The person an escalation step names, resolved against the rota at `at`.

    `on_call` looks the rota up (default: `on_call_at(circle.rota, at)`); reports pass a cached one.
    """
    if notify in ("primary", "secondary"):
        now_on_call = on_call(at) if on_call else on_call_at(circle.rota, at)
        shift = now_on_call.primary if notify == "primary" else now_on_call.secondary
        handle = shift.member if shift else None
    else:
        handle = {"team_leader": circle.team_leader, "focus_sre": circle.focus_sre}.get(notify, notify)
    return circle.member(handle) if handle else None


async def on_stakeholder_timer(ctx: IncidentContext, number: int, overdue: bool) -> None:
    """The stakeholder cadence elapsed: prompt the commander, then remind if still nothing was sent."""
    incident, circle = await load(ctx, number)
    if next_stakeholder_update_due(incident, circle.sla_for(incident.severity)) is None:
        return
    await ctx.notifier.ask_stakeholder_update(ctx.uow, incident, circle, stakeholder_draft(incident, circle), overdue)
    if overdue:
        incident.record(ctx.clock.now(), "circlebot", "reminder", "Stakeholder update overdue")
        await _save_quietly(ctx, incident, circle)


def stakeholder_draft(incident: Incident, circle: Circle) -> str:
    """A prefilled update: where we are, and what happened last."""
    recent = [e for e in incident.timeline if e.kind not in CHATTER | {"stakeholder_update"}][-3:]
    lines = [f"{incident.key} ({incident.severity}) — {incident.title}", f"Status: {incident.status}."]
    zone = zone_named(circle.time_zone)
    lines += [f"• {format_time(entry.at, zone)} {entry.text}" for entry in recent]
    return "\n".join(lines)


# --- effects ------------------------------------------------------------------------------------


async def _save(ctx: IncidentContext, incident: Incident, circle: Circle, *, refresh_card: bool = True) -> Incident:
    await ctx.uow.incidents.save(incident)
    await _apply_effects(ctx, incident, circle, refresh_card=refresh_card)
    return incident


async def _save_quietly(ctx: IncidentContext, incident: Incident, circle: Circle) -> None:
    await _save(ctx, incident, circle, refresh_card=False)


async def _apply_effects(
    ctx: IncidentContext, incident: Incident, circle: Circle, *, refresh_card: bool = True
) -> None:
    events = incident.pop_events()
    if ctx.jira_enabled:
        for event in events:
            queue_jira_write(ctx.uow, incident, circle, event)
    await sync_timers(ctx.uow, incident, circle)
    if incident.business_impact and any(e.name in PHASE_CHANGES for e in events):
        await ctx.notifier.ask_stakeholder_update(
            ctx.uow, incident, circle, stakeholder_draft(incident, circle), overdue=False
        )
    if refresh_card:
        await ctx.notifier.incident_changed(ctx.uow, incident, circle)
