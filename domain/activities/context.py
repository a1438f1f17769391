"""What every activity use case shares: the context it runs in, the forms it reads, and the small
helpers that queue GitLab writes on the outbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from domain.activities.model import (
    Activity,
    ActivityError,
    Repository,
)
from domain.activities.ports import (
    ActivityNotifier,
    ActivityRepository,
    Availability,
    NobodyAway,
    NoStandups,
    StandupToday,
)
from domain.activities.requests import (
    POST_NOTE,
    UPDATE_ISSUE,
    PostNote,
    UpdateIssue,
    ordering_key,
)
from domain.circle import Circle, Member
from domain.clock import Clock
from domain.ports import UnitOfWork


@dataclass
class ActivitiesContext:
    uow: UnitOfWork
    activities: ActivityRepository
    clock: Clock
    notifier: ActivityNotifier
    gitlab_enabled: bool
    standups: StandupToday = field(default_factory=NoStandups)
    availability: Availability = field(default_factory=NobodyAway)


@dataclass(frozen=True)
class NewActivity:
    """The `/activity new` form, as typed."""

    title: str
    description: str
    tasks: list[str]
    deadline: date | None
    definition_of_done: list[str]
    repository: Repository = Repository.CUSTOMER
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class RemoteIssue:
    """An issue as GitLab shows it (webhook payload or API read)."""

    project: str
    iid: int
    title: str
    description: str
    labels: tuple[str, ...]
    state: str
    web_url: str
    due_date: date | None = None
    assignees: tuple[str, ...] = ()
    # The assignee's newest non-system note, when the reader looked (reconcile).
    last_assignee_note_at: datetime | None = None
    # GitLab's time of this state; a state older than the bot's last status change is stale.
    updated_at: datetime | None = None


# --- helpers ------------------------------------------------------------------------------------


async def circle_of(ctx: ActivitiesContext, name: str) -> Circle:
    circle = await ctx.uow.circles.get(name)
    if circle is None:
        raise ActivityError(f"circle {name} is no longer configured")
    return circle


def project_for(circle: Circle, repository: Repository) -> str:
    """Handbook: customer work in the customer's repository, generic work in the team's internal one."""
    project = circle.gitlab_activity_project if repository is Repository.CUSTOMER else circle.gitlab_internal_project
    if not project:
        key = "gitlab_activity_project" if repository is Repository.CUSTOMER else "gitlab_internal_project"
        raise ActivityError(f"circle {circle.name} has no `{key}` in circles.yaml; ask the Team Leader to set it")
    return project


def team_leader(circle: Circle) -> Member | None:
    return circle.member(circle.team_leader)


async def load(ctx: ActivitiesContext, activity_id: int) -> Activity:
    activity = await ctx.activities.get(activity_id)
    if activity is None:
        raise ActivityError("that activity no longer exists; `/activity` lists yours")
    return activity


def require_gitlab(ctx: ActivitiesContext) -> None:
    if not ctx.gitlab_enabled:
        raise ActivityError("activities live in GitLab, and GITLAB_URL is not set; ask the bot's admin to configure it")


def gitlab_user(circle: Circle, handle: str) -> str | None:
    member = circle.member(handle)
    return member.gitlab_username if member else None


def queue_status_labels(ctx: ActivitiesContext, circle: Circle, activity: Activity, **extra: object) -> None:
    """Move the issue's scoped status label to the activity's status (GitLab keeps one per scope)."""
    labels = circle.activities.labels
    wanted = labels.for_status(activity.status.value)
    request = UpdateIssue(
        project=activity.project,
        iid=issue_iid(activity),
        activity_id=activity.id if "reviewer" in extra else None,
        add_labels=(wanted,),
        remove_labels=tuple(label for label in labels.statuses if label != wanted),
        **extra,  # type: ignore[arg-type]
    )
    ctx.uow.outbox.add(
        UPDATE_ISSUE,
        request.to_payload(),
        idempotency_key=f"gitlab:activity:{activity.marker}:r{activity.revision}:update",
        ordering_key=ordering_key(activity.marker),
    )


def queue_note(ctx: ActivitiesContext, activity: Activity, body: str, marker: str) -> None:
    request = PostNote(project=activity.project, iid=issue_iid(activity), marker=marker, body=body)
    ctx.uow.outbox.add(
        POST_NOTE, request.to_payload(), idempotency_key=f"gitlab:{marker}", ordering_key=ordering_key(activity.marker)
    )


def issue_iid(activity: Activity) -> int:
    if activity.iid is None:
        raise ActivityError(f"{activity.ref} has no GitLab issue yet")
    return activity.iid


def find_by_ref(candidates: list[Activity], ref: str, *, owner: str | None = None) -> Activity:
    """The activity `#15` (or `15`) among `candidates`, the owner's first when two projects share an iid."""
    text = ref.strip().lstrip("#")
    if not text.isdigit():
        raise ActivityError(f"`{ref}` is not an issue number; use the number GitLab shows, e.g. `#15`")
    matches = [a for a in candidates if a.iid == int(text)]
    mine = [a for a in matches if a.owner == owner]
    if not matches:
        raise ActivityError(f"no open activity #{text} in this circle; `/activity list` shows them")
    return (mine or matches)[0]
