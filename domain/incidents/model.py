"""The incident: from declaration to closure, with a timeline of who did what and when."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from domain.circle import Severity

MAX_TITLE_LENGTH = 150
# How the timeline names steps the bot took by itself (rota assignment, SLA warnings, escalations).
BOT_ACTOR = "circlebot"
MAX_TEXT_LENGTH = 4000


class IncidentStatus(StrEnum):
    DECLARED = "declared"
    ACKNOWLEDGED = "acknowledged"
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"
    CLOSED = "closed"


# The working phases, in order. Moving forward may skip phases (a false alarm goes straight from
# declared to resolved); moving back is only the reopen path from resolved.
PHASES = (
    IncidentStatus.DECLARED,
    IncidentStatus.ACKNOWLEDGED,
    IncidentStatus.INVESTIGATING,
    IncidentStatus.IDENTIFIED,
    IncidentStatus.MONITORING,
    IncidentStatus.RESOLVED,
)
OPEN_STATUSES = frozenset(PHASES[:-1])


class Source(StrEnum):
    MANUAL = "manual"
    ALERT = "alert"


class IncidentError(ValueError):
    """A rule of the incident process was broken; the message says what to do instead."""


# Timeline kinds for writes the outbox gave up on (it parked their rows as dead).
JIRA_FAILED, DELIVERY_FAILED = "jira_failed", "delivery_failed"


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str
    kind: str
    text: str


@dataclass(frozen=True)
class IncidentEvent:
    """Something that happened to an incident; handlers turn these into messages and Jira writes."""

    name: str
    incident_number: int
    at: datetime
    actor: str
    detail: str = ""


@dataclass
class Incident:
    """The aggregate. Every change checks its rule, lands in the timeline and records an event."""

    number: int
    circle: str
    title: str
    severity: Severity
    declared_by: str
    declared_at: datetime
    description: str = ""
    business_impact: bool = False
    data_loss: bool = False
    source: Source = Source.MANUAL
    service: str | None = None
    alert_fingerprint: str | None = None
    commander: str | None = None
    status: IncidentStatus = IncidentStatus.DECLARED
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    resolution_summary: str | None = None
    root_cause: str | None = None
    oncall_intervened: bool | None = None
    jira_key: str | None = None
    last_stakeholder_update_at: datetime | None = None
    postmortem_decision: str | None = None
    postmortem_reason: str | None = None
    # (title, url) pairs shown as buttons on the card: runbook, dashboard, the alert's source.
    links: tuple[tuple[str, str], ...] = ()
    timeline: list[TimelineEntry] = field(default_factory=list)
    events: list[IncidentEvent] = field(default_factory=list, repr=False)

    @classmethod
    def declare(
        cls,
        *,
        number: int,
        circle: str,
        title: str,
        severity: Severity,
        declared_by: str,
        at: datetime,
        commander: str | None,
        commander_name: str | None = None,
        description: str = "",
        business_impact: bool = False,
        data_loss: bool = False,
        source: Source = Source.MANUAL,
        service: str | None = None,
        alert_fingerprint: str | None = None,
        links: tuple[tuple[str, str], ...] = (),
    ) -> Incident:
        """A new incident, commanded by the circle's on-call."""
        incident = cls(
            number=number,
            circle=circle,
            title=validate_title(title),
            severity=severity,
            declared_by=declared_by,
            declared_at=at,
            description=_bounded(description, "description"),
            business_impact=business_impact,
            data_loss=data_loss,
            source=source,
            service=service,
            alert_fingerprint=alert_fingerprint,
            commander=commander,
            links=links,
        )
        via = "by monitoring" if source is Source.ALERT else f"by {declared_by}"
        incident._record(at, declared_by, "declared", f"{severity} declared {via}: {incident.title}")
        if commander:
            # The rota chose the commander, not the person declaring: the bot did this step.
            incident._record(at, BOT_ACTOR, "assigned", f"Commander: {commander_name or commander} (on call)")
        return incident

    @property
    def key(self) -> str:
        return f"INC-{self.number}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def acknowledge(self, by: str, at: datetime) -> None:
        """The commander (or anyone engaged) has seen it; stops the escalation clock."""
        if self.acknowledged_at is not None:
            raise IncidentError(f"{self.key} was already acknowledged by {self.acknowledged_by}")
        self._require_open("acknowledge")
        self.acknowledged_at, self.acknowledged_by = at, by
        if self.status is IncidentStatus.DECLARED:
            self.status = IncidentStatus.ACKNOWLEDGED
        self._record(at, by, "acknowledged", f"Acknowledged by {by}")

    def move_to(self, status: IncidentStatus, by: str, at: datetime, note: str = "") -> None:
        """Advance to a later working phase (resolve and reopen have their own methods)."""
        if status in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED):
            raise IncidentError(f"use `/incident resolve {self.key}` to resolve, then close from the report")
        self._require_open("change the status of")
        if PHASES.index(status) <= PHASES.index(self.status):
            allowed = ", ".join(p.value for p in PHASES[PHASES.index(self.status) + 1 : -1]) or "resolve"
            raise IncidentError(f"{self.key} is {self.status}; it can move on to: {allowed}")
        if self.acknowledged_at is None:
            # Working on it is acknowledging it: the escalation must stop.
            self.acknowledged_at, self.acknowledged_by = at, by
        self.status = status
        text = f"Status: {status}" + (f" — {_bounded(note, 'note')}" if note else "")
        self._record(at, by, "status", text)

    def add_note(self, by: str, at: datetime, text: str, kind: str = "note") -> None:
        """A free-text timeline entry (also used for thread messages)."""
        text = text.strip()
        if not text:
            raise IncidentError("a note needs some text: `/incident note INC-7 restarted the pods`")
        if self.status is IncidentStatus.CLOSED:
            raise IncidentError(f"{self.key} is closed; open a new incident or reopen it first")
        self._record(at, by, kind, _bounded(text, "note"))

    def assign(self, commander: str, by: str, at: datetime, commander_name: str | None = None) -> None:
        self._require_open("assign")
        name = commander_name or commander
        if commander == self.commander:
            raise IncidentError(f"{name} already commands {self.key}")
        self.commander = commander
        self._record(at, by, "assigned", f"Commander: {name}")

    def change_severity(self, severity: Severity, by: str, at: datetime) -> None:
        self._require_open("change the severity of")
        if severity is self.severity:
            raise IncidentError(f"{self.key} is already {severity}")
        before, self.severity = self.severity, severity
        self._record(at, by, "severity", f"Severity {before} → {severity}")

    def set_service(self, service: str, by: str, at: datetime) -> None:
        """The affected service, in its circle's spelling, found out or corrected mid-incident."""
        self._require_open("link a service to")
        if service == self.service:
            raise IncidentError(f"{self.key} is already linked to {service}")
        before, self.service = self.service, service
        self._record(at, by, "service", f"Service: {service}" if before is None else f"Service {before} → {service}")

    def set_impact(self, *, business_impact: bool, data_loss: bool, by: str, at: datetime) -> None:
        self._require_open("change the impact of")
        changes = []
        if business_impact != self.business_impact:
            changes.append(f"business impact: {'yes' if business_impact else 'no'}")
        if data_loss != self.data_loss:
            changes.append(f"data loss: {'yes' if data_loss else 'no'}")
        self.business_impact, self.data_loss = business_impact, data_loss
        if not changes:
            raise IncidentError(f"{self.key} already has that impact")
        self._record(at, by, "impact", "Impact updated — " + ", ".join(changes))

    def resolve(
        self,
        by: str,
        at: datetime,
        *,
        summary: str,
        root_cause: str | None = None,
        data_loss: bool | None = None,
        oncall_intervened: bool | None = None,
    ) -> None:
        """Service restored. The report and the postmortem decision follow."""
        self._require_open("resolve")
        summary = summary.strip()
        if not summary:
            raise IncidentError(f"say how it was resolved: `/incident resolve {self.key} rolled back v2.3`")
        if self.acknowledged_at is None:
            self.acknowledged_at, self.acknowledged_by = at, by
        self.status = IncidentStatus.RESOLVED
        self.resolved_at = at
        self.resolution_summary = _bounded(summary, "summary")
        self.root_cause = _bounded(root_cause.strip(), "root cause") if root_cause and root_cause.strip() else None
        if data_loss is not None:
            self.data_loss = data_loss
        if oncall_intervened is not None:
            self.oncall_intervened = oncall_intervened
        self._record(at, by, "resolved", f"Resolved: {self.resolution_summary}")

    def reopen(self, by: str, at: datetime, reason: str) -> None:
        if self.status is not IncidentStatus.RESOLVED:
            raise IncidentError(f"only a resolved incident can be reopened; {self.key} is {self.status}")
        self.status = IncidentStatus.INVESTIGATING
        self.resolved_at = None
        self._record(at, by, "reopened", "Reopened" + (f": {_bounded(reason, 'reason')}" if reason else ""))

    def close(self, by: str, at: datetime) -> None:
        if self.status is not IncidentStatus.RESOLVED:
            raise IncidentError(f"resolve {self.key} before closing it")
        self.status = IncidentStatus.CLOSED
        self.closed_at = at
        self._record(at, by, "closed", "Closed")

    def record_stakeholder_update(self, by: str, at: datetime, text: str) -> None:
        if not text.strip():
            raise IncidentError("the stakeholder update is empty; write what they need to know")
        self.last_stakeholder_update_at = at
        self._record(at, by, "stakeholder_update", _bounded(text.strip(), "update"))

    def decide_postmortem(self, by: str, at: datetime, *, start: bool, reason: str = "") -> None:
        """Record the circle SRE's decision; "not needed" must say why."""
        if self.status not in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED):
            raise IncidentError(f"decide on a postmortem once {self.key} is resolved")
        if self.postmortem_decision is not None:
            raise IncidentError(f"the postmortem decision for {self.key} was already taken: {self.postmortem_decision}")
        if not start and not reason.strip():
            raise IncidentError("say why no postmortem is needed, e.g. `known issue, covered by INC-3`")
        self.postmortem_decision = "start" if start else "not_needed"
        self.postmortem_reason = reason.strip() or None
        text = "Postmortem: start" if start else f"Postmortem not needed: {reason.strip()}"
        self._record(at, by, "postmortem_decision", text)

    def add_links(self, links: tuple[tuple[str, str], ...]) -> bool:
        """Show more (title, url) links on the card; False when all were there already."""
        known = {url for _title, url in self.links}
        new = tuple((title, url) for title, url in links if url not in known)
        self.links += new
        return bool(new)

    def record(self, at: datetime, actor: str, kind: str, text: str) -> None:
        """A system entry: SLA warnings, escalations, alert updates, Jira links."""
        self._record(at, actor, kind, _bounded(text, "entry"))

    def pop_events(self) -> list[IncidentEvent]:
        events, self.events = self.events, []
        return events

    def _require_open(self, verb: str) -> None:
        if not self.is_open:
            hint = f"`/incident reopen {self.key}`" if self.status is IncidentStatus.RESOLVED else "a new incident"
            raise IncidentError(f"cannot {verb} {self.key}: it is {self.status}; use {hint}")

    def _record(self, at: datetime, actor: str, kind: str, text: str) -> None:
        self.timeline.append(TimelineEntry(at=at, actor=actor, kind=kind, text=text))
        self.events.append(IncidentEvent(name=kind, incident_number=self.number, at=at, actor=actor, detail=text))


