"""Activity use cases: one function each, on an open unit of work; every GitLab write is an outbox row."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain.activities.feedback import (
    Feedback,
    deadline_at_risk,
    due_ladder_steps,
    is_overdue,
    local_date,
    missed_feedback_days,
    note_marker,
    render_note,
)
from domain.activities.model import (
    Activity,
    ActivityError,
    ActivityStatus,
    AnotherActivityInProgress,
    Repository,
)
from domain.activities.ports import (
    ActivityNotifier,
    ActivityRepository,
    Availability,
    NobodyAway,
    NoStandups,
    StandupToday,
    WipSummary,
)
from domain.activities.requests import (
    CREATE_ISSUE,
    LABEL_MERGE_REQUEST,
    POST_NOTE,
    READ_ISSUE,
    UPDATE_ISSUE,
    CreateIssue,
    LabelMergeRequest,
    PostNote,
    ReadIssue,
    UpdateIssue,
    ordering_key,
)
from domain.activities.template import Task, marker_comment, parse_description, render_description
from domain.circle import Circle, Member, Role
from domain.clock import Clock
from domain.ports import UnitOfWork
from domain.recurring import late_note


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


def _require_gitlab(ctx: ActivitiesContext) -> None:
    if not ctx.gitlab_enabled:
        raise ActivityError("activities live in GitLab, and GITLAB_URL is not set; ask the bot's admin to configure it")


def _gitlab_user(circle: Circle, handle: str) -> str | None:
    member = circle.member(handle)
    return member.gitlab_username if member else None


def _status_update(ctx: ActivitiesContext, circle: Circle, activity: Activity, **extra: object) -> None:
    """Move the issue's scoped status label to the activity's status (GitLab keeps one per scope)."""
    labels = circle.activities.labels
    wanted = labels.for_status(activity.status.value)
    request = UpdateIssue(
        project=activity.project,
        iid=_iid(activity),
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


def _note(ctx: ActivitiesContext, activity: Activity, body: str, marker: str) -> None:
    request = PostNote(project=activity.project, iid=_iid(activity), marker=marker, body=body)
    ctx.uow.outbox.add(
        POST_NOTE, request.to_payload(), idempotency_key=f"gitlab:{marker}", ordering_key=ordering_key(activity.marker)
    )


def _iid(activity: Activity) -> int:
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


# --- create and import --------------------------------------------------------------------------


async def create_activity(ctx: ActivitiesContext, circle_name: str, by: Member, form: NewActivity) -> Activity:
    """Record the activity and queue its GitLab issue from the template; the Team Leader is told."""
    _require_gitlab(ctx)
    circle = await circle_of(ctx, circle_name)
    problems = []
    if not form.title.strip():
        problems.append("a title")
    if not [t for t in form.tasks if t.strip()]:
        problems.append("at least one task (one per line)")
    if not [t for t in form.definition_of_done if t.strip()]:
        problems.append("a definition of done (one item per line)")
    if form.deadline is None:
        problems.append("a deadline (YYYY-MM-DD)")
    if problems:
        raise ActivityError("the template needs " + ", ".join(problems))
    today = local_date(ctx.clock.now(), circle.time_zone)
    if form.deadline is not None and form.deadline < today:
        raise ActivityError(f"the deadline {form.deadline.isoformat()} has passed; pick a day from {today.isoformat()}")
    activity = Activity(
        circle=circle.name,
        owner=by.handle,
        title=form.title.strip()[:255],
        description=form.description.strip(),
        tasks=[Task(t.strip()) for t in form.tasks if t.strip()],
        definition_of_done=[Task(t.strip()) for t in form.definition_of_done if t.strip()],
        deadline=form.deadline,
        repository=form.repository,
        project=project_for(circle, form.repository),
        marker=uuid.uuid4().hex[:16],
        created_by=by.handle,
        created_at=ctx.clock.now(),
        extra_labels=tuple(dict.fromkeys(label.strip() for label in form.labels if label.strip())),
    )
    activity = await ctx.activities.add(activity)
    assert activity.id is not None
    request = CreateIssue(
        activity_id=activity.id,
        project=activity.project,
        marker=activity.marker,
        title=activity.title,
        description=render_description(
            marker=activity.marker,
            description=activity.description,
            tasks=activity.tasks,
            deadline=activity.deadline,
            definition_of_done=activity.definition_of_done,
        ),
        labels=circle.activities.issue_labels("todo", activity.extra_labels),
        due_date=activity.deadline.isoformat() if activity.deadline else None,
        assignee=by.gitlab_username,
    )
    ctx.uow.outbox.add(
        CREATE_ISSUE,
        request.to_payload(),
        idempotency_key=f"gitlab:activity:{activity.marker}:create",
        ordering_key=ordering_key(activity.marker),
    )
    await ctx.notifier.activity_changed(ctx.uow, activity, circle)
    leader = team_leader(circle)
    if leader is not None and leader.handle != by.handle:
        await ctx.notifier.tell(
            ctx.uow,
            circle,
            leader,
            f"{by.display_name} defined a new activity: {activity.title} (deadline "
            f"{activity.deadline.isoformat() if activity.deadline else 'none'}).",
            key=f"teams:activity:{activity.marker}:defined",
        )
    return activity


async def record_issue(ctx: ActivitiesContext, activity_id: int, iid: int, url: str) -> Activity:
    """GitLab created (or a retry found) the issue: the card shows its link."""
    activity = await load(ctx, activity_id)
    if activity.iid == iid and activity.web_url == url:
        return activity
    activity.linked(iid, url)
    await ctx.activities.save(activity)
    await ctx.notifier.activity_changed(ctx.uow, activity, await circle_of(ctx, activity.circle))
    return activity


async def request_import(ctx: ActivitiesContext, circle_name: str, by: Member, ref: str) -> str:
    """Queue a read of the issue `ref` (URL, `group/project#12` or `#12`); the result adopts it."""
    _require_gitlab(ctx)
    circle = await circle_of(ctx, circle_name)
    project, iid = parse_issue_ref(ref, default_project=circle.gitlab_activity_project)
    existing = await ctx.activities.by_issue(project, iid)
    if existing is not None:
        raise ActivityError(f"{project}#{iid} is already an activity of {existing.owner}")
    request = ReadIssue(purpose="import", circle=circle.name, project=project, iid=iid, owner=by.handle)
    ctx.uow.outbox.add(
        READ_ISSUE, request.to_payload(), idempotency_key=f"gitlab:import:{project}#{iid}:{ctx.clock.now().isoformat()}"
    )
    return f"{project}#{iid}"


def parse_issue_ref(ref: str, *, default_project: str | None) -> tuple[str, int]:
    """`https://gitlab/group/project/-/issues/12`, `group/project#12` or `#12` as (project, iid)."""
    text = ref.strip().strip("<>")
    if "/-/issues/" in text:
        left, _, right = text.partition("/-/issues/")
        path = left.split("://", 1)[-1].split("/", 1)[1] if "://" in left else left
        number = right.split("?")[0].split("#")[0].strip("/")
        if number.isdigit() and path:
            return path, int(number)
    if "#" in text:
        project, _, number = text.rpartition("#")
        if number.isdigit():
            if project:
                return project, int(number)
            if default_project:
                return default_project, int(number)
            raise ActivityError("this circle has no `gitlab_activity_project`; give the full issue URL")
    raise ActivityError(f"`{ref}` is not a GitLab issue; paste its URL or type `#12`")


async def adopt_issue(ctx: ActivitiesContext, circle_name: str, owner: str, issue: RemoteIssue) -> Activity:
    """An existing issue becomes an activity; sections missing from the template are named to the member."""
    circle = await circle_of(ctx, circle_name)
    existing = await ctx.activities.by_issue(issue.project, issue.iid)
    if existing is not None:
        return existing
    parsed = parse_description(issue.description, due_date=issue.due_date)
    status = circle.activities.labels.status_of(issue.labels) or "todo"
    repository = Repository.INTERNAL if issue.project == circle.gitlab_internal_project else Repository.CUSTOMER
    activity = Activity(
        circle=circle.name,
        owner=owner,
        title=issue.title,
        description=parsed.description,
        tasks=list(parsed.tasks),
        definition_of_done=list(parsed.definition_of_done),
        deadline=parsed.deadline,
        repository=repository,
        project=issue.project,
        marker=parsed.marker or uuid.uuid4().hex[:16],
        created_by=owner,
        created_at=ctx.clock.now(),
        iid=issue.iid,
        web_url=issue.web_url,
        status=ActivityStatus.DONE if issue.state == "closed" else ActivityStatus(status),
        missing_sections=parsed.missing,
    )
    if activity.status is ActivityStatus.WIP:
        activity.started_at = activity.wip_since = ctx.clock.now()
    activity = await ctx.activities.add(activity)
    missing_labels = [lb for lb in circle.activities.issue_labels(activity.status.value) if lb not in issue.labels]
    if missing_labels:
        request = UpdateIssue(project=issue.project, iid=issue.iid, add_labels=tuple(missing_labels))
        ctx.uow.outbox.add(
            UPDATE_ISSUE,
            request.to_payload(),
            idempotency_key=f"gitlab:activity:{activity.marker}:import-labels",
            ordering_key=ordering_key(activity.marker),
        )
    member = circle.member(owner)
    if member is not None:
        gaps = (
            "It follows the template."
            if not parsed.missing
            else "Missing from the template: " + "; ".join(parsed.missing) + ". Add them on GitLab."
        )
        await ctx.notifier.tell(
            ctx.uow,
            circle,
            member,
            f"Imported {activity.ref} {activity.title}. {gaps}",
            key=f"teams:activity:{activity.marker}:imported",
        )
    await ctx.notifier.activity_changed(ctx.uow, activity, circle)
    return activity


# --- one at a time ------------------------------------------------------------------------------


async def start_activity(
    ctx: ActivitiesContext, circle_name: str, by: Member, activity_id: int, *, park_current: bool = False
) -> Activity:
    """`status::wip` on the issue; another WIP activity is parked only when the member said so."""
    circle = await circle_of(ctx, circle_name)
    activity = await load(ctx, activity_id)
    if activity.owner != by.handle:
        raise ActivityError(f"{activity.ref} is {activity.owner}'s activity; only its assignee starts it")
    mine = await ctx.activities.of_member(circle.name, by.handle)
    others = [a for a in mine if a.status is ActivityStatus.WIP and a.id != activity.id]
    if others and not park_current:
        raise AnotherActivityInProgress(others[0], activity)
    for other in others:
        await _park(ctx, circle, other, by, reason=f"to start {activity.ref}")
    if activity.status is ActivityStatus.WIP:
        if not others:
            raise ActivityError(f"{activity.ref} is already in progress")
        return activity  # started on GitLab while another was WIP: parking that one was the choice
    activity.start(ctx.clock.now())
    await ctx.activities.save(activity)
    _status_update(ctx, circle, activity, assignee=by.gitlab_username)
    await ctx.notifier.activity_changed(ctx.uow, activity, circle)
    return activity


async def park_activity(ctx: ActivitiesContext, circle_name: str, by: Member, activity_id: int) -> Activity:
    circle = await circle_of(ctx, circle_name)
    activity = await load(ctx, activity_id)
    if activity.owner != by.handle:
        raise ActivityError(f"{activity.ref} is {activity.owner}'s activity")
    await _park(ctx, circle, activity, by, reason="")
    return activity


async def _park(ctx: ActivitiesContext, circle: Circle, activity: Activity, by: Member, *, reason: str) -> None:
    activity.park(ctx.clock.now())
    await ctx.activities.save(activity)
    _status_update(ctx, circle, activity)
    marker = f"circlebot:parked:{activity.marker}:r{activity.revision}"
    why = f" {reason}" if reason else ""
    _note(ctx, activity, f"Parked by {by.display_name}{why}: back to to-do.\n\n<!-- {marker} -->", marker)
    await ctx.notifier.activity_changed(ctx.uow, activity, circle)


# --- daily feedback -----------------------------------------------------------------------------


async def submit_feedback(
    ctx: ActivitiesContext, circle_name: str, by: Member, activity_id: int, feedback: Feedback
) -> Activity:
    """One note on the issue (found again by its marker on a retry) and the ticked tasks, from the card."""
    if not feedback.done.strip():
        raise ActivityError("say in a line what was done today (the first box)")
    circle = await circle_of(ctx, circle_name)
    activity = await load(ctx, activity_id)
    if activity.owner != by.handle:
        raise ActivityError(f"{activity.ref} is {activity.owner}'s activity; feedback comes from its assignee")
    now = ctx.clock.now()
    activity.record_feedback(now, feedback.summary())
    day = local_date(now, circle.time_zone)
    known = {t.text for t in [*activity.tasks, *activity.definition_of_done]}
    ticked = tuple(t for t in feedback.ticked if t in known)
    activity.tick(list(ticked))
    assert activity.id is not None
    sequence = await ctx.activities.next_feedback_sequence(activity.id, day)
    await ctx.activities.add_feedback(activity.id, day, sequence, now, feedback.summary())
    await ctx.activities.save(activity)
    marker = note_marker(activity.marker, day, sequence)
    _note(
        ctx,
        activity,
        render_note(
            Feedback(feedback.done, feedback.blockers, feedback.next_step, ticked),
            author=by.display_name,
            day=day,
            marker=marker,
        ),
        marker,
    )
    if ticked:
        request = UpdateIssue(project=activity.project, iid=_iid(activity), tick=ticked)
        ctx.uow.outbox.add(
            UPDATE_ISSUE,
            request.to_payload(),
            idempotency_key=f"gitlab:{marker}:tick",
            ordering_key=ordering_key(activity.marker),
        )
    await ctx.notifier.activity_changed(ctx.uow, activity, circle)
    return activity


async def request_feedback(
    ctx: ActivitiesContext, circle_name: str, handle: str, day: date, *, due_at: datetime | None = None
) -> Activity | None:
    """The feedback timer: the WIP activity's card, prefilled from today's stand-up; nothing when away or idle.

    Sent late (the bot was down at `due_at`), the card says so, in the circle's time zone.
    """
    circle = await circle_of(ctx, circle_name)
    member = circle.member(handle)
    if member is None or await ctx.availability.is_away(ctx.uow, circle.name, handle, day):
        return None
    activity = await ctx.activities.wip_of(circle.name, handle)
    if activity is None:
        return None
    if activity.last_feedback_at is not None and local_date(activity.last_feedback_at, circle.time_zone) == day:
        return None  # already given today, on the card or on GitLab
    prefill = await ctx.standups.today_answer(ctx.uow, circle.name, handle, day) or ""
    late = late_note("feedback request", due_at, ctx.clock.now(), ZoneInfo(circle.time_zone)) if due_at else None
    await ctx.notifier.ask_feedback(
        ctx.uow,
        activity,
        circle,
        member,
        prefill,
        key=f"teams:activity:{activity.marker}:feedback:{day.isoformat()}",
        late=late,
    )
    return activity


async def daily_check(ctx: ActivitiesContext, circle_name: str, day: date) -> list[str]:
    """The morning pass: the missing-feedback ladder and deadline risk; returns what was done, for logs."""
    circle = await circle_of(ctx, circle_name)
    days = circle.feedback.days if circle.feedback else circle.working_days
    done: list[str] = []
    for activity in await ctx.activities.open_in_circle(circle.name):
        member = circle.member(activity.owner)
        if member is None or activity.status is not ActivityStatus.WIP:
            continue
        if await ctx.availability.is_away(ctx.uow, circle.name, member.handle, day):
            continue
        missed = missed_feedback_days(activity, today=day, time_zone=circle.time_zone, days=days)
        for level, step in due_ladder_steps(activity, missed, circle.activities.feedback_escalation):
            await _ladder_step(ctx, circle, activity, member, step, missed)
            activity.feedback_level = level
            done.append(f"{activity.ref}:{step}")
        if not activity.risk_notified and deadline_at_risk(activity, today=day, rule=circle.activities.deadline_risk):
            activity.risk_notified = True
            await _deadline_risk(ctx, circle, activity, member)
            done.append(f"{activity.ref}:risk")
        await ctx.activities.save(activity)
    return done


async def _ladder_step(
    ctx: ActivitiesContext, circle: Circle, activity: Activity, member: Member, step: str, missed: int
) -> None:
    since_moment = activity.feedback_due_since or activity.created_at
    since = local_date(since_moment, circle.time_zone).isoformat()
    key = f"activity:{activity.marker}:ladder:{step}:{since}"
    if step == "remind":
        text = (
            f"No feedback on {activity.ref} {activity.title} since {since}. "
            "A line is enough: `/activity feedback <what you did>`."
        )
        await ctx.notifier.tell(ctx.uow, circle, member, text, key=f"teams:{key}")
    elif step == "note":
        who = f"@{member.gitlab_username}" if member.gitlab_username else member.display_name
        marker = f"circlebot:{key}"
        body = f"{who} no daily feedback here for {missed} working days (since {since}).\n\n<!-- {marker} -->"
        _note(ctx, activity, body, marker)
    else:
        leader = team_leader(circle)
        if leader is not None:
            text = (
                f"{member.display_name} has given no feedback on {activity.ref} {activity.title} "
                f"for {missed} working days."
            )
            await ctx.notifier.tell(ctx.uow, circle, leader, text, key=f"teams:{key}")


async def _deadline_risk(ctx: ActivitiesContext, circle: Circle, activity: Activity, member: Member) -> None:
    done = sum(t.done for t in activity.tasks)
    deadline = activity.deadline.isoformat() if activity.deadline else "?"
    text = (
        f"{activity.ref} {activity.title} is at risk: deadline {deadline}, "
        f"{done} of {len(activity.tasks)} tasks ticked. "
        "Talk it over: move the deadline or cut scope."
    )
    await ctx.notifier.tell(ctx.uow, circle, member, text, key=f"teams:activity:{activity.marker}:risk:{member.handle}")
    leader = team_leader(circle)
    if leader is not None and leader.handle != member.handle:
        await ctx.notifier.tell(
            ctx.uow,
            circle,
            leader,
            f"{member.display_name}'s {text}",
            key=f"teams:activity:{activity.marker}:risk:lead",
        )


# --- review -------------------------------------------------------------------------------------


async def send_to_review(
    ctx: ActivitiesContext, circle_name: str, by: Member, activity_id: int, *, reason: str | None = None
) -> Activity:
    """Definition of done checked, `status::review`, the Team Leader assigned and sent the review card."""
    circle = await circle_of(ctx, circle_name)
    activity = await load(ctx, activity_id)
    if activity.owner != by.handle:
        raise ActivityError(f"{activity.ref} is {activity.owner}'s activity; its assignee sends it to review")
    activity.send_to_review(ctx.clock.now(), reason=reason)
    await ctx.activities.save(activity)
    leader = team_leader(circle)
    leader_user = leader.gitlab_username if leader else None
    _status_update(ctx, circle, activity, assignee=leader_user, reviewer=leader_user)
    if activity.review_reason:
        marker = f"circlebot:review:{activity.marker}:r{activity.revision}"
        unticked = "; ".join(activity.unticked_done_items()) or "none"
        body = (
            f"Sent to review by {by.display_name} with definition-of-done items open ({unticked}), "
            f"because: {activity.review_reason}\n\n<!-- {marker} -->"
        )
        _note(ctx, activity, body, marker)
    await ctx.notifier.ask_review(ctx.uow, activity, circle)
    await ctx.notifier.activity_changed(ctx.uow, activity, circle)
    return activity


def _require_leader(circle: Circle, by: Member) -> None:
    if by.handle != circle.team_leader and by.role is not Role.TEAM_LEADER:
        raise ActivityError(
            "only the Team Leader reviews activities (handbook: assigned for review to the Team Leader)"
        )


async def approve(ctx: ActivitiesContext, circle_name: str, by: Member, activity_id: int) -> Activity:
    """Close the issue with `status::done`."""
    circle = await circle_of(ctx, circle_name)
    _require_leader(circle, by)
    activity = await load(ctx, activity_id)
    activity.approve(ctx.clock.now())
    await ctx.activities.save(activity)
    _status_update(ctx, circle, activity, state_event="close")
    marker = f"circlebot:approved:{activity.marker}:r{activity.revision}"
    _note(ctx, activity, f"Approved by {by.display_name}: done.\n\n<!-- {marker} -->", marker)
    owner = circle.member(activity.owner)
    if owner is not None:
        await ctx.notifier.tell(
            ctx.uow,
            circle,
            owner,
            f"{by.display_name} approved {activity.ref} {activity.title}: done.",
            key=f"teams:activity:{activity.marker}:approved",
        )
    await ctx.notifier.activity_changed(ctx.uow, activity, circle)
    return activity


async def request_changes(
    ctx: ActivitiesContext, circle_name: str, by: Member, activity_id: int, comment: str
) -> Activity:
    """Back to WIP with the comment as a note; the assignee gets the issue back."""
    if not comment.strip():
        raise ActivityError("say what should change (the comment box); it goes on the issue as a note")
    circle = await circle_of(ctx, circle_name)
    _require_leader(circle, by)
    activity = await load(ctx, activity_id)
    activity.request_changes(ctx.clock.now())
    await ctx.activities.save(activity)
    _status_update(ctx, circle, activity, assignee=_gitlab_user(circle, activity.owner))
    marker = f"circlebot:changes:{activity.marker}:r{activity.revision}"
    _note(ctx, activity, f"Changes requested by {by.display_name}:\n\n{comment.strip()}\n\n<!-- {marker} -->", marker)
    owner = circle.member(activity.owner)
    if owner is not None:
        await ctx.notifier.tell(
            ctx.uow,
            circle,
            owner,
            f"{by.display_name} asked for changes on {activity.ref}: {comment.strip()}",
            key=f"teams:activity:{activity.marker}:changes:{activity.revision}",
        )
    await ctx.notifier.activity_changed(ctx.uow, activity, circle)
    return activity


async def merge_requests_checked(
    ctx: ActivitiesContext, activity_id: int, merge_requests: list[tuple[int, str, str]]
) -> None:
    """After review was asked: linked merge requests still open are named to the Team Leader."""
    activity = await load(ctx, activity_id)
    circle = await circle_of(ctx, activity.circle)
    still_open = [f"!{iid} ({state})" for iid, state, _url in merge_requests if state not in ("merged", "closed")]
    leader = team_leader(circle)
    if still_open and leader is not None and activity.status is ActivityStatus.REVIEW:
        await ctx.notifier.tell(
            ctx.uow,
            circle,
            leader,
            f"{activity.ref} {activity.title} is in review with merge requests not merged yet: "
            f"{', '.join(still_open)}.",
            key=f"teams:activity:{activity.marker}:mrs:{activity.revision}",
        )


# --- in step with GitLab ------------------------------------------------------------------------


async def issue_changed(ctx: ActivitiesContext, issue: RemoteIssue) -> Activity | None:
    """GitLab says the issue changed (webhook or reconcile): status, tasks, deadline follow it.

    Work started on GitLab while another activity is WIP: the member is asked which one stays.
    """
    activity = await ctx.activities.by_issue(issue.project, issue.iid)
    if activity is None:
        return None
    circle = await circle_of(ctx, activity.circle)
    parsed = parse_description(issue.description, due_date=issue.due_date)
    before = (activity.status, activity.tasks, activity.definition_of_done, activity.deadline, activity.title)
    if parsed.tasks:
        activity.tasks = list(parsed.tasks)
    if parsed.definition_of_done:
        activity.definition_of_done = list(parsed.definition_of_done)
    activity.deadline = issue.due_date or parsed.deadline or activity.deadline
    activity.title = issue.title or activity.title
    remote = "done" if issue.state == "closed" else circle.activities.labels.status_of(issue.labels)
    stale = (
        issue.updated_at is not None
        and activity.status_changed_at is not None
        and issue.updated_at < activity.status_changed_at
    )
    if stale:
        # An event sent before the bot's own latest move (webhooks may arrive late): its status is old news.
        remote = None
    if issue.last_assignee_note_at is not None:
        activity.feedback_seen(issue.last_assignee_note_at)
    started_elsewhere = remote == "wip" and activity.status is not ActivityStatus.WIP
    if remote is not None:
        activity.took_status(ActivityStatus(remote), ctx.clock.now())
    if before == (activity.status, activity.tasks, activity.definition_of_done, activity.deadline, activity.title):
        await ctx.activities.save(activity)
        return activity
    activity.revision += 1
    await ctx.activities.save(activity)
    if started_elsewhere:
        others = [
            a
            for a in await ctx.activities.of_member(circle.name, activity.owner)
            if a.status is ActivityStatus.WIP and a.id != activity.id
        ]
        if others:
            await ctx.notifier.ask_which(ctx.uow, others[0], activity, circle)
    await ctx.notifier.activity_changed(ctx.uow, activity, circle)
    return activity


async def note_written(
    ctx: ActivitiesContext, project: str, iid: int, *, author: str, at: datetime, system: bool, body: str
) -> bool:
    """A note on GitLab by the assignee (not a system note, not ours) counts as the day's feedback."""
    if system or "<!-- circlebot:" in body:
        return False
    activity = await ctx.activities.by_issue(project, iid)
    if activity is None:
        return False
    circle = await circle_of(ctx, activity.circle)
    member = circle.member(activity.owner)
    if member is None or not member.gitlab_username or member.gitlab_username.lower() != author.lower():
        return False
    activity.feedback_seen(at)
    await ctx.activities.save(activity)
    return True


