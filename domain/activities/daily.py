"""Daily feedback on the WIP activity: the card's answer as one GitLab note, the feedback request, and the
morning check (the missing-feedback ladder, deadline risk)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain.activities.context import (
    ActivitiesContext,
    circle_of,
    issue_iid,
    load,
    queue_note,
    team_leader,
)
from domain.activities.feedback import (
    Feedback,
    deadline_at_risk,
    due_ladder_steps,
    local_date,
    missed_feedback_days,
    note_marker,
    render_note,
)
from domain.activities.model import (
    Activity,
    ActivityError,
    ActivityStatus,
)
from domain.activities.requests import (
    UPDATE_ISSUE,
    UpdateIssue,
    ordering_key,
)
from domain.circle import Circle, Member
from domain.recurring import late_note

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
    queue_note(
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
        request = UpdateIssue(project=activity.project, iid=issue_iid(activity), tick=ticked)
        ctx.uow.outbox.add(
            UPDATE_ISSUE,
            request.to_payload(),
            idempotency_key=f"gitlab:{marker}:tick",
            ordering_key=ordering_key(activity.marker),
        )
    await ctx.notifier.activity_changed(ctx.uow, activity, circle)
    return activity


@dataclass(frozen=True)
class StandupFeedback:
    """What became of a stand-up "today" answer offered as the day's feedback (issue #14 item 8)."""

    activity: Activity
    posted: bool  # False: the activity already had feedback today, so nothing more was posted


async def feedback_from_standup(
    ctx: ActivitiesContext, circle_name: str, handle: str, today_answer: str
) -> StandupFeedback | None:
    """One place to type: the stand-up's "today" answer as the WIP activity's feedback note of the day.

    At most one per day: answering or editing the stand-up again, or feedback already given on the card
    or on GitLab, posts nothing more (and the evening request is then not sent, see `request_feedback`).
    None when there is nothing to post on (no WIP activity, empty answer).
    """
    circle = await circle_of(ctx, circle_name)
    member = circle.member(handle)
    activity = await ctx.activities.wip_of(circle.name, handle)
    if member is None or activity is None or activity.id is None or not today_answer.strip():
        return None
    zone = member.time_zone or circle.time_zone
    today = local_date(ctx.clock.now(), zone)
    if activity.last_feedback_at is not None and local_date(activity.last_feedback_at, zone) == today:
        return StandupFeedback(activity, posted=False)
    saved = await submit_feedback(ctx, circle.name, member, activity.id, Feedback(done=today_answer))
    return StandupFeedback(saved, posted=True)


async def request_feedback(
    ctx: ActivitiesContext, circle_name: str, handle: str, day: date, *, due_at: datetime | None = None
) -> Activity | None:
    """The feedback timer: the WIP activity's card, prefilled from today's stand-up; nothing when away or idle.

    Sent late (the bot was down at `due_at`), the card says so, in the member's time zone.
    """
    circle = await circle_of(ctx, circle_name)
    member = circle.member(handle)
    if member is None or await ctx.availability.is_away(ctx.uow, circle.name, handle, day):
        return None
    activity = await ctx.activities.wip_of(circle.name, handle)
    if activity is None:
        return None
    zone = member.time_zone or circle.time_zone  # `day` is the member's own day (see schedule)
    if activity.last_feedback_at is not None and local_date(activity.last_feedback_at, zone) == day:
        return None  # already given today: on the card, with the stand-up answer, or on GitLab
    prefill = await ctx.standups.today_answer(ctx.uow, circle.name, handle, day) or ""
    late = late_note("feedback request", due_at, ctx.clock.now(), ZoneInfo(zone)) if due_at else None
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
        queue_note(ctx, activity, body, marker)
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