def validate_title(title: str) -> str:
    """A trimmed, non-empty title that fits a Jira summary and a card header."""
    title = " ".join(title.split())
    if not title:
        raise IncidentError("an incident needs a title: `/incident P2 Checkout API returns 500`")
    if len(title) > MAX_TITLE_LENGTH:
        raise IncidentError(f"the title has {len(title)} characters; keep it under {MAX_TITLE_LENGTH}")
    return title


# "P1", and what many teams type: "sev1", "SEV-1", "s1".
_SEVERITY_WORD = re.compile(r"(p|sev-?|s)(\d+)", re.IGNORECASE)


def looks_like_severity(word: str) -> bool:
    """True for a word meant as a severity, valid or not ("P1", "sev2", "P9"), so it gets a severity answer."""
    return _SEVERITY_WORD.fullmatch(word.strip()) is not None


def parse_severity(text: str) -> Severity:
    """P1..P4, or the aliases sev1..sev4 (any case); the error says what is accepted."""
    match = _SEVERITY_WORD.fullmatch(text.strip())
    if match is None or f"P{match.group(2)}" not in Severity.__members__:
        raise IncidentError(
            f"severity is P1–P4 (sev1–sev4 work too), not `{text}`: `/incident P1 Checkout API returns 500`"
        )
    return Severity(f"P{match.group(2)}")