_ISSUE_REFERENCE = re.compile(r"(?<![\w/!])#(\d+)\b")


async def merge_request_opened(
    ctx: ActivitiesContext,
    project: str,
    mr_iid: int,
    *,
    source_branch: str,
    title: str,
    description: str,
    labels: tuple[str, ...],
) -> Activity | None:
    """A merge request for an activity (`Closes #12` in its text, or a `12-…` branch) gets the activity's labels."""
    candidates = [int(n) for n in _ISSUE_REFERENCE.findall(f"{title}\n{description}")]
    branch = re.match(r"(\d+)-", source_branch)
    if branch:
        candidates.append(int(branch.group(1)))
    for iid in dict.fromkeys(candidates):
        activity = await ctx.activities.by_issue(project, iid)
        if activity is None:
            continue
        circle = await circle_of(ctx, activity.circle)
        wanted = circle.activities.issue_labels(activity.status.value, activity.extra_labels)
        missing = tuple(label for label in wanted if label not in labels)
        if missing:
            request = LabelMergeRequest(project=project, mr_iid=mr_iid, labels=missing)
            ctx.uow.outbox.add(
                LABEL_MERGE_REQUEST,
                request.to_payload(),
                idempotency_key=f"gitlab:mr:{project}!{mr_iid}:labels:{','.join(missing)}"[:255],
            )
        return activity
    return None


