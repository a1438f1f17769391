"""How a circle runs its activities: the standard labels, the missing-feedback ladder, the deadline-risk rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time


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