def parse_status(text: str) -> IncidentStatus:
    try:
        return IncidentStatus(text.strip().lower())
    except ValueError:
        phases = ", ".join(p.value for p in PHASES[1:-1])
        raise IncidentError(f"unknown status `{text}`: use one of {phases}") from None


# Incident numbers are a 32-bit column; nine digits keep every one in range.
MAX_INCIDENT_NUMBER = 999_999_999
_INCIDENT_KEY = re.compile(r"INC-([0-9]{1,9})", re.ASCII)


def parse_incident_key(text: str) -> int | None:
    """The number in "INC-7" (any case), or None if `text` does not look like an incident id.

    Text that starts like one but is not ("INC-²", "INC-2147483648", "INC-x") is an IncidentError
    saying what to write: taken as "no id" it would act on the thread's incident instead.
    """
    word = text.strip().upper()
    if not word.startswith("INC-"):
        return None
    match = _INCIDENT_KEY.fullmatch(word)
    if match is None or not 1 <= int(match.group(1)) <= MAX_INCIDENT_NUMBER:
        shown = word[:20] + ("…" if len(word) > 20 else "")
        raise IncidentError(f"`{shown}` is not an incident id; write INC- and its number, like INC-7")
    return int(match.group(1))


def incident_number(value: object) -> int | None:
    """An incident number as a card or payload carries it (7, "7" or "INC-7"); None when it is none."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value <= MAX_INCIDENT_NUMBER else None
    if isinstance(value, str):
        if value.isascii() and value.isdecimal() and len(value) <= 9:
            return incident_number(int(value))
        try:
            return parse_incident_key(value)
        except IncidentError:
            return None
    return None


def _bounded(text: str, what: str) -> str:
    if len(text) > MAX_TEXT_LENGTH:
        raise IncidentError(f"the {what} has {len(text)} characters; keep it under {MAX_TEXT_LENGTH}")
    return text