async def reconcile(ctx: ActivitiesContext, circle_name: str) -> int:
    """Queue a read of every open activity issue (the safety net for missed webhooks); returns how many."""
    if not ctx.gitlab_enabled:
        return 0
    circle = await circle_of(ctx, circle_name)
    hour = ctx.clock.now().strftime("%Y-%m-%dT%H")
    queued = 0
    for activity in await ctx.activities.open_in_circle(circle.name):
        if activity.iid is None or activity.id is None:
            continue
        request = ReadIssue(
            purpose="reconcile",
            circle=circle.name,
            project=activity.project,
            iid=activity.iid,
            activity_id=activity.id,
            assignee=_gitlab_user(circle, activity.owner),
        )
        ctx.uow.outbox.add(
            READ_ISSUE, request.to_payload(), idempotency_key=f"gitlab:activity:{activity.marker}:reconcile:{hour}"
        )
        queued += 1
    return queued


# --- what stand-ups read ------------------------------------------------------------------------


async def wip_summary(ctx: ActivitiesContext, circle: str, member: str) -> WipSummary | None:
    """The member's WIP activity and its last feedback, to prefill the stand-up prompt."""
    activity = await ctx.activities.wip_of(circle, member)
    if activity is None:
        return None
    return WipSummary(activity.ref, activity.title, activity.web_url, activity.last_feedback, activity.last_feedback_at)


async def overdue(ctx: ActivitiesContext, circle: str, today: date) -> list[Activity]:
    """Activities past their deadline and not done, for the stand-up summary."""
    return [a for a in await ctx.activities.open_in_circle(circle) if is_overdue(a, today)]


__all__ = ["Feedback", "NewActivity", "RemoteIssue", "marker_comment"]
