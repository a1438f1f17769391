"""A circle as configured in circles.yaml: its people, rota, escalation path, SLAs and bindings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from enum import StrEnum
from types import MappingProxyType

from domain.rota import Rota
from domain.services import RunbookPolicy, Service

MONDAY_TO_FRIDAY = (0, 1, 2, 3, 4)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index 0 = Monday, as date.weekday()


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
    # Their own IANA zone when it is not the circle's: their stand-up comes at the circle's local time
    # in it, and reports judge their night hours in it.
    time_zone: str | None = None
    # Days off of this person only (the circle's own holidays are on its stand-up policy).
    holidays: tuple[date, ...] = ()


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


@dataclass(frozen=True)
class StandupQuestions:
    """The three questions of the daily stand-up, as the circle words them."""

    yesterday: str = "What did you do yesterday?"
    today: str = "What will you do today?"
    blockers: str = "Blockers and tensions?"


@dataclass(frozen=True)
class StandupPolicy(Schedule):
    """The daily stand-up: prompts at `at` (each member's local time) on `days`, except holidays.

    Answers are taken for `window` after the prompt; one reminder after `remind_after` (None:
    never). A blocker still reported after `escalate_blockers_after` working days goes to the
    Team Leader.
    """

    window: timedelta = timedelta(hours=3)
    remind_after: timedelta | None = timedelta(hours=1)
    questions: StandupQuestions = StandupQuestions()
    holidays: tuple[date, ...] = ()
    escalate_blockers_after: int = 2


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
    # Reopening an incident reopens its issue; the status tells a retry the transition already happened.
    reopen_transition: str = "Reopen Issue"
    reopened_status: str = "Reopened"
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


# --- activities (handbook: "Activities vs. Incidents") ---------------------------------------


@dataclass(frozen=True)
class ActivityLabels:
    """The standard labels (handbook: "labelled with standard tags"); status labels are scoped (`status::wip`)."""

    activity: str = "activity"
    todo: str = "status::todo"
    wip: str = "status::wip"
    review: str = "status::review"
    done: str = "status::done"

    def for_status(self, status: str) -> str:
        """The label of a status value ("todo", "wip", "review", "done")."""
        label: str = getattr(self, status)
        return label

    def status_of(self, labels: list[str] | tuple[str, ...]) -> str | None:
        """The status a set of GitLab labels says, or None when none of ours is there."""
        for status in ("done", "review", "wip", "todo"):
            if self.for_status(status) in labels:
                return status
        return None

    @property
    def statuses(self) -> tuple[str, ...]:
        return (self.todo, self.wip, self.review, self.done)


@dataclass(frozen=True)
class FeedbackEscalation:
    """Working days without feedback on a WIP activity before each step of the ladder.

    `remind`: a private reminder to the assignee; `note`: a note on the issue mentioning them;
    `team_leader`: the Team Leader is told. 0 turns a step off.
    """

    remind: int = 1
    note: int = 2
    team_leader: int = 3

    def steps(self) -> tuple[tuple[int, str], ...]:
        """(level, step) pairs in order, each with its threshold; disabled steps left out."""
        named = (("remind", self.remind), ("note", self.note), ("team_leader", self.team_leader))
        return tuple((days, name) for name, days in named if days > 0)


@dataclass(frozen=True)
class DeadlineRisk:
    """At `elapsed` of the time from start to deadline, fewer than `ticked` of the tasks done is a risk."""

    elapsed: float = 0.8
    ticked: float = 0.5


@dataclass(frozen=True)
class ActivityPolicy:
    labels: ActivityLabels = ActivityLabels()
    # Labels every activity issue carries besides the status (e.g. the circle's own tag).
    extra_labels: tuple[str, ...] = ()
    feedback_escalation: FeedbackEscalation = FeedbackEscalation()
    deadline_risk: DeadlineRisk = DeadlineRisk()
    # When, in the circle's time zone, the morning check (missing feedback, deadline risk) runs.
    check_at: time = time(9, 0)

    def issue_labels(self, status: str, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
        """Every label an activity issue in `status` carries, without duplicates."""
        return tuple(dict.fromkeys([self.labels.activity, *self.extra_labels, *extra, self.labels.for_status(status)]))


def default_docs_repo(customer: str, project: str) -> str:
    """The handbook's naming rule for a circle's documentation repository."""
    return f"{customer}.{project}.DevOps"


@dataclass(frozen=True)
class ReportPolicy:
    """When the weekly report goes to the circle's channel, and the circle's business hours.

    Business hours (local, on the circle's working days) split on-call load into business
    hours, off-hours and sleep hours (00:00-07:00, always).
    """

    weekly_day: int = 0
    weekly_at: time = time(9, 0)
    weekly_enabled: bool = True
    business_start: time = time(9, 0)
    business_end: time = time(18, 0)


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
    # The team's internal repository, for generic work (handbook: activities vs. the customer's repository).
    gitlab_internal_project: str | None = None
    docs_repo: str = ""
    standup: StandupPolicy | None = None
    feedback: Schedule | None = None
    alert_routes: tuple[AlertRoute, ...] = ()
    alerts: AlertPolicy = AlertPolicy()
    postmortem: PostmortemPolicy = PostmortemPolicy()
    working_days: tuple[int, ...] = MONDAY_TO_FRIDAY
    handover: HandoverPolicy = HandoverPolicy()
    report: ReportPolicy = ReportPolicy()
    activities: ActivityPolicy = field(default_factory=ActivityPolicy)
    services: tuple[Service, ...] = ()
    runbooks: RunbookPolicy = field(default_factory=RunbookPolicy)

    def __post_init__(self) -> None:
        if not self.docs_repo:
            object.__setattr__(self, "docs_repo", default_docs_repo(self.customer, self.project))

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

    def service(self, name: str) -> Service | None:
        """The service called `name` (any case)."""
        wanted = name.strip().lower()
        return next((s for s in self.services if s.name.lower() == wanted), None)

    def service_for(self, labels: Mapping[str, str]) -> Service | None:
        """The first service whose alert names or label matchers take these alert labels."""
        return next((s for s in self.services if s.matches(labels)), None)

    def routes_alert(self, labels: Mapping[str, str]) -> bool:
        """True when one of the circle's alert routes matches these labels."""
        return any(route.matches(labels) for route in self.alert_routes)
