"""Outbox requests of the runbooks feature: GitLab writes (the new-runbook merge request, a drill
gap's issue) and the runbook check, which reads GitLab after the commit and so is retried too.

Each has a deterministic idempotency key; the GitLab handlers look before they create (branch,
file and merge request by source branch; issue by its label), so a retry never makes a second one.
"""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, fields
from typing import Any, ClassVar, TypeVar

from domain.ports import OutboxWriter

NEW_RUNBOOK = "runbooks.new_runbook_mr"
FILE_GAP = "runbooks.file_drill_gap"
RUN_CHECK = "runbooks.run_check"

GAP_LABELS = ("circlebot", "drill-gap")

R = TypeVar("R", bound="_Request")


def gap_label(drill_id: int, question: int) -> str:
    """The label that finds a gap's issue again after a lost answer: circlebot-drill-3-q2."""
    return f"circlebot-drill-{drill_id}-q{question + 1}"


@dataclass(frozen=True)
class _Request:
    kind: ClassVar[str] = ""

    def to_payload(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_payload(cls: type[R], payload: dict[str, Any]) -> R:
        """Parse an outbox payload; ValueError names what is missing."""
        missing = [f.name for f in fields(cls) if f.name not in payload and f.default is MISSING]
        if missing:
            raise ValueError(f"{cls.kind} payload lacks {', '.join(missing)}")
        values = {
            f.name: tuple(v) if isinstance(v := payload[f.name], list) else v for f in fields(cls) if f.name in payload
        }
        return cls(**values)


@dataclass(frozen=True)
class NewRunbookMergeRequest(_Request):
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
class FileDrillGap(_Request):
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
class RunCheck(_Request):
    """Read every runbook of the circle and tell owners and the Team Leader; `key` names the run."""

    kind: ClassVar[str] = RUN_CHECK

    circle: str
    key: str
    due_at: str | None = None  # the weekly run's planned time (ISO), so a late check says so
    requested_by: str | None = None

    @property
    def idempotency_key(self) -> str:
        return f"{self.kind}:{self.key}"


def queue(outbox: OutboxWriter, request: NewRunbookMergeRequest | FileDrillGap | RunCheck) -> None:
    """Queue a runbooks request in the caller's transaction."""
    outbox.add(request.kind, request.to_payload(), idempotency_key=request.idempotency_key)
