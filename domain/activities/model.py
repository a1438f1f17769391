"""An activity: a GitLab issue from the template, owned by one engineer, moving todo → wip → review → done."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from domain.activities.template import Task


class ActivityError(Exception):
    """A rule of the activity process was broken; the message says what to do instead."""


class ActivityStatus(StrEnum):
    TODO = "todo"
    WIP = "wip"
    REVIEW = "review"
    DONE = "done"

    @property
    def label(self) -> str:
        return {"todo": "to do", "wip": "in progress", "review": "in review", "done": "done"}[self.value]


class Repository(StrEnum):
    """Handbook: customer work in the customer's repository, generic work in the team's internal one."""

    CUSTOMER = "customer"
    INTERNAL = "internal"


@dataclass
class Activity:
    """One activity; `marker` is the stable key GitLab writes are found by after a lost answer."""

    circle: str
    owner: str
    title: str
    description: str
    tasks: list[Task]
    definition_of_done: list[Task]
    deadline: date | None
    repository: Repository
    project: str
    marker: str
    created_by: str
    created_at: datetime
    extra_labels: tuple[str, ...] = ()
    id: int | None = None
    status: ActivityStatus = ActivityStatus.TODO
    iid: int | None = None
    web_url: str | None = None
    started_at: datetime | None = None
    # When it last became WIP: nobody owes feedback for days before that.
    wip_since: datetime | None = None
    last_feedback_at: datetime | None = None
    last_feedback: str | None = None
    # Steps of the missing-feedback ladder already taken since the last feedback.
    feedback_level: int = 0
    # When the status last changed (by the bot, or as GitLab reported): older GitLab events lose.
    status_changed_at: datetime | None = None
    risk_notified: bool = False
    review_reason: str | None = None
    missing_sections: tuple[str, ...] = ()
    revision: int = 0
    events: list[str] = field(default_factory=list, compare=False, repr=False)

    @property
    def ref(self) -> str:
        """How people name it: `#15` once GitLab has it, else its title."""
        return f"#{self.iid}" if self.iid is not None else f"“{self.title}”"

    @property
    def feedback_due_since(self) -> datetime | None:
        """Where the missing-feedback count starts: the last feedback, or going WIP if later."""
        moments = [m for m in (self.last_feedback_at, self.wip_since) if m is not None]
        return max(moments) if moments else None

    @property
    def in_gitlab(self) -> bool:
        return self.iid is not None

    def ticked_share(self) -> float:
        """The share of tasks done (1.0 when there are none)."""
        if not self.tasks:
            return 1.0
        return sum(t.done for t in self.tasks) / len(self.tasks)

    def unticked_done_items(self) -> list[str]:
        return [item.text for item in self.definition_of_done if not item.done]

    def linked(self, iid: int, url: str) -> None:
        """GitLab created (or we found) the issue."""
        self.iid, self.web_url = iid, url
        self._changed("linked")

    def start(self, at: datetime) -> None:
        """Handbook: "you can work on an activity if the related GitLab issue has been defined"."""
        if self.status is ActivityStatus.WIP:
            raise ActivityError(f"{self.ref} is already in progress")
        if self.status is ActivityStatus.DONE:
            raise ActivityError(f"{self.ref} is done; open a new activity with `/activity new`")
        if not self.in_gitlab:
            raise ActivityError(f"{self.ref} has no GitLab issue yet; wait for the link on its card, then start it")
        self.status = ActivityStatus.WIP
        self.started_at = self.started_at or at
        self.wip_since, self.feedback_level, self.status_changed_at = at, 0, at
        self._changed("started")

    def park(self, at: datetime) -> None:
        if self.status is not ActivityStatus.WIP:
            raise ActivityError(f"{self.ref} is not in progress, so there is nothing to park")
        self.status, self.status_changed_at = ActivityStatus.TODO, at
        self._changed("parked")

    def record_feedback(self, at: datetime, text: str) -> None:
        if self.status is not ActivityStatus.WIP:
            raise ActivityError(f"{self.ref} is {self.status.label}; feedback is for the activity in progress")
        self.last_feedback_at, self.last_feedback, self.feedback_level = at, text, 0
        self._changed("feedback")

    def feedback_seen(self, at: datetime) -> None:
        """The assignee wrote on the issue in GitLab: that counts as feedback."""
        if self.last_feedback_at is None or at > self.last_feedback_at:
            self.last_feedback_at, self.feedback_level = at, 0
            self._changed("feedback")

    def tick(self, texts: list[str]) -> None:
        wanted = {" ".join(t.split()).lower() for t in texts}
        self.tasks = [Task(t.text, t.done or " ".join(t.text.split()).lower() in wanted) for t in self.tasks]
        self.definition_of_done = [
            Task(t.text, t.done or " ".join(t.text.split()).lower() in wanted) for t in self.definition_of_done
        ]

    def send_to_review(self, at: datetime, *, reason: str | None) -> None:
        """Ready: the definition of done is met, or the member says why it may go anyway."""
        if self.status is not ActivityStatus.WIP:
            raise ActivityError(f"{self.ref} is {self.status.label}; only the activity in progress goes to review")
        unticked = self.unticked_done_items()
        if unticked and not (reason or "").strip():
            raise DefinitionOfDoneUnmet(self, unticked)
        self.status, self.status_changed_at = ActivityStatus.REVIEW, at
        self.review_reason = (reason or "").strip() or None
        self._changed("review")

    def approve(self, at: datetime) -> None:
        if self.status is not ActivityStatus.REVIEW:
            raise ActivityError(f"{self.ref} is {self.status.label}, not in review")
        self.status, self.status_changed_at = ActivityStatus.DONE, at
        self._changed("done")

    def request_changes(self, at: datetime) -> None:
        if self.status is not ActivityStatus.REVIEW:
            raise ActivityError(f"{self.ref} is {self.status.label}, not in review")
        self.status, self.status_changed_at = ActivityStatus.WIP, at
        self.wip_since, self.feedback_level = at, 0
        self._changed("changes_requested")

    def took_status(self, status: ActivityStatus, at: datetime) -> None:
        """GitLab says the status changed (labels moved or the issue closed on the web)."""
        if status is not self.status:
            if status is ActivityStatus.WIP:
                self.started_at = self.started_at or at
                self.wip_since, self.feedback_level = at, 0
            self.status, self.status_changed_at = status, at
            self._changed(f"remote_{status.value}")

    def copy(self) -> Activity:
        return replace(self, tasks=list(self.tasks), definition_of_done=list(self.definition_of_done), events=[])

    def _changed(self, event: str) -> None:
        self.revision += 1
        self.events.append(event)


class DefinitionOfDoneUnmet(ActivityError):
    """Going to review with unticked definition-of-done items needs a reason."""

    def __init__(self, activity: Activity, unticked: list[str]) -> None:
        listed = "; ".join(unticked)
        super().__init__(
            f"{activity.ref} still has unticked definition-of-done items: {listed}. Tick them, or send it anyway "
            f"with a reason: `/activity ready {activity.ref} because <reason>`"
        )
        self.unticked = unticked


class AnotherActivityInProgress(ActivityError):
    """Handbook: one activity at a time. The member chooses whether to park the current one."""

    def __init__(self, current: Activity, wanted: Activity) -> None:
        super().__init__(
            f"you are already on {current.ref} ({current.title}); park it and start {wanted.ref}? "
            f"`/activity start {wanted.ref} park`"
        )
        self.current, self.wanted = current, wanted
