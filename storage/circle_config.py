"""The one conversion from circle spec to Circle, used by the circles file and the circles table alike.

A circle setting lives in three places: its field in storage/circle_spec.py (CircleSpec, and
DefaultsSpec when circles may inherit it), its field on the domain dataclass (domain/circle.py),
and one line in `circle_from_spec` below. The database stores the applied spec (the circle's own
settings with the file's defaults filled in) as JSON, and rebuilds circles with `circle_from_spec`,
so a new setting needs no codec and no data migration: rows stored before it get the field's default.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domain.circle import (
    DEFAULT_ALERT_SEVERITIES,
    MONDAY_TO_FRIDAY,
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
    ReportPolicy,
    Role,
    Schedule,
    Severity,
    SlaPolicy,
    StandupPolicy,
    StandupQuestions,
    default_docs_repo,
)
from domain.durations import format_duration
from domain.rota import Layer, Override, Rota, Rotation, Shift
from domain.services import RunbookPolicy, Service
from storage.circle_spec import (
    ActivitiesSpec,
    CircleAlertsSpec,
    CircleSpec,
    DefaultsSpec,
    HandoverPolicySpec,
    MemberSpec,
    PostmortemSpec,
    ReportSpec,
    RotaSpec,
    RunbooksSpec,
    ScheduleSpec,
    StandupQuestionsSpec,
    StandupSpec,
)


class SpecIncomplete(ValueError):
    """An applied spec still lacks what every circle needs; `gaps` are (field, what to do)."""

    def __init__(self, gaps: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in gaps))
        self.gaps = gaps


def applied_spec(spec: CircleSpec, defaults: DefaultsSpec) -> CircleSpec:
    """The circle as applied: every DefaultsSpec field it leaves unset taken from `defaults` as a whole.

    SLAs are inherited per severity; an inherited alert policy never carries a token (a token is one
    circle's secret). SpecIncomplete when the time zone or an SLA is set neither here nor in defaults.
    """
    data = spec.model_dump(mode="json")
    standup, standup_gaps = _resolved_standup(spec.standup, defaults.standup)
    for name, inherited in defaults.model_dump(mode="json").items():
        if name == "standup":
            data["standup"] = standup.model_dump(mode="json") if standup is not None else None
        elif name == "sla":
            data["sla"] = {severity: data["sla"][severity] or inherited[severity] for severity in inherited}
        elif data[name] is None:
            data[name] = inherited
    gaps = list(standup_gaps)
    if data["time_zone"] is None:
        gaps.append(("time_zone", "required here or under defaults.time_zone (e.g. Europe/Rome)"))
    if missing := [severity for severity, policy in data["sla"].items() if policy is None]:
        gaps.append(("sla", f"no SLA for {', '.join(missing)}; set it here or under defaults.sla"))
    if gaps:
        raise SpecIncomplete(gaps)
    data["docs_repo"] = data["docs_repo"] or default_docs_repo(data["customer"], data["project"])
    for member in data["members"]:
        member["role"] = member["role"] or _default_role(member["handle"], data["team_leader"])
    applied = CircleSpec.model_validate(data)
    # Times written without an offset are local to the circle: stored with the offset they had there.
    for entry in [*applied.rota.shifts, *applied.rota.overrides]:
        entry.start, entry.end = _aware(entry.start, data["time_zone"]), _aware(entry.end, data["time_zone"])
    return applied


def circle_from_spec(spec: CircleSpec) -> Circle:
    """The Circle an applied spec describes (see `applied_spec`); settings left unset take their defaults."""
    if spec.time_zone is None:
        raise SpecIncomplete([("time_zone", "an applied spec always has one")])
    time_zone = spec.time_zone
    sla: dict[Severity, SlaPolicy] = {}
    for severity in Severity:
        policy = getattr(spec.sla, severity.value)
        if policy is None:
            raise SpecIncomplete([("sla", f"an applied spec always has {severity}")])
        sla[severity] = SlaPolicy(policy.acknowledge, policy.resolve, policy.stakeholder_updates)
    postmortem = spec.postmortem or PostmortemSpec()
    handover = spec.handover or HandoverPolicySpec()
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
        escalation=tuple(EscalationStep(s.notify, s.after) for s in spec.escalation or ()),
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
        activities=_to_activity_policy(spec.activities or ActivitiesSpec()),
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
        runbooks=_to_runbook_policy(spec.runbooks or RunbooksSpec()),
        docs_repo=spec.docs_repo or "",
        standup=_to_standup(spec.standup),
        feedback=_to_schedule(spec.feedback),
        alert_routes=tuple(AlertRoute(matchers=dict(r.match)) for r in spec.alert_routes),
        alerts=_to_alert_policy(spec.alerts),
        postmortem=PostmortemPolicy(
            postmortem.recurrence_count,
            postmortem.recurrence_window,
            postmortem.due_working_days,
            postmortem.actions_tracker,
        ),
        working_days=tuple(sorted(set(spec.working_days or MONDAY_TO_FRIDAY))),
        handover=HandoverPolicy(
            handover.accept_within, handover.escalate_after, tuple(sorted(set(handover.shift_reminders), reverse=True))
        ),
        report=_to_report_policy(spec.report or ReportSpec()),
    )


def _to_report_policy(spec: ReportSpec) -> ReportPolicy:
    start, end = spec.business_hours
    return ReportPolicy(
        weekly_day=spec.weekly.day,
        weekly_at=spec.weekly.time,
        weekly_enabled=spec.weekly.enabled,
        business_start=start,
        business_end=end,
    )


@dataclass(frozen=True)
class CirclesConfig:
    """Every circle of a circles file as applied (the specs the database stores), the Circles built
    from them, and the circle that takes alerts no route matches."""

    specs: Sequence[CircleSpec]
    default_circle: str | None = None
    circles: tuple[Circle, ...] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "specs", tuple(self.specs))
        object.__setattr__(self, "circles", tuple(circle_from_spec(spec) for spec in self.specs))

    def circle(self, name: str) -> Circle | None:
        """The circle called `name`."""
        return next((c for c in self.circles if c.name == name), None)


def _to_alert_policy(spec: CircleAlertsSpec | None) -> AlertPolicy:
    if spec is None:
        return AlertPolicy()
    severities = spec.severities
    return AlertPolicy(
        severity_label=spec.severity_label,
        severities=(
            {name: Severity(value) for name, value in severities.items()}
            if severities is not None
            else DEFAULT_ALERT_SEVERITIES
        ),
        default_severity=Severity(spec.default_severity),
        reattach_window=spec.reattach_window,
        auto_resolve=spec.auto_resolve,
        token_sha256=spec.token_sha256,
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


def _default_role(handle: str, team_leader: str) -> str:
    return str(Role.TEAM_LEADER if handle == team_leader else Role.SRE)


def _to_member(spec: MemberSpec, team_leader: str) -> Member:
    return Member(
        handle=spec.handle,
        display_name=spec.name,
        role=Role(spec.role or _default_role(spec.handle, team_leader)),
        teams_user_id=spec.teams_user_id,
        aad_object_id=spec.aad_object_id,
        email=spec.email,
        gitlab_username=spec.gitlab,
        jira_account=spec.jira,
        phone=spec.phone,
        time_zone=spec.time_zone,
        holidays=tuple(sorted(set(spec.holidays))),
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


DEFAULT_STANDUP = StandupPolicy(at=time(9, 30))


def _resolved_standup(
    spec: StandupSpec | None, defaults: StandupSpec | None
) -> tuple[StandupSpec | None, list[tuple[str, str]]]:
    """The circle's stand-up with every field decided: its own over the defaults', then built-in.

    Holidays of both add up. Stored resolved, so a row read back needs no defaults (and `never`
    for the reminder stays never). Gaps name what cannot work together, like a late reminder.
    """
    if spec is None and defaults is None:
        return None, []

    def pick(name: str, fallback: Any) -> Any:
        for source in (spec, defaults):
            if source is not None and name in source.model_fields_set:
                return getattr(source, name)
        return fallback

    base = DEFAULT_STANDUP
    holidays = sorted({*(defaults.holidays if defaults else []), *(spec.holidays if spec else [])})
    questions = pick("questions", None) or StandupQuestionsSpec()
    resolved = StandupSpec.model_construct(
        time=pick("time", base.at),
        days=sorted(set(pick("days", list(base.days)))),
        enabled=pick("enabled", base.enabled),
        window=pick("window", base.window),
        remind_after=pick("remind_after", base.remind_after),
        questions=questions,
        holidays=holidays,
        escalate_blockers_after=pick("escalate_blockers_after", base.escalate_blockers_after),
    )
    window, remind = resolved.window, resolved.remind_after
    assert isinstance(window, timedelta)
    if not timedelta(minutes=15) <= window <= timedelta(hours=12):
        return None, [("standup", "the answer window must be between 15m and 12h, like 3h")]
    if isinstance(remind, timedelta) and remind >= window:
        return None, [
            (
                "standup",
                f"the reminder (remind_after: {format_duration(remind)}) must come before the window closes "
                f"(window: {format_duration(window)}); write a shorter duration or never",
            )
        ]
    return resolved, []


def _to_standup(spec: StandupSpec | None) -> StandupPolicy | None:
    """The stand-up of an applied (resolved) spec."""
    if spec is None:
        return None
    base = DEFAULT_STANDUP
    questions = spec.questions or StandupQuestionsSpec()
    return StandupPolicy(
        at=spec.time or base.at,
        days=tuple(sorted(set(spec.days or base.days))),
        enabled=base.enabled if spec.enabled is None else spec.enabled,
        window=spec.window or base.window,
        # Unset (a row stored before stand-ups had settings): the default; set to `never`: None.
        remind_after=spec.remind_after if "remind_after" in spec.model_fields_set else base.remind_after,
        questions=StandupQuestions(questions.yesterday, questions.today, questions.blockers),
        holidays=tuple(sorted(set(spec.holidays))),
        escalate_blockers_after=spec.escalate_blockers_after or base.escalate_blockers_after,
    )


def _to_schedule(spec: ScheduleSpec | None) -> Schedule | None:
    if spec is None:
        return None
    return Schedule(at=spec.time, days=tuple(sorted(set(spec.days))), enabled=spec.enabled)


def _aware(moment: datetime, time_zone: str) -> datetime:
    """A datetime written without an offset is local time in the circle's zone."""
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(time_zone))
