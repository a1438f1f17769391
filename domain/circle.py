"""A circle as configured in circles.yaml: its people, rota, escalation path, SLAs and bindings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from domain.rota import Layer, Override, Rota, Rotation, Shift

MONDAY_TO_FRIDAY = (0, 1, 2, 3, 4)


class Severity(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class Role(StrEnum):
    TEAM_LEADER = "team_leader"
    SRE = "sre"
    STAKEHOLDER = "stakeholder"


@dataclass(frozen=True)
class Member:
    """A person of the circle; `handle` is the short key the rest of the file refers to."""

    handle: str
    display_name: str
    role: Role = Role.SRE
    teams_user_id: str | None = None
    aad_object_id: str | None = None
    email: str | None = None
    gitlab_username: str | None = None
    jira_account: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class SlaPolicy:
    """Deadlines from declaration; `stakeholder_update` None means no update cadence."""

    acknowledge: timedelta
    resolve: timedelta
    stakeholder_update: timedelta | None = None


# Who an escalation step notifies: one of these, or a member handle.
ESCALATION_TARGETS = ("primary", "secondary", "team_leader", "focus_sre")


@dataclass(frozen=True)
class EscalationStep:
    """Notify `notify` when `after` has passed since the previous step.

    The first step's `after` counts from the acknowledge deadline of the incident's severity,
    so the same path escalates sooner for a P1 than for a P4.
    """

    notify: str
    after: timedelta = timedelta(0)


@dataclass(frozen=True)
class AlertRoute:
    """Alerts whose labels equal every matcher (exact string match) go to this route's circle."""

    matchers: Mapping[str, str]

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(labels.get(name) == value for name, value in self.matchers.items())


# Common `severity` label values of Prometheus/Grafana rules; a circle may map its own.
DEFAULT_ALERT_SEVERITIES: Mapping[str, Severity] = MappingProxyType(
    {
        "critical": Severity.P1,
        "page": Severity.P1,
        "error": Severity.P2,
        "high": Severity.P2,
        "major": Severity.P2,
        "warning": Severity.P3,
        "minor": Severity.P3,
        "info": Severity.P4,
        "low": Severity.P4,
    }
)


@dataclass(frozen=True)
class AlertPolicy:
    """How a circle turns monitoring alerts into incidents.

    `token_sha256` is the SHA-256 (hex) of a webhook token only this circle's senders know: a
    notification carrying it goes to this circle whatever its labels. The token itself is never stored.
    """

    severity_label: str = "severity"
    severities: Mapping[str, Severity] = field(default_factory=lambda: DEFAULT_ALERT_SEVERITIES)
    default_severity: Severity = Severity.P3
    # An alert firing again this soon after its incident was resolved reopens that incident.
    reattach_window: timedelta = timedelta(hours=1)
    # Resolve the incident when all its alerts resolve, instead of asking the commander.
    auto_resolve: bool = False
    token_sha256: str | None = None

    def severity_for(self, labels: Mapping[str, str]) -> Severity:
        """The severity an alert's labels ask for: mapped value, a literal P1..P4, else the default."""
        value = labels.get(self.severity_label, "").strip()
        mapped = {name.lower(): severity for name, severity in self.severities.items()}.get(value.lower())
        if mapped is not None:
            return mapped
        return Severity(value.upper()) if value.upper() in Severity.__members__ else self.default_severity


@dataclass(frozen=True)
class Schedule:
    """A daily ritual (stand-up, activity feedback) at a local time on some weekdays (0 = Monday)."""

    at: time
    days: tuple[int, ...] = MONDAY_TO_FRIDAY
    enabled: bool = True


DEFAULT_JIRA_PRIORITIES: Mapping[Severity, str] = MappingProxyType(
    {Severity.P1: "Highest", Severity.P2: "High", Severity.P3: "Medium", Severity.P4: "Low"}
)


@dataclass(frozen=True)
class JiraBinding:
    """Where the circle's incident issues live and how they move."""

    project_key: str
    issue_type: str = "Incident"
    # The names of Jira's default workflow; a service-desk project usually says "Resolve"/"Close".
    resolve_transition: str = "Resolve Issue"
    close_transition: str = "Close Issue"
    priorities: Mapping[Severity, str] = field(default_factory=lambda: DEFAULT_JIRA_PRIORITIES)

    def priority_for(self, severity: Severity) -> str:
        """The Jira priority name for an incident severity."""
        return self.priorities.get(severity, DEFAULT_JIRA_PRIORITIES[severity])


@dataclass(frozen=True)
class PostmortemPolicy:
    """When recurrence triggers a postmortem, and how long the team has to write it."""

    recurrence_count: int = 3
    recurrence_window: timedelta = timedelta(days=30)
    due_working_days: int = 5
    # Where agreed corrective actions are filed: "jira" (the circle's project) or "gitlab".
    actions_tracker: str = "jira"


