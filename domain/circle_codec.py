"""Circles as plain JSON-able dicts (str/int/bool/list), the shape storage keeps them in."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from domain.circle import (
    WEEKDAYS,
    ActivityLabels,
    ActivityPolicy,
    AlertPolicy,
    AlertRoute,
    Circle,
    DeadlineRisk,
    EscalationStep,
    FeedbackEscalation,
    HandoverPolicy,
    JiraBinding,
    Member,
    PostmortemPolicy,
    Role,
    Schedule,
    Severity,
    SlaPolicy,
)
from domain.durations import format_duration, parse_duration
from domain.rota import Layer, Override, Rota, Rotation, Shift
from domain.services import RunbookPolicy, Service


def circle_to_dict(circle: Circle) -> dict[str, Any]:
    """A JSON-ready dict; durations, times and weekdays are written as in circles.yaml."""
    return {
        "name": circle.name,
        "customer": circle.customer,
        "project": circle.project,
        "team_id": circle.team_id,
        "channel_id": circle.channel_id,
        "stakeholder_channel_id": circle.stakeholder_channel_id,
        "time_zone": circle.time_zone,
        "team_leader": circle.team_leader,
        "focus_sre": circle.focus_sre,
        "members": [_member_to_dict(m) for m in circle.members],
        "rota": _rota_to_dict(circle.rota),
        "escalation": [{"notify": s.notify, "after": format_duration(s.after)} for s in circle.escalation],
        "sla": {str(sev): _sla_to_dict(policy) for sev, policy in sorted(circle.sla.items())},
        "jira": {
            "project": circle.jira.project_key,
            "issue_type": circle.jira.issue_type,
            "resolve_transition": circle.jira.resolve_transition,
            "close_transition": circle.jira.close_transition,
            "reopen_transition": circle.jira.reopen_transition,
            "reopened_status": circle.jira.reopened_status,
            "priorities": {str(sev): circle.jira.priority_for(sev) for sev in Severity},
        },
        "gitlab_activity_project": circle.gitlab_activity_project,
        "gitlab_internal_project": circle.gitlab_internal_project,
        "activities": _activities_to_dict(circle.activities),
        "services": [_service_to_dict(service) for service in circle.services],
        "runbooks": _runbooks_to_dict(circle.runbooks),
        "docs_repo": circle.docs_repo,
        "standup": _schedule_to_dict(circle.standup),
        "feedback": _schedule_to_dict(circle.feedback),
        "alert_routes": [{"match": dict(sorted(r.matchers.items()))} for r in circle.alert_routes],
        "alerts": _alert_policy_to_dict(circle.alerts),
        "postmortem": {
            "recurrence_count": circle.postmortem.recurrence_count,
            "recurrence_window": format_duration(circle.postmortem.recurrence_window),
            "due_working_days": circle.postmortem.due_working_days,
            "actions_tracker": circle.postmortem.actions_tracker,
        },
        "working_days": [WEEKDAYS[d] for d in circle.working_days],
        "handover": {
            "accept_within": format_duration(circle.handover.accept_within),
            "escalate_after": format_duration(circle.handover.escalate_after),
            "shift_reminders": [format_duration(d) for d in circle.handover.shift_reminders],
        },
    }


def circle_from_dict(data: Mapping[str, Any]) -> Circle:
    """The inverse of circle_to_dict."""
    jira = data["jira"]
    postmortem = data["postmortem"]
    return Circle(
        name=data["name"],
        customer=data["customer"],
        project=data["project"],
        team_id=data["team_id"],
        channel_id=data["channel_id"],
        stakeholder_channel_id=data["stakeholder_channel_id"],
        time_zone=data["time_zone"],
        team_leader=data["team_leader"],
        focus_sre=data["focus_sre"],
        members=tuple(_member_from_dict(m) for m in data["members"]),
        rota=_rota_from_dict(data["rota"]),
        escalation=tuple(
            EscalationStep(notify=s["notify"], after=parse_duration(s["after"])) for s in data["escalation"]
        ),
        sla={Severity(sev): _sla_from_dict(policy) for sev, policy in data["sla"].items()},
        jira=JiraBinding(
            project_key=jira["project"],
            issue_type=jira["issue_type"],
            resolve_transition=jira["resolve_transition"],
            close_transition=jira["close_transition"],
            # Circles stored before reopening reached Jira take the default workflow's names.
            reopen_transition=jira.get("reopen_transition", "Reopen Issue"),
            reopened_status=jira.get("reopened_status", "Reopened"),
            priorities={Severity(sev): name for sev, name in jira["priorities"].items()},
        ),
        gitlab_activity_project=data["gitlab_activity_project"],
        # Specs stored before activities (#14) have neither key.
        gitlab_internal_project=data.get("gitlab_internal_project"),
        activities=_activities_from_dict(data.get("activities")),
        # Specs stored before runbooks (#16) have neither key.
        services=tuple(_service_from_dict(s) for s in data.get("services") or ()),
        runbooks=_runbooks_from_dict(data.get("runbooks")),
        docs_repo=data["docs_repo"],
        standup=_schedule_from_dict(data["standup"]),
        feedback=_schedule_from_dict(data["feedback"]),
        alert_routes=tuple(AlertRoute(matchers=dict(r["match"])) for r in data["alert_routes"]),
        # Specs stored before alert policies existed have no "alerts" key.
        alerts=_alert_policy_from_dict(data.get("alerts")),
        postmortem=PostmortemPolicy(
            recurrence_count=postmortem["recurrence_count"],
            recurrence_window=parse_duration(postmortem["recurrence_window"]),
            due_working_days=postmortem["due_working_days"],
            actions_tracker=postmortem.get("actions_tracker", "jira"),
        ),
        working_days=tuple(WEEKDAYS.index(d) for d in data["working_days"]),
        # Specs stored before handover settings existed have no "handover" key.
        handover=_handover_from_dict(data.get("handover")),
    )


def _handover_from_dict(data: Mapping[str, Any] | None) -> HandoverPolicy:
    if not data:
        return HandoverPolicy()
    return HandoverPolicy(
        accept_within=parse_duration(data["accept_within"]),
        escalate_after=parse_duration(data["escalate_after"]),
        shift_reminders=tuple(parse_duration(d) for d in data["shift_reminders"]),
    )


def _alert_policy_to_dict(policy: AlertPolicy) -> dict[str, Any]:
    return {
        "severity_label": policy.severity_label,
        "severities": {name: str(severity) for name, severity in sorted(policy.severities.items())},
        "default_severity": str(policy.default_severity),
        "reattach_window": format_duration(policy.reattach_window),
        "auto_resolve": policy.auto_resolve,
        "token_sha256": policy.token_sha256,
    }


def _alert_policy_from_dict(data: Mapping[str, Any] | None) -> AlertPolicy:
    if not data:
        return AlertPolicy()
    return AlertPolicy(
        severity_label=data["severity_label"],
        severities={name: Severity(severity) for name, severity in data["severities"].items()},
        default_severity=Severity(data["default_severity"]),
        reattach_window=parse_duration(data["reattach_window"]),
        auto_resolve=data["auto_resolve"],
        token_sha256=data["token_sha256"],
    )


def _member_to_dict(member: Member) -> dict[str, Any]:
    return {
        "handle": member.handle,
        "name": member.display_name,
        "role": str(member.role),
        "teams_user_id": member.teams_user_id,
        "aad_object_id": member.aad_object_id,
        "email": member.email,
        "gitlab": member.gitlab_username,
        "jira": member.jira_account,
        "phone": member.phone,
    }


def _member_from_dict(data: Mapping[str, Any]) -> Member:
    return Member(
        handle=data["handle"],
        display_name=data["name"],
        role=Role(data["role"]),
        teams_user_id=data["teams_user_id"],
        aad_object_id=data["aad_object_id"],
        email=data["email"],
        gitlab_username=data["gitlab"],
        jira_account=data["jira"],
        phone=data["phone"],
    )


def _sla_to_dict(policy: SlaPolicy) -> dict[str, str]:
    update = policy.stakeholder_update
    return {
        "acknowledge": format_duration(policy.acknowledge),
        "resolve": format_duration(policy.resolve),
        "stakeholder_updates": format_duration(update) if update is not None else "never",
    }


def _sla_from_dict(data: Mapping[str, str]) -> SlaPolicy:
    update = data["stakeholder_updates"]
    return SlaPolicy(
        acknowledge=parse_duration(data["acknowledge"]),
        resolve=parse_duration(data["resolve"]),
        stakeholder_update=None if update == "never" else parse_duration(update),
    )


def _activities_to_dict(policy: ActivityPolicy) -> dict[str, Any]:
    labels = policy.labels
    ladder = policy.feedback_escalation
    return {
        "labels": {
            "activity": labels.activity,
            "todo": labels.todo,
            "wip": labels.wip,
            "review": labels.review,
            "done": labels.done,
        },
        "extra_labels": list(policy.extra_labels),
        "feedback_escalation": {"remind": ladder.remind, "note": ladder.note, "team_leader": ladder.team_leader},
        "deadline_risk": {"elapsed": policy.deadline_risk.elapsed, "ticked": policy.deadline_risk.ticked},
        "check_at": policy.check_at.strftime("%H:%M"),
    }


def _activities_from_dict(data: Mapping[str, Any] | None) -> ActivityPolicy:
    if not data:
        return ActivityPolicy()
    ladder = data["feedback_escalation"]
    return ActivityPolicy(
        labels=ActivityLabels(**data["labels"]),
        extra_labels=tuple(data["extra_labels"]),
        feedback_escalation=FeedbackEscalation(ladder["remind"], ladder["note"], ladder["team_leader"]),
        deadline_risk=DeadlineRisk(data["deadline_risk"]["elapsed"], data["deadline_risk"]["ticked"]),
        check_at=time.fromisoformat(data["check_at"]),
    )


def _service_to_dict(service: Service) -> dict[str, Any]:
    return {
        "name": service.name,
        "owner": service.owner,
        "runbook": service.runbook,
        "alerts": list(service.alerts),
        "match": [dict(sorted(m.items())) for m in service.matchers],
        "dashboards": [{"title": title, "url": url} for title, url in service.dashboards],
    }


def _service_from_dict(data: Mapping[str, Any]) -> Service:
    return Service(
        name=data["name"],
        owner=data["owner"],
        runbook=data["runbook"],
        alerts=tuple(data["alerts"]),
        matchers=tuple(dict(m) for m in data["match"]),
        dashboards=tuple((d["title"], d["url"]) for d in data["dashboards"]),
    )


def _runbooks_to_dict(policy: RunbookPolicy) -> dict[str, Any]:
    return {
        "staleness": format_duration(policy.staleness),
        "alerts_lookback": format_duration(policy.alerts_lookback),
        "drill_window": format_duration(policy.drill_window) if policy.drill_window else None,
        "pass_mark": policy.pass_mark,
        "questions": policy.questions,
        "check": {"day": WEEKDAYS[policy.check_day], "time": policy.check_at.strftime("%H:%M")},
        "branch": policy.branch,
    }


def _runbooks_from_dict(data: Mapping[str, Any] | None) -> RunbookPolicy:
    if not data:
        return RunbookPolicy()
    return RunbookPolicy(
        staleness=parse_duration(data["staleness"]),
        alerts_lookback=parse_duration(data["alerts_lookback"]),
        drill_window=parse_duration(data["drill_window"]) if data["drill_window"] else None,
        pass_mark=data["pass_mark"],
        questions=data["questions"],
        check_day=WEEKDAYS.index(data["check"]["day"]),
        check_at=time.fromisoformat(data["check"]["time"]),
        branch=data["branch"],
    )


def _schedule_to_dict(schedule: Schedule | None) -> dict[str, Any] | None:
    if schedule is None:
        return None
    return {
        "time": schedule.at.strftime("%H:%M"),
        "days": [WEEKDAYS[d] for d in schedule.days],
        "enabled": schedule.enabled,
    }


def _schedule_from_dict(data: Mapping[str, Any] | None) -> Schedule | None:
    if data is None:
        return None
    return Schedule(
        at=time.fromisoformat(data["time"]),
        days=tuple(WEEKDAYS.index(d) for d in data["days"]),
        enabled=data["enabled"],
    )


def _rota_to_dict(rota: Rota) -> dict[str, Any]:
    return {
        "time_zone": rota.time_zone,
        "rotations": [
            {
                "layer": str(r.layer),
                "members": list(r.members),
                "every": format_duration(timedelta(days=r.period_days)),
                "handover_day": WEEKDAYS[r.handover_weekday] if r.handover_weekday is not None else None,
                "handover_time": r.handover_time.strftime("%H:%M"),
                "start": r.start.isoformat(),
            }
            for r in rota.rotations
        ],
        "shifts": [
            {
                "member": s.member,
                "layer": str(s.layer),
                "start": s.start.isoformat(),
                "end": s.end.isoformat(),
            }
            for s in rota.shifts
        ],
        "overrides": [
            {
                "member": o.member,
                "layer": str(o.layer),
                "start": o.start.isoformat(),
                "end": o.end.isoformat(),
                "reason": o.reason,
                "created_by": o.created_by,
            }
            for o in rota.overrides
        ],
    }


def _rota_from_dict(data: Mapping[str, Any]) -> Rota:
    return Rota(
        time_zone=data["time_zone"],
        rotations=tuple(
            Rotation(
                layer=Layer(r["layer"]),
                members=tuple(r["members"]),
                period_days=parse_duration(r["every"]).days,
                handover_time=time.fromisoformat(r["handover_time"]),
                handover_weekday=WEEKDAYS.index(r["handover_day"]) if r["handover_day"] else None,
                start=date.fromisoformat(r["start"]),
            )
            for r in data["rotations"]
        ),
        shifts=tuple(
            Shift(
                member=s["member"],
                start=datetime.fromisoformat(s["start"]),
                end=datetime.fromisoformat(s["end"]),
                layer=Layer(s["layer"]),
            )
            for s in data["shifts"]
        ),
        overrides=tuple(
            Override(
                member=o["member"],
                start=datetime.fromisoformat(o["start"]),
                end=datetime.fromisoformat(o["end"]),
                layer=Layer(o["layer"]),
                reason=o["reason"],
                created_by=o["created_by"],
            )
            for o in data["overrides"]
        ),
    )
