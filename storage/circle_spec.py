"""The circle spec: circles.yaml as pydantic models, and the form the database stores circles in.

Every field has its type and documented spelling. Values serialise to JSON (`model_dump(mode="json")`)
as people write them in circles.yaml ("5m", "09:30", "mon"), so a stored spec reads like the file
and validates again unchanged.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, model_validator

from domain.circle import MONDAY_TO_FRIDAY, WEEKDAYS
from domain.durations import format_duration, parse_duration


def _duration(value: Any) -> timedelta:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a duration; write a number and a unit, like 30s, 5m, 4h or 3d")
    return parse_duration(value)


def _cadence(value: Any) -> timedelta | None:
    return None if value == "never" else _duration(value)


def _time_of_day(value: Any) -> time:
    if isinstance(value, str) and re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value.strip()):
        return time.fromisoformat(value.strip())
    raise ValueError(f'{value!r} is not a time of day; write it as HH:MM in quotes, like "09:30"')


def _weekday(value: Any) -> int:
    if isinstance(value, str) and value.strip().lower() in WEEKDAYS:
        return WEEKDAYS.index(value.strip().lower())
    raise ValueError(f"{value!r} is not a weekday; use one of {', '.join(WEEKDAYS)}")


def _time_zone(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a time zone name")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone; write it like Europe/Rome or UTC") from None
    return value


def _handle(value: Any) -> str:
    if isinstance(value, str) and re.fullmatch(r"[a-z][a-z0-9._-]{0,31}", value):
        return value
    raise ValueError(
        f"{value!r} is not a handle; use up to 32 lowercase letters, digits, '.', '_' or '-', starting with a letter"
    )


def _jira_project(value: Any) -> str:
    if isinstance(value, str) and re.fullmatch(r"[A-Z][A-Z0-9_]{1,9}", value):
        return value
    raise ValueError(f"{value!r} is not a Jira project key; keys are uppercase, like DEMO or OPS2")


def _period_days(value: Any) -> int:
    named = {"daily": 1, "weekly": 7}
    if isinstance(value, str) and value in named:
        return named[value]
    delta = _duration(value)
    if delta.days < 1 or delta != timedelta(days=delta.days):
        raise ValueError(f"{value!r} is not a whole number of days; write daily, weekly or e.g. 3d, 2w")
    return delta.days


def _business_hours(value: Any) -> tuple[time, time]:
    example = 'write it as "HH:MM-HH:MM" on quarter hours, like "09:00-18:00"'
    match = re.fullmatch(r"\s*(\d{2}:\d{2})\s*-\s*(\d{2}:\d{2})\s*", value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"{value!r} is not a range of hours; {example}")
    start, end = (_time_of_day(part) for part in match.groups())
    if start.minute % 15 or end.minute % 15:
        raise ValueError(f"{value!r}: business hours start and end on a quarter hour (:00, :15, :30, :45)")
    if start >= end:
        raise ValueError(f"{value!r}: business hours must end after they start, within one day")
    return start, end


def _business_hours_text(hours: tuple[time, time]) -> str:
    return f"{_time_text(hours[0])}-{_time_text(hours[1])}"


def _cadence_text(value: timedelta | None) -> str:
    return "never" if value is None else format_duration(value)


def _time_text(value: time) -> str:
    return value.strftime("%H:%M")


def _period_text(days: int) -> str:
    return format_duration(timedelta(days=days))


# Each serializer writes what the validator reads, as in circles.yaml (JSON mode only: Python dumps keep the values).
Duration = Annotated[timedelta, BeforeValidator(_duration), PlainSerializer(format_duration, when_used="json")]
Cadence = Annotated[timedelta | None, BeforeValidator(_cadence), PlainSerializer(_cadence_text, when_used="json")]
TimeOfDay = Annotated[time, BeforeValidator(_time_of_day), PlainSerializer(_time_text, when_used="json")]
Weekday = Annotated[int, BeforeValidator(_weekday), PlainSerializer(WEEKDAYS.__getitem__, when_used="json")]
TimeZoneName = Annotated[str, BeforeValidator(_time_zone)]
Handle = Annotated[str, BeforeValidator(_handle)]
PeriodDays = Annotated[int, BeforeValidator(_period_days), PlainSerializer(_period_text, when_used="json")]
JiraProjectKey = Annotated[str, BeforeValidator(_jira_project)]
# Sets of days and of reminder offsets: kept in one order, so the same set is always stored the same way.
Weekdays = Annotated[list[Weekday], AfterValidator(lambda days: sorted(set(days)))]
Reminders = Annotated[list[Duration], AfterValidator(lambda offsets: sorted(set(offsets), reverse=True))]
BusinessHours = Annotated[
    tuple[time, time], BeforeValidator(_business_hours), PlainSerializer(_business_hours_text, when_used="json")
]
Text = Annotated[str, Field(min_length=1)]


class _Model(BaseModel):
    # A typo must be an error: an ignored key would silently turn a setting off.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MemberSpec(_Model):
    handle: Handle
    name: Text
    role: Literal["team_leader", "sre", "stakeholder"] | None = None
    teams_user_id: Text | None = None
    aad_object_id: Text | None = None
    email: Text | None = None
    gitlab: Text | None = None
    jira: Text | None = None
    phone: Text | None = None
    time_zone: TimeZoneName | None = None
    holidays: list[date] = []

    @model_validator(mode="after")
    def _reachable(self) -> MemberSpec:
        if not (self.teams_user_id or self.aad_object_id):
            raise ValueError("set teams_user_id or aad_object_id, or the bot cannot recognise this member")
        return self


class SlaSpec(_Model):
    acknowledge: Duration
    resolve: Duration
    stakeholder_updates: Cadence


class SlaTableSpec(_Model):
    P1: SlaSpec | None = None
    P2: SlaSpec | None = None
    P3: SlaSpec | None = None
    P4: SlaSpec | None = None


class EscalationStepSpec(_Model):
    notify: Text
    after: Duration = timedelta(0)


class HandoverSpec(_Model):
    day: Weekday | None = None
    time: TimeOfDay = time(9, 0)


class RotationSpec(_Model):
    layer: Literal["primary", "secondary"]
    members: list[Handle] = Field(min_length=1)
    every: PeriodDays = 7
    handover: HandoverSpec = HandoverSpec()
    start: date

    @model_validator(mode="after")
    def _weekday_needs_whole_weeks(self) -> RotationSpec:
        if self.handover.day is not None and self.every % 7:
            raise ValueError("handover.day only makes sense when the rotation runs in whole weeks")
        return self


class ShiftSpec(_Model):
    member: Handle
    layer: Literal["primary", "secondary"] = "primary"
    start: datetime
    end: datetime

    @model_validator(mode="after")
    def _ends_after_start(self) -> ShiftSpec:
        if (self.start.tzinfo is None) != (self.end.tzinfo is None):
            raise ValueError("write both start and end with a UTC offset, or neither (circle time zone)")
        if self.end <= self.start:
            raise ValueError(f"end {self.end} is not after start {self.start}")
        return self


class OverrideSpec(ShiftSpec):
    reason: str = ""
    created_by: str = ""


class RotaSpec(_Model):
    rotations: list[RotationSpec] = []
    shifts: list[ShiftSpec] = []
    overrides: list[OverrideSpec] = []


class ScheduleSpec(_Model):
    time: TimeOfDay
    days: Weekdays = Field(default=list(MONDAY_TO_FRIDAY), min_length=1)
    enabled: bool = True


class StandupQuestionsSpec(_Model):
    yesterday: Text = "What did you do yesterday?"
    today: Text = "What will you do today?"
    blockers: Text = "Blockers and tensions?"


class StandupSpec(_Model):
    """`standup:` of a circle or of `defaults:`: a circle's own fields win over the defaults' one by one,
    and the holidays of both add up (circle_config.applied_spec); unset, a field takes its built-in default."""

    time: TimeOfDay | None = None
    days: list[Weekday] | None = Field(default=None, min_length=1)
    enabled: bool | None = None
    window: Duration | None = None
    remind_after: Cadence = None
    questions: StandupQuestionsSpec | None = None
    holidays: list[date] = []
    escalate_blockers_after: int | None = Field(default=None, ge=1, le=30)


class JiraPrioritiesSpec(_Model):
    P1: Text = "Highest"
    P2: Text = "High"
    P3: Text = "Medium"
    P4: Text = "Low"


class JiraSpec(_Model):
    project: JiraProjectKey
    issue_type: Text = "Incident"
    resolve_transition: Text = "Resolve Issue"
    close_transition: Text = "Close Issue"
    reopen_transition: Text = "Reopen Issue"
    reopened_status: Text = "Reopened"
    priorities: JiraPrioritiesSpec = JiraPrioritiesSpec()


class AlertRouteSpec(_Model):
    match: dict[str, str] = Field(min_length=1)


def _token_digest(value: Any) -> str:
    if isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value.strip().lower()):
        return value.strip().lower()
    raise ValueError(
        'expected the SHA-256 of the token as 64 hex digits (printf %s "$TOKEN" | sha256sum), never the token'
    )


def _severity(value: Any) -> str:
    if isinstance(value, str) and value.strip().upper() in ("P1", "P2", "P3", "P4"):
        return value.strip().upper()
    raise ValueError(f"{value!r} is not a severity; use P1, P2, P3 or P4")


Severity = Annotated[str, BeforeValidator(_severity)]
TokenDigest = Annotated[str, BeforeValidator(_token_digest)]


class AlertPolicySpec(_Model):
    severity_label: Text = "severity"
    severities: dict[str, Severity] | None = None
    default_severity: Severity = "P3"
    reattach_window: Duration = timedelta(hours=1)
    auto_resolve: bool = False


class CircleAlertsSpec(AlertPolicySpec):
    token_sha256: TokenDigest | None = None


class PostmortemSpec(_Model):
    recurrence_count: int = Field(3, ge=2)
    recurrence_window: Duration = timedelta(days=30)
    due_working_days: int = Field(5, ge=1)
    actions_tracker: Literal["jira", "gitlab"] = "jira"


class HandoverPolicySpec(_Model):
    accept_within: Duration = timedelta(minutes=30)
    escalate_after: Duration = timedelta(minutes=30)
    shift_reminders: Reminders = [timedelta(days=1), timedelta(hours=1)]


class WeeklyReportSpec(_Model):
    day: Weekday = 0
    time: TimeOfDay = time(9, 0)
    enabled: bool = True


class ReportSpec(_Model):
    weekly: WeeklyReportSpec = WeeklyReportSpec()
    business_hours: BusinessHours = (time(9, 0), time(18, 0))


def _share(value: Any) -> float:
    """A share written as 0.8 or "80%"."""
    text = str(value).strip()
    try:
        number = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise ValueError(f"{value!r} is not a share; write 80% or 0.8") from None
    if not 0 < number <= 1:
        raise ValueError(f"{value!r} must be above 0% and at most 100%")
    return number


Share = Annotated[float, BeforeValidator(_share)]


class ActivityLabelsSpec(_Model):
    activity: Text = "activity"
    todo: Text = "status::todo"
    wip: Text = "status::wip"
    review: Text = "status::review"
    done: Text = "status::done"

    @model_validator(mode="after")
    def _distinct(self) -> ActivityLabelsSpec:
        statuses = [self.todo, self.wip, self.review, self.done]
        if len(set(statuses)) != len(statuses):
            raise ValueError("todo, wip, review and done need four different labels")
        return self


class FeedbackEscalationSpec(_Model):
    remind: int = Field(1, ge=0)
    note: int = Field(2, ge=0)
    team_leader: int = Field(3, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> FeedbackEscalationSpec:
        steps = [days for days in (self.remind, self.note, self.team_leader) if days > 0]
        if steps != sorted(steps):
            raise ValueError("the ladder goes remind, then note, then team_leader: give them growing day counts")
        return self


class DeadlineRiskSpec(_Model):
    elapsed: Share = 0.8
    ticked: Share = 0.5


class ActivitiesSpec(_Model):
    labels: ActivityLabelsSpec = ActivityLabelsSpec()
    extra_labels: list[Text] = []
    feedback_escalation: FeedbackEscalationSpec = FeedbackEscalationSpec()
    deadline_risk: DeadlineRiskSpec = DeadlineRiskSpec()
    check_at: TimeOfDay = time(9, 0)


class DashboardSpec(_Model):
    title: Text
    url: Annotated[str, Field(pattern=r"^https?://\S+$")]


class ServiceSpec(_Model):
    name: Handle
    owner: Handle
    # In the circle's docs repository; default runbooks/<name>.md.
    runbook: Annotated[str, Field(pattern=r"^[\w./-]+\.md$")] | None = None
    alerts: list[Text] = []
    match: list[dict[str, str]] = []
    dashboards: list[DashboardSpec] = []

    @model_validator(mode="after")
    def _matchers_not_empty(self) -> ServiceSpec:
        if any(not matcher for matcher in self.match):
            raise ValueError("a matcher needs at least one label, like {service: checkout}")
        return self


class RunbookCheckSpec(_Model):
    day: Weekday = 0
    time: TimeOfDay = time(9, 0)


class RunbooksSpec(_Model):
    staleness: Duration = timedelta(days=90)
    alerts_lookback: Duration = timedelta(days=90)
    drill_window: Duration | None = None
    pass_mark: Share = 0.8
    questions: int = Field(5, ge=1, le=30)
    check: RunbookCheckSpec = RunbookCheckSpec()
    branch: Text = "main"


class DefaultsSpec(_Model):
    """What every circle inherits: a field here is taken, as a whole, by each circle that leaves it unset
    (SLAs per severity; see circle_config.applied_spec). A field has the same name here and in CircleSpec,
    where it is optional (None: inherit).
    """

    time_zone: TimeZoneName | None = None
    sla: SlaTableSpec = SlaTableSpec()
    # Unset here too, a setting takes the built-in default below (stored with the circle, so its row shows it).
    escalation: list[EscalationStepSpec] = []
    standup: StandupSpec | None = None  # None: no stand-up
    feedback: ScheduleSpec | None = None
    postmortem: PostmortemSpec = PostmortemSpec()
    working_days: Weekdays = Field(list(MONDAY_TO_FRIDAY), min_length=1)
    handover: HandoverPolicySpec = HandoverPolicySpec()
    alerts: AlertPolicySpec = AlertPolicySpec()
    report: ReportSpec = ReportSpec()
    activities: ActivitiesSpec = ActivitiesSpec()
    runbooks: RunbooksSpec = RunbooksSpec()


class CircleSpec(_Model):
    """One circle as written in circles.yaml; once applied (defaults filled in), what the database stores."""

    name: Handle
    customer: Text
    project: Text
    team_id: Text
    channel_id: Text
    stakeholder_channel_id: Text | None = None
    time_zone: TimeZoneName | None = None
    team_leader: Handle
    focus_sre: Handle | None = None
    members: list[MemberSpec] = Field(min_length=1)
    rota: RotaSpec = RotaSpec()
    escalation: list[EscalationStepSpec] | None = None
    sla: SlaTableSpec = SlaTableSpec()
    jira: JiraSpec
    gitlab_activity_project: Text | None = None
    gitlab_internal_project: Text | None = None
    activities: ActivitiesSpec | None = None
    docs_repo: Text | None = None
    standup: StandupSpec | None = None
    feedback: ScheduleSpec | None = None
    alert_routes: list[AlertRouteSpec] = []
    alerts: CircleAlertsSpec | None = None
    postmortem: PostmortemSpec | None = None
    working_days: Weekdays | None = Field(None, min_length=1)
    handover: HandoverPolicySpec | None = None
    report: ReportSpec | None = None
    services: list[ServiceSpec] = []
    runbooks: RunbooksSpec | None = None


class FileSpec(_Model):
    # Checked against the circles' names later, so it cannot hide the circles' own errors.
    default_circle: str | None = None
    # Defaults and each circle are validated on their own, so one mistake hides no other.
    defaults: dict[str, Any] = {}
    circles: list[dict[str, Any]]
