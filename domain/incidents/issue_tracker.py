"""The issue tracker port (Jira) and the outbox requests that drive it for an incident."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Protocol, Self

from domain.outbox_request import OutboxRequest, queue
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
        due: str | None = None,
        assignee: str | None = None,
    ) -> str:
        """Create the issue without looking first (callers look, over the search's consistency window).

        `due` ("YYYY-MM-DD") and `assignee` (a Cloud accountId, a Server/DC username) are set where the
        project takes them; the issue is created without them where it does not."""
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


@dataclass(frozen=True, kw_only=True)
class _IncidentIssueRequest(OutboxRequest):
    """A write to one incident's issue: found by its deterministic label, delivered in order.

    The incident service queues the incident's number (7) or its key ("INC-7"); either names it.
    """

    incident: str
    label: str = field(default="")

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Self:
        incident = payload.get("incident")
        if isinstance(incident, int) and not isinstance(incident, bool):
            payload = payload | {"incident": str(incident)}
        return super().from_payload(payload)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, str) and f.name not in _MAY_BE_EMPTY and not value.strip():
                if f.name == "label":
                    object.__setattr__(self, "label", incident_label(str(self.incident)))
                    continue
                raise ValueError(f"{self.kind} payload needs a non-empty string {f.name!r} (got {value!r})")

    @property
    def ordering_key(self) -> str:
        return f"jira:{self.incident}"


# Text a request may leave empty: an issue without description, a transition marked by its name.
_MAY_BE_EMPTY = frozenset({"description", "marker"})


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


@dataclass(frozen=True, kw_only=True)
class CommentOnIssue(_IncidentIssueRequest):
    """Add a comment to the incident's issue; `marker` is unique per update and makes it idempotent."""

    kind: ClassVar[str] = COMMENT

    body: str
    marker: str

    @property
    def idempotency_key(self) -> str:
        return f"{self.kind}:{self.incident}:{self.marker}"


@dataclass(frozen=True, kw_only=True)
class TransitionIssue(_IncidentIssueRequest):
    """Move the incident's issue through a named workflow transition (the circle configures the names).

    `marker` tells two occurrences apart (resolved, reopened, resolved again; the transition's name
    when not given); `target_status`, when known, lets a retry see that an earlier attempt already
    succeeded; without it, any done status counts as arrived, which fits the resolve and close
    transitions incidents use.
    """

    kind: ClassVar[str] = TRANSITION

    transition: str
    marker: str = ""
    target_status: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.marker:
            object.__setattr__(self, "marker", self.transition)

    @property
    def idempotency_key(self) -> str:
        return f"{self.kind}:{self.incident}:{self.marker}"


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


IssueRequest = CreateIssue | CommentOnIssue | TransitionIssue | UpdatePriority


def queue_issue_request(outbox: OutboxWriter, request: IssueRequest) -> None:
    """Queue a Jira write in the caller's transaction, keyed so it happens once and in order."""
    queue(outbox, request)
