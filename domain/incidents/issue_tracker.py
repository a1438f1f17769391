"""The issue tracker port (Jira) and the outbox requests that drive it for an incident."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from domain.ports import OutboxWriter

# Every incident issue carries these, so a JQL filter finds all of circlebot's issues.
INCIDENT_LABELS = ("circlebot", "incident")

CREATE_ISSUE = "jira.create_issue"
COMMENT = "jira.comment"
TRANSITION = "jira.transition"
UPDATE_PRIORITY = "jira.update_priority"


class IssueTracker(Protocol):
    """Idempotent writes to an issue tracker: every method may be retried after an ambiguous failure.

    Implementations raise adapters' RetryLater for transient failures (rate limit, 5xx, network)
    and PermanentFailure when retrying cannot help (unknown project, bad credentials).
    """

    async def find_by_label(self, label: str) -> str | None:
        """The key of the oldest issue carrying `label`, or None."""
        ...

    async def ensure_issue(
        self,
        *,
        label: str,
        project: str,
        issue_type: str,
        summary: str,
        description: str,
        priority: str | None,
        extra_labels: tuple[str, ...] = (),
    ) -> str:
        """The key of the issue labelled `label`, created first if none exists yet."""
        ...

    async def find_all_by_label(self, label: str) -> list[str]:
        """Every issue carrying exactly `label`, oldest first (the search may lag a create)."""
        ...

    async def create_issue(
        self,
        *,
        label: str,
        project: str,
        issue_type: str,
        summary: str,
        description: str,
        priority: str | None,
        extra_labels: tuple[str, ...] = (),
    ) -> str:
        """Create the issue without looking first (callers look, over the search's consistency window)."""
        ...

    async def close_duplicate(self, key: str, original: str, *, label: str) -> None:
        """Close `key` as a duplicate of `original`, linked to it and without `label` (idempotent)."""
        ...

    async def set_summary(self, key: str, summary: str) -> bool:
        """Give `key` the summary `summary`; False when it already has it."""
        ...

    async def add_comment(self, key: str, body: str, *, marker: str) -> bool:
        """Comment on `key` unless a comment with `marker` is there already; True when added."""
        ...

    async def set_priority(self, key: str, priority: str) -> bool:
        """Give `key` the priority named `priority`; False when it already has it."""
        ...

    async def transition(self, key: str, name: str, *, target_status: str | None = None) -> bool:
        """Move `key` through the transition `name`; False when it is already where that leads.

        Without `target_status` the transition is taken to be a resolution: an issue already in a
        done status (Resolved, Closed, Done) counts as arrived. A name that is neither available nor
        arrived at raises PermanentFailure listing the transitions that are available.
        """
        ...


def incident_label(incident: str) -> str:
    """The deterministic Jira label for an incident reference: 'INC-7' -> 'circlebot-inc-7'."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", incident.strip().lower()).strip("-")
    if not slug:
        raise ValueError(f"cannot derive a Jira label from incident reference {incident!r}")
    return f"circlebot-{slug}"


def _required_text(payload: dict[str, Any], name: str, kind: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{kind} payload needs a non-empty string {name!r} (got {value!r})")
    return value


def _incident(payload: dict[str, Any], kind: str) -> str:
    # The incident service queues its number (7) or its key ("INC-7"); either names the incident.
    value = payload.get("incident")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _required_text(payload, "incident", kind)


def _optional_text(payload: dict[str, Any], name: str, kind: str) -> str | None:
    value = payload.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"{kind} payload field {name!r} must be a string (got {value!r})")
    return value


@dataclass(frozen=True, kw_only=True)
class _IncidentIssueRequest:
    """A write to one incident's issue: found by its deterministic label, delivered in order."""

    incident: str
    label: str = field(default="")

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", incident_label(self.incident))

    @property
    def ordering_key(self) -> str:
        return f"jira:{self.incident}"


@dataclass(frozen=True, kw_only=True)
class CreateIssue(_IncidentIssueRequest):
    """Create the incident's Jira issue (once, however often it is delivered)."""

    kind: ClassVar[str] = CREATE_ISSUE

    project: str
    issue_type: str
    summary: str
    description: str = ""
    priority: str | None = None
    extra_labels: tuple[str, ...] = INCIDENT_LABELS

    @property
    def idempotency_key(self) -> str:
        return f"{self.kind}:{self.incident}"

    def to_payload(self) -> dict[str, Any]:
        return {
            "incident": self.incident,
            "label": self.label,
            "project": self.project,
            "issue_type": self.issue_type,
            "summary": self.summary,
            "description": self.description,
            "priority": self.priority,
            "extra_labels": list(self.extra_labels),
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> CreateIssue:
        """Parse an outbox payload; ValueError names the missing or malformed field."""
        labels = payload.get("extra_labels", list(INCIDENT_LABELS))
        if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
            raise ValueError(f"{cls.kind} payload field 'extra_labels' must be a list of strings")
        return cls(
            incident=_incident(payload, cls.kind),
            label=_required_text(payload, "label", cls.kind),
            project=_required_text(payload, "project", cls.kind),
            issue_type=_required_text(payload, "issue_type", cls.kind),
            summary=_required_text(payload, "summary", cls.kind),
            description=_optional_text(payload, "description", cls.kind) or "",
            priority=_optional_text(payload, "priority", cls.kind),
            extra_labels=tuple(labels),
        )


@dataclass(frozen=True, kw_only=True)
class CommentOnIssue(_IncidentIssueRequest):
    """Add a comment to the incident's issue; `marker` is unique per update and makes it idempotent."""

    kind: ClassVar[str] = COMMENT

    body: str
    marker: str

    @property
    def idempotency_key(self) -> str:
        return f"{self.kind}:{self.incident}:{self.marker}"

    def to_payload(self) -> dict[str, Any]:
        return {"incident": self.incident, "label": self.label, "body": self.body, "marker": self.marker}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> CommentOnIssue:
        """Parse an outbox payload; ValueError names the missing or malformed field."""
        return cls(
            incident=_incident(payload, cls.kind),
            label=_required_text(payload, "label", cls.kind),
            body=_required_text(payload, "body", cls.kind),
            marker=_required_text(payload, "marker", cls.kind),
        )


@dataclass(frozen=True, kw_only=True)
class TransitionIssue(_IncidentIssueRequest):
    """Move the incident's issue through a named workflow transition (the circle configures the names).

    `marker` tells two occurrences apart (resolved, reopened, resolved again); `target_status`, when
    known, lets a retry see that an earlier attempt already succeeded; without it, any done status
    counts as arrived, which fits the resolve and close transitions incidents use.
    """

    kind: ClassVar[str] = TRANSITION

    transition: str
    marker: str
    target_status: str | None = None

    @property
    def idempotency_key(self) -> str:
        return f"{self.kind}:{self.incident}:{self.marker}"

    def to_payload(self) -> dict[str, Any]:
        return {
            "incident": self.incident,
            "label": self.label,
            "transition": self.transition,
            "marker": self.marker,
            "target_status": self.target_status,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> TransitionIssue:
        """Parse an outbox payload; ValueError names the missing or malformed field."""
        transition = _required_text(payload, "transition", cls.kind)
        return cls(
            incident=_incident(payload, cls.kind),
            label=_required_text(payload, "label", cls.kind),
            transition=transition,
            marker=_optional_text(payload, "marker", cls.kind) or transition,
            target_status=_optional_text(payload, "target_status", cls.kind),
        )


@dataclass(frozen=True, kw_only=True)
class UpdatePriority(_IncidentIssueRequest):
    """Keep the issue's priority in step with the incident's severity; `marker` tells changes apart."""

    kind: ClassVar[str] = UPDATE_PRIORITY

    priority: str
    marker: str
    # The summary names the severity too; None (rows queued before it did) leaves it alone.
    summary: str | None = None

    @property
    def idempotency_key(self) -> str:
        return f"{self.kind}:{self.incident}:{self.marker}"

    def to_payload(self) -> dict[str, Any]:
        return {
            "incident": self.incident,
            "label": self.label,
            "priority": self.priority,
            "marker": self.marker,
            "summary": self.summary,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> UpdatePriority:
        """Parse an outbox payload; ValueError names the missing or malformed field."""
        return cls(
            incident=_incident(payload, cls.kind),
            label=_required_text(payload, "label", cls.kind),
            priority=_required_text(payload, "priority", cls.kind),
            marker=_required_text(payload, "marker", cls.kind),
            summary=_optional_text(payload, "summary", cls.kind),
        )


IssueRequest = CreateIssue | CommentOnIssue | TransitionIssue | UpdatePriority


def queue_issue_request(outbox: OutboxWriter, request: IssueRequest) -> None:
    """Queue a Jira write in the caller's transaction, keyed so it happens once and in order."""
    outbox.add(
        request.kind,
        request.to_payload(),
        idempotency_key=request.idempotency_key,
        ordering_key=request.ordering_key,
    )
