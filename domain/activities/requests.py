"""The GitLab writes and reads activities queue on the outbox, as plain payloads.

Rows for one activity share an ordering key, so a note never overtakes the issue's creation
and a label change never overtakes an earlier one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

CREATE_ISSUE = "activities.gitlab.create_issue"
POST_NOTE = "activities.gitlab.note"
UPDATE_ISSUE = "activities.gitlab.update_issue"
READ_ISSUE = "activities.gitlab.read_issue"
LABEL_MERGE_REQUEST = "activities.gitlab.label_merge_request"


def ordering_key(activity_marker: str) -> str:
    return f"gitlab:activity:{activity_marker}"


@dataclass(frozen=True)
class CreateIssue:
    activity_id: int
    project: str
    marker: str
    title: str
    description: str
    labels: tuple[str, ...]
    due_date: str | None
    assignee: str | None

    def to_payload(self) -> dict[str, Any]:
        data = asdict(self)
        data["labels"] = list(self.labels)
        return data

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> CreateIssue:
        return cls(**{**data, "labels": tuple(data["labels"])})


@dataclass(frozen=True)
class PostNote:
    project: str
    iid: int
    marker: str
    body: str

    def to_payload(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> PostNote:
        return cls(**data)


@dataclass(frozen=True)
class UpdateIssue:
    """Label moves, assignee, reviewer, closing or reopening, and tasks to tick; each part idempotent."""

    project: str
    iid: int
    add_labels: tuple[str, ...] = ()
    remove_labels: tuple[str, ...] = ()
    assignee: str | None = None
    reviewer: str | None = None
    state_event: str | None = None  # "close" | "reopen"
    tick: tuple[str, ...] = ()
    # Set when going to review: the handler reports the issue's merge requests back for this activity.
    activity_id: int | None = None

    def to_payload(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("add_labels", "remove_labels", "tick"):
            data[name] = list(data[name])
        return data

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> UpdateIssue:
        return cls(
            **{**data, **{k: tuple(data.get(k) or ()) for k in ("add_labels", "remove_labels", "tick")}},
        )


@dataclass(frozen=True)
class ReadIssue:
    """Read an issue for `purpose`: "import" (adopt it for `owner`) or "reconcile" (refresh activity `activity_id`)."""

    purpose: str
    circle: str
    project: str
    iid: int
    owner: str | None = None
    activity_id: int | None = None
    assignee: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_payload(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> ReadIssue:
        return cls(**data)


@dataclass(frozen=True)
class LabelMergeRequest:
    """Handbook: activities *and their merge requests* carry the standard labels."""

    project: str
    mr_iid: int
    labels: tuple[str, ...]

    def to_payload(self) -> dict[str, Any]:
        return {"project": self.project, "mr_iid": self.mr_iid, "labels": list(self.labels)}

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> LabelMergeRequest:
        return cls(project=data["project"], mr_iid=int(data["mr_iid"]), labels=tuple(data["labels"]))
