"""Outbox requests that carry a postmortem's external writes: the GitLab draft, action issues, MR checks.

Each has a deterministic idempotency key, and each handler looks before it creates (branch,
file, merge request by source branch, issue by label), so a retry after a lost response never
makes a second one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from domain.outbox_request import OutboxRequest
from domain.outbox_request import queue as queue  # the postmortem effects queue through here

DRAFT_IN_GITLAB = "postmortem.gitlab_draft"
FILE_ACTION = "postmortem.file_action"
CHECK_MERGE_REQUEST = "postmortem.gitlab_mr_state"

# Every issue circlebot files for a corrective action carries these labels.
ACTION_LABELS = ("circlebot", "postmortem-action")


def action_label(incident_number: int, action_number: int) -> str:
    """The deterministic label that finds an action's issue after a lost response: circlebot-pm-inc-7-a1."""
    return f"circlebot-pm-inc-{incident_number}-a{action_number}"


@dataclass(frozen=True)
class DraftInGitLab(OutboxRequest):
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
class FileAction(OutboxRequest):
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
class CheckMergeRequest(OutboxRequest):
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