@dataclass(frozen=True)
class HandoverPolicy:
    """How shift handovers are chased, and when engineers hear that their shift is coming.

    Not accepted within `accept_within` of the shift change: a reminder; `escalate_after` later
    still not accepted: the Team Leader is told. `shift_reminders` are offsets before a shift.
    """

    accept_within: timedelta = timedelta(minutes=30)
    escalate_after: timedelta = timedelta(minutes=30)
    shift_reminders: tuple[timedelta, ...] = (timedelta(days=1), timedelta(hours=1))


@dataclass(frozen=True)
class Circle:
    """One customer/project circle; pure data plus small lookups."""

    name: str
    customer: str
    project: str
    team_id: str
    channel_id: str
    time_zone: str
    team_leader: str
    members: tuple[Member, ...]
    sla: Mapping[Severity, SlaPolicy]
    jira: JiraBinding
    stakeholder_channel_id: str | None = None
    focus_sre: str | None = None
    rota: Rota = field(default_factory=Rota)
    escalation: tuple[EscalationStep, ...] = ()
    gitlab_activity_project: str | None = None
    docs_repo: str = ""
    standup: Schedule | None = None
    feedback: Schedule | None = None
    alert_routes: tuple[AlertRoute, ...] = ()
    alerts: AlertPolicy = AlertPolicy()
    postmortem: PostmortemPolicy = PostmortemPolicy()
    working_days: tuple[int, ...] = MONDAY_TO_FRIDAY
    handover: HandoverPolicy = HandoverPolicy()

    def __post_init__(self) -> None:
        if not self.docs_repo:
            # The handbook's naming rule for a circle's documentation repository.
            object.__setattr__(self, "docs_repo", f"{self.customer}.{self.project}.DevOps")

    def member(self, handle: str) -> Member | None:
        """The member with this handle."""
        return next((m for m in self.members if m.handle == handle), None)

    def member_by_teams_id(self, teams_user_id: str) -> Member | None:
        """The member with this Teams user id (`from.id` of an activity)."""
        return next((m for m in self.members if m.teams_user_id == teams_user_id), None)

    def member_by_aad_id(self, aad_object_id: str) -> Member | None:
        """The member with this Entra ID object id (`from.aadObjectId` of an activity)."""
        wanted = aad_object_id.lower()
        return next((m for m in self.members if (m.aad_object_id or "").lower() == wanted), None)

    def sla_for(self, severity: Severity) -> SlaPolicy:
        """The SLA for a severity; the loader guarantees every severity has one."""
        return self.sla[severity]

    def escalation_offsets(self, severity: Severity) -> tuple[tuple[timedelta, EscalationStep], ...]:
        """Each escalation step with its delay from the incident's declaration."""
        offset = self.sla_for(severity).acknowledge
        result: list[tuple[timedelta, EscalationStep]] = []
        for step in self.escalation:
            offset += step.after
            result.append((offset, step))
        return tuple(result)

    def routes_alert(self, labels: Mapping[str, str]) -> bool:
        """True when one of the circle's alert routes matches these labels."""
        return any(route.matches(labels) for route in self.alert_routes)


@dataclass(frozen=True)
class CirclesConfig:
    """Every circle of a circles file, and the circle that takes alerts no route matches."""

    circles: tuple[Circle, ...]
    default_circle: str | None = None

    def circle(self, name: str) -> Circle | None:
        """The circle called `name`."""
        return next((c for c in self.circles if c.name == name), None)


# --- durations as people write them: "30s", "5m", "4h", "3d", "1h30m" --------------------------

_DURATION = re.compile(r"(\d+)([smhdw])")
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str) -> timedelta:
    """Parse "30s", "5m", "4h", "3d", "2w" or a concatenation like "1h30m"; ValueError otherwise."""
    compact = text.strip().lower().replace(" ", "")
    if not compact or _DURATION.sub("", compact):
        raise ValueError(f"{text!r} is not a duration; write a number and a unit, like 30s, 5m, 4h or 3d")
    return timedelta(seconds=sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION.findall(compact)))


def format_duration(delta: timedelta) -> str:
    """The shortest canonical text for a duration: 300 s -> "5m", 5400 s -> "1h30m"."""
    seconds = int(delta.total_seconds())
    if seconds == 0:
        return "0s"
    parts: list[str] = []
    for unit in ("d", "h", "m", "s"):
        count, seconds = divmod(seconds, _UNIT_SECONDS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


# --- JSON round trip, for storage: plain dicts of str/int/bool/list ----------------------------

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


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
            "priorities": {str(sev): circle.jira.priority_for(sev) for sev in Severity},
        },
        "gitlab_activity_project": circle.gitlab_activity_project,
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
            priorities={Severity(sev): name for sev, name in jira["priorities"].items()},
        ),
        gitlab_activity_project=data["gitlab_activity_project"],
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
