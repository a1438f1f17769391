"""Outbox requests of the runbooks feature: GitLab writes (the new-runbook merge request, a drill
gap's issue) and the runbook check, which reads GitLab after the commit and so is retried too.

Each has a deterministic idempotency key; the GitLab handlers look before they create (branch,
file and merge request by source branch; issue by its label), so a retry never makes a second one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from domain.outbox_request import OutboxRequest, queue

NEW_RUNBOOK = "runbooks.new_runbook_mr"
FILE_GAP = "runbooks.file_drill_gap"
RUN_CHECK = "runbooks.run_check"

GAP_LABELS = ("circlebot", "drill-gap")

__all__ = ["FileDrillGap", "NewRunbookMergeRequest", "RunCheck", "gap_label", "queue"]


def gap_label(drill_id: int, question: int) -> str:
    """The label that finds a gap's issue again after a lost answer: circlebot-drill-3-q2."""
    return f"circlebot-drill-{drill_id}-q{question + 1}"


@dataclass(frozen=True)
class NewRunbookMergeRequest(OutboxRequest):
    kind: ClassVar[str] = NEW_RUNBOOK

    circle: str
    service: str
    project: str
    branch: str
    path: str
    content: str
    title: str
    description: str
    assignee: str | None
    requested_by: str

    @property
    def idempotency_key(self) -> str:
        return f"{self.kind}:{self.circle}:{self.service}:{self.branch}"


@dataclass(frozen=True)
class FileDrillGap(OutboxRequest):
    kind: ClassVar[str] = FILE_GAP

    circle: str
    drill_id: int
    question: int
    project: str
    title: str
    description: str
    assignee: str | None
    label: str

    @property
    def idempotency_key(self) -> str:
        return f"{self.kind}:{self.drill_id}:{self.question}"


@dataclass(frozen=True)
class RunCheck(OutboxRequest):
    """Read every runbook of the circle and tell owners and the Team Leader; `key` names the run."""

    kind: ClassVar[str] = RUN_CHECK

    circle: str
    key: str
    due_at: str | None = None  # the weekly run's planned time (ISO), so a late check says so
    requested_by: str | None = None

    @property
    def idempotency_key(self) -> str:
        return f"{self.kind}:{self.key}"
