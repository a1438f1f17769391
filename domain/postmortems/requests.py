"""Outbox requests that carry a postmortem's external writes: the GitLab draft, action issues, MR checks.

Each has a deterministic idempotency key, and each handler looks before it creates (branch,
file, merge request by source branch, issue by label), so a retry after a lost response never
makes a second one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar, TypeVar

from domain.ports import OutboxWriter

DRAFT_IN_GITLAB = "postmortem.gitlab_draft"
FILE_ACTION = "postmortem.file_action"
CHECK_MERGE_REQUEST = "postmortem.gitlab_mr_state"

# Every issue circlebot files for a corrective action carries these labels.
ACTION_LABELS = ("circlebot", "postmortem-action")

R = TypeVar("R", bound="_Request")


def action_label(incident_number: int, action_number: int) -> str:
    """The deterministic label that finds an action's issue after a lost response: circlebot-pm-inc-7-a1."""
    return f"circlebot-pm-inc-{incident_number}-a{action_number}"


@dataclass(frozen=True)
class _Request:
    kind: ClassVar[str] = ""

    def to_payload(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_payload(cls: type[R], payload: dict[str, Any]) -> R:
        """Parse an outbox payload; ValueError names the missing field."""
        missing = [f.name for f in fields(cls) if f.name not in payload]
        if missing:
            raise ValueError(f"{cls.kind} payload lacks {', '.join(missing)}")
        values = {f.name: payload[f.name] for f in fields(cls)}
        for name, value in values.items():
            if isinstance(value, list):
                values[name] = tuple(value)
        return cls(**values)


@dataclass(frozen=True)
class DraftInGitLab(_Request):
    """Branch, markdown file and merge request for a postmortem, in the circle's docs repository."""

    kind: ClassVar[str] = DRAFT_IN_GITLAB

    incident_number: int
    project: str
    branch: str
    path: str
    content: str
    commit_message: str
    title: str
    description: str
    assignee: str | None
    labels: tuple[str, ...] = ("postmortem",)

    @property
    def idempotency_key(self) -> str:
        return f"{self.kind}:INC-{self.incident_number}"

    @property
    def ordering_key(self) -> str:
        return f"gitlab:postmortem:INC-{self.incident_number}"


@dataclass(frozen=True)
class FileAction(_Request):
    """An issue for one agreed corrective action, in Jira or in GitLab."""

    kind: ClassVar[str] = FILE_ACTION

    incident_number: int
    action_number: int
    tracker: str
    project: str
    title: str
    description: str
    owner: str | None
    due: str
    label: str
    labels: tuple[str, ...] = ACTION_LABELS

    @property
    def idempotency_key(self) -> str:
        return f"{self.kind}:INC-{self.incident_number}:A{self.action_number}"


@dataclass(frozen=True)
class CheckMergeRequest(_Request):
    """Ask GitLab whether the postmortem's merge request is merged yet."""

    kind: ClassVar[str] = CHECK_MERGE_REQUEST

    incident_number: int
    project: str
    branch: str
    iid: int | None
    check: int

    @property
    def idempotency_key(self) -> str:
        return f"{self.kind}:INC-{self.incident_number}:{self.check}"

    @property
    def ordering_key(self) -> str:
        # Behind the draft: the first check must not run before the merge request exists.
        return f"gitlab:postmortem:INC-{self.incident_number}"


def queue(outbox: OutboxWriter, request: DraftInGitLab | FileAction | CheckMergeRequest) -> None:
    """Queue a postmortem write in the caller's transaction."""
    outbox.add(
        request.kind,
        request.to_payload(),
        idempotency_key=request.idempotency_key,
        ordering_key=getattr(request, "ordering_key", None),
    )
