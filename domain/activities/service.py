"""Activity use cases: define, start (one at a time), park, review; one function each, on an open unit of
work; every GitLab write is an outbox row."""

from __future__ import annotations

import uuid
from datetime import date

from domain.activities.context import (
    ActivitiesContext,
    NewActivity,
    circle_of,
    gitlab_user,
    load,
    project_for,
    queue_note,
    queue_status_labels,
    require_gitlab,
    team_leader,
)
from domain.activities.feedback import (
    is_overdue,
    local_date,
)
from domain.activities.model import (
    Activity,
    ActivityError,
    ActivityStatus,
    AnotherActivityInProgress,
)
from domain.activities.ports import (
    WipSummary,
)
from domain.activities.requests import (
    CREATE_ISSUE,
    CreateIssue,
    ordering_key,
)
from domain.activities.template import Task, render_description
from domain.circle import Circle, Member, Role

# --- create and import --------------------------------------------------------------------------


async def create_activity(ctx: ActivitiesContext, circle_name: str, by: Member, form: NewActivity) -> Activity:
    """Record the activity and queue its GitLab issue from the template; the Team Leader is told."""
    require_gitlab(ctx)
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
    queue_status_labels(ctx, circle, activity, assignee=by.gitlab_username)
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
    queue_status_labels(ctx, circle, activity)
    marker = f"circlebot:parked:{activity.marker}:r{activity.revision}"
    why = f" {reason}" if reason else ""
    queue_note(ctx, activity, f"Parked by {by.display_name}{why}: back to to-do.\n\n<!-- {marker} -->", marker)
    await ctx.notifier.activity_changed(ctx.uow, activity, circle)


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
    queue_status_labels(ctx, circle, activity, assignee=leader_user, reviewer=leader_user)
    if activity.review_reason:
        marker = f"circlebot:review:{activity.marker}:r{activity.revision}"
        unticked = "; ".join(activity.unticked_done_items()) or "none"
        body = (
            f"Sent to review by {by.display_name} with definition-of-done items open ({unticked}), "
            f"because: {activity.review_reason}\n\n<!-- {marker} -->"
        )
        queue_note(ctx, activity, body, marker)
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
    queue_status_labels(ctx, circle, activity, state_event="close")
    marker = f"circlebot:approved:{activity.marker}:r{activity.revision}"
    queue_note(ctx, activity, f"Approved by {by.display_name}: done.\n\n<!-- {marker} -->", marker)
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
    queue_status_labels(ctx, circle, activity, assignee=gitlab_user(circle, activity.owner))
    marker = f"circlebot:changes:{activity.marker}:r{activity.revision}"
    queue_note(
        ctx, activity, f"Changes requested by {by.display_name}:\n\n{comment.strip()}\n\n<!-- {marker} -->", marker
    )
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
