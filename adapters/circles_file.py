"""circles.yaml: load, validate with line-accurate errors, and convert to domain Circles."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from adapters.circles_schema import (
    ActivitiesSpec,
    AlertPolicySpec,
    CircleAlertsSpec,
    CircleSpec,
    DefaultsSpec,
    FileSpec,
    HandoverPolicySpec,
    MemberSpec,
    PostmortemSpec,
    RotaSpec,
    RunbooksSpec,
    ScheduleSpec,
)
from adapters.located_yaml import Loc, Problems, YamlSyntaxError, read_located_yaml
from domain.circle import (
    DEFAULT_ALERT_SEVERITIES,
    ESCALATION_TARGETS,
    MONDAY_TO_FRIDAY,
    ActivityLabels,
    ActivityPolicy,
    AlertPolicy,
    AlertRoute,
    Circle,
    CirclesConfig,
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
from domain.rota import Layer, Override, Rota, Rotation, Shift
from domain.services import RunbookPolicy, Service

__all__ = ["CirclesConfig", "CirclesFileError", "load_circles", "parse_circles"]


class CirclesFileError(Exception):
    """The file is unreadable or invalid; `errors` are "FILE:LINE: field.path: what is wrong"."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def load_circles(path: Path) -> CirclesConfig:
    """Read and validate a circles file; CirclesFileError lists every problem at once."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CirclesFileError([f"{path}: cannot read the file: {error}"]) from None
    return parse_circles(text, str(path))


def parse_circles(text: str, source: str = "circles.yaml") -> CirclesConfig:
    """Validate circles YAML held in a string; `source` names it in error messages."""
    try:
        data, lines = read_located_yaml(text, source)
    except YamlSyntaxError as error:
        raise CirclesFileError([str(error)]) from None
    problems = Problems(source, lines)
    config = _validate(data, problems)
    if problems.errors or config is None:
        raise CirclesFileError(problems.errors or [f"{source}:1: the file is empty"])
    return config


def _validate(data: Any, problems: Problems) -> CirclesConfig | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        problems.add((), "the file must be a mapping with a `circles:` list (see circles.example.yaml)")
        return None
    try:
        spec = FileSpec.model_validate(data)
    except ValidationError as error:
        problems.add_pydantic(error, (), FileSpec)
        return None
    try:
        defaults: DefaultsSpec | None = DefaultsSpec.model_validate(spec.defaults)
    except ValidationError as error:
        problems.add_pydantic(error, ("defaults",), DefaultsSpec)
        defaults = None
    circles: list[Circle] = []
    for index, raw in enumerate(spec.circles):
        _check_references(raw, ("circles", index), problems)
        try:
            circle_spec = CircleSpec.model_validate(raw)
        except ValidationError as error:
            problems.add_pydantic(error, ("circles", index), CircleSpec)
            continue
        if defaults is None:
            continue  # what the circle inherits is broken; its own fields were checked above
        circle = _to_circle(circle_spec, defaults, ("circles", index), problems)
        if circle is not None:
            circles.append(circle)
    _check_across_circles(spec.circles, problems)
    names = [c.get("name") for c in spec.circles]
    if spec.default_circle is not None and spec.default_circle not in names:
        problems.add(("default_circle",), f"no circle is called {spec.default_circle!r}")
    return CirclesConfig(circles=tuple(circles), default_circle=spec.default_circle)


def _check_references(raw: dict[str, Any], at: Loc, problems: Problems) -> None:
    """Every handle the circle mentions names one of its members; handles and ids are unique."""
    members = [m for m in raw.get("members") or [] if isinstance(m, dict)] if _is_list(raw, "members") else []
    handles: set[str] = set()
    for field_name in ("handle", "teams_user_id", "aad_object_id"):
        seen: set[str] = set()
        for index, member in enumerate(members):
            value = member.get(field_name)
            if not isinstance(value, str):
                continue
            if value.lower() in seen:
                problems.add((*at, "members", index, field_name), f"{value!r} is used by another member")
            seen.add(value.lower())
        if field_name == "handle":
            handles = seen

    def check(loc: Loc, value: Any, also: tuple[str, ...] = ()) -> None:
        if isinstance(value, str) and value not in handles and value not in also:
            known = ", ".join(sorted(handles)) or "none"
            extra = f" or one of {', '.join(also)}" if also else ""
            problems.add((*at, *loc), f"{value!r} is not a member of this circle{extra} (members: {known})")

    check(("team_leader",), raw.get("team_leader"))
    check(("focus_sre",), raw.get("focus_sre"))
    for index, step in _items(raw, "escalation"):
        check(("escalation", index, "notify"), step.get("notify"), ESCALATION_TARGETS)
    names: set[str] = set()
    for index, service in _items(raw, "services"):
        check(("services", index, "owner"), service.get("owner"))
        name = service.get("name")
        if isinstance(name, str):
            if name.lower() in names:
                problems.add((*at, "services", index, "name"), f"another service is already called {name!r}")
            names.add(name.lower())
    rota = raw.get("rota")
    if isinstance(rota, dict):
        for index, rotation in _items(rota, "rotations"):
            for position, handle in enumerate(rotation.get("members") or []):
                check(("rota", "rotations", index, "members", position), handle)
        for kind in ("shifts", "overrides"):
            for index, entry in _items(rota, kind):
                check(("rota", kind, index, "member"), entry.get("member"))


def _check_across_circles(raws: list[dict[str, Any]], problems: Problems) -> None:
    """Circle names are unique and a Teams channel belongs to at most one circle."""
    names: set[str] = set()
    channels: dict[str, str] = {}
    for index, raw in enumerate(raws):
        name = raw.get("name")
        if isinstance(name, str):
            if name in names:
                problems.add(("circles", index, "name"), f"another circle is already called {name!r}")
            names.add(name)
        channel = raw.get("channel_id")
        if isinstance(channel, str):
            if channel in channels:
                problems.add(
                    ("circles", index, "channel_id"),
                    f"channel {channel!r} already belongs to circle {channels[channel]!r}; a channel serves one circle",
                )
            channels.setdefault(channel, str(name))


def _to_circle(spec: CircleSpec, defaults: DefaultsSpec, at: Loc, problems: Problems) -> Circle | None:
    time_zone = spec.time_zone or defaults.time_zone
    if time_zone is None:
        problems.add((*at, "time_zone"), "required here or under defaults.time_zone (e.g. Europe/Rome)")
    sla: dict[Severity, SlaPolicy] = {}
    for severity in Severity:
        policy = getattr(spec.sla, severity.value) or getattr(defaults.sla, severity.value)
        if policy is not None:
            sla[severity] = SlaPolicy(policy.acknowledge, policy.resolve, policy.stakeholder_updates)
    if missing := [str(severity) for severity in Severity if severity not in sla]:
        problems.add((*at, "sla"), f"no SLA for {', '.join(missing)}; set it here or under defaults.sla")
    if missing or time_zone is None:
        return None
    escalation = spec.escalation if spec.escalation is not None else defaults.escalation or []
    postmortem = spec.postmortem or defaults.postmortem or PostmortemSpec()
    working_days = spec.working_days or defaults.working_days or list(MONDAY_TO_FRIDAY)
    handover = spec.handover or defaults.handover or HandoverPolicySpec()
    return Circle(
        name=spec.name,
        customer=spec.customer,
        project=spec.project,
        team_id=spec.team_id,
        channel_id=spec.channel_id,
        stakeholder_channel_id=spec.stakeholder_channel_id,
        time_zone=time_zone,
        team_leader=spec.team_leader,
        focus_sre=spec.focus_sre,
        members=tuple(_to_member(m, spec.team_leader) for m in spec.members),
        rota=_to_rota(spec.rota, time_zone),
        escalation=tuple(EscalationStep(s.notify, s.after) for s in escalation),
        sla=sla,
        jira=JiraBinding(
            project_key=spec.jira.project,
            issue_type=spec.jira.issue_type,
            resolve_transition=spec.jira.resolve_transition,
            close_transition=spec.jira.close_transition,
            reopen_transition=spec.jira.reopen_transition,
            reopened_status=spec.jira.reopened_status,
            priorities={s: getattr(spec.jira.priorities, s.value) for s in Severity},
        ),
        gitlab_activity_project=spec.gitlab_activity_project,
        gitlab_internal_project=spec.gitlab_internal_project,
        activities=_to_activity_policy(spec.activities or defaults.activities or ActivitiesSpec()),
        services=tuple(
            Service(
                name=s.name,
                owner=s.owner,
                runbook=s.runbook or "",
                alerts=tuple(s.alerts),
                matchers=tuple(dict(m) for m in s.match),
                dashboards=tuple((d.title, d.url) for d in s.dashboards),
            )
            for s in spec.services
        ),
        runbooks=_to_runbook_policy(spec.runbooks or defaults.runbooks or RunbooksSpec()),
        docs_repo=spec.docs_repo or "",
        standup=_to_schedule(spec.standup or defaults.standup),
        feedback=_to_schedule(spec.feedback or defaults.feedback),
        alert_routes=tuple(AlertRoute(matchers=dict(r.match)) for r in spec.alert_routes),
        alerts=_to_alert_policy(spec.alerts, defaults.alerts),
        postmortem=PostmortemPolicy(
            postmortem.recurrence_count,
            postmortem.recurrence_window,
            postmortem.due_working_days,
            postmortem.actions_tracker,
        ),
        working_days=tuple(sorted(set(working_days))),
        handover=HandoverPolicy(
            handover.accept_within, handover.escalate_after, tuple(sorted(set(handover.shift_reminders), reverse=True))
        ),
    )


def _to_alert_policy(spec: CircleAlertsSpec | None, defaults: AlertPolicySpec | None) -> AlertPolicy:
    """The circle's own alert settings as a whole, else the defaults' (the token is never inherited)."""
    chosen: AlertPolicySpec | None = spec or defaults
    if chosen is None:
        return AlertPolicy()
    severities = chosen.severities
    return AlertPolicy(
        severity_label=chosen.severity_label,
        severities=(
            {name: Severity(value) for name, value in severities.items()}
            if severities is not None
            else DEFAULT_ALERT_SEVERITIES
        ),
        default_severity=Severity(chosen.default_severity),
        reattach_window=chosen.reattach_window,
        auto_resolve=chosen.auto_resolve,
        token_sha256=spec.token_sha256 if spec else None,
    )


def _to_member(spec: MemberSpec, team_leader: str) -> Member:
    default_role = Role.TEAM_LEADER if spec.handle == team_leader else Role.SRE
    return Member(
        handle=spec.handle,
        display_name=spec.name,
        role=Role(spec.role) if spec.role else default_role,
        teams_user_id=spec.teams_user_id,
        aad_object_id=spec.aad_object_id,
        email=spec.email,
        gitlab_username=spec.gitlab,
        jira_account=spec.jira,
        phone=spec.phone,
    )


def _to_rota(spec: RotaSpec, time_zone: str) -> Rota:
    return Rota(
        time_zone=time_zone,
        rotations=tuple(
            Rotation(
                layer=Layer(r.layer),
                members=tuple(r.members),
                period_days=r.every,
                handover_time=r.handover.time,
                handover_weekday=r.handover.day,
                start=r.start,
            )
            for r in spec.rotations
        ),
        shifts=tuple(
            Shift(s.member, _aware(s.start, time_zone), _aware(s.end, time_zone), Layer(s.layer)) for s in spec.shifts
        ),
        overrides=tuple(
            Override(
                o.member,
                _aware(o.start, time_zone),
                _aware(o.end, time_zone),
                Layer(o.layer),
                reason=o.reason,
                created_by=o.created_by,
            )
            for o in spec.overrides
        ),
    )


def _to_activity_policy(spec: ActivitiesSpec) -> ActivityPolicy:
    labels = spec.labels
    return ActivityPolicy(
        labels=ActivityLabels(labels.activity, labels.todo, labels.wip, labels.review, labels.done),
        extra_labels=tuple(spec.extra_labels),
        feedback_escalation=FeedbackEscalation(
            spec.feedback_escalation.remind, spec.feedback_escalation.note, spec.feedback_escalation.team_leader
        ),
        deadline_risk=DeadlineRisk(spec.deadline_risk.elapsed, spec.deadline_risk.ticked),
        check_at=spec.check_at,
    )


def _to_runbook_policy(spec: RunbooksSpec) -> RunbookPolicy:
    return RunbookPolicy(
        staleness=spec.staleness,
        alerts_lookback=spec.alerts_lookback,
        drill_window=spec.drill_window,
        pass_mark=spec.pass_mark,
        questions=spec.questions,
        check_day=spec.check.day,
        check_at=spec.check.time,
        branch=spec.branch,
    )


def _to_schedule(spec: ScheduleSpec | None) -> Schedule | None:
    if spec is None:
        return None
    return Schedule(at=spec.time, days=tuple(sorted(set(spec.days))), enabled=spec.enabled)


def _aware(moment: datetime, time_zone: str) -> datetime:
    """A datetime written without an offset is local time in the circle's zone."""
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(time_zone))


def _is_list(raw: Mapping[str, Any], key: str) -> bool:
    return isinstance(raw.get(key), list)


def _items(raw: Mapping[str, Any], key: str) -> Iterator[tuple[int, dict[str, Any]]]:
    value = raw.get(key)
    if isinstance(value, list):
        yield from ((i, item) for i, item in enumerate(value) if isinstance(item, dict))
