"""Daily feedback (handbook: "comment feedback daily (on wip activity)"): the note, the missing-feedback
ladder and the deadline-risk rule, as pure functions of dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.activities.model import Activity, ActivityStatus
from domain.circle import DeadlineRisk, FeedbackEscalation

NOTE_MARKER_PREFIX = "circlebot:feedback:"


@dataclass(frozen=True)
class Feedback:
    """What the member answered on the feedback card."""

    done: str
    blockers: str = ""
    next_step: str = ""
    ticked: tuple[str, ...] = ()

    def summary(self) -> str:
        return self.done.strip()


def note_marker(activity_marker: str, day: date, sequence: int) -> str:
    """Unique per activity, local day and submission: a retry finds its note instead of posting twice."""
    return f"{NOTE_MARKER_PREFIX}{activity_marker}:{day.isoformat()}:{sequence}"


def render_note(feedback: Feedback, *, author: str, day: date, marker: str) -> str:
    """The readable markdown block posted on the issue; the hidden marker ends it."""
    lines = [f"**Daily feedback · {day.isoformat()} · {author}**", "", f"**Done:** {feedback.done.strip()}"]
    if feedback.ticked:
        lines.append("**Tasks ticked:** " + "; ".join(feedback.ticked))
    lines.append(f"**Blockers:** {feedback.blockers.strip() or 'none'}")
    if feedback.next_step.strip():
        lines.append(f"**Next step:** {feedback.next_step.strip()}")
    lines += ["", f"<!-- {marker} -->"]
    return "\n".join(lines)


def local_date(moment: datetime, time_zone: str) -> date:
    return moment.astimezone(ZoneInfo(time_zone)).date()


def working_days_between(after: date, before: date, days: tuple[int, ...]) -> int:
    """Working days strictly after `after` and strictly before `before`."""
    count, current = 0, after + timedelta(days=1)
    while current < before:
        count += current.weekday() in days
        current += timedelta(days=1)
    return count


def missed_feedback_days(activity: Activity, *, today: date, time_zone: str, days: tuple[int, ...]) -> int:
    """Working days since the last feedback (or the start) that passed without any, today not counted.

    A day counts once it is over: feedback written any time on a day covers it.
    """
    since = activity.feedback_due_since
    if activity.status is not ActivityStatus.WIP or since is None:
        return 0
    return working_days_between(local_date(since, time_zone), today, days)


def due_ladder_steps(activity: Activity, missed: int, escalation: FeedbackEscalation) -> list[tuple[int, str]]:
    """The ladder steps (level, name) reached by `missed` days and not yet taken, in order."""
    steps = escalation.steps()
    return [
        (level, name)
        for level, (days, name) in enumerate(steps, start=1)
        if missed >= days and level > activity.feedback_level
    ]


def deadline_at_risk(activity: Activity, *, today: date, rule: DeadlineRisk) -> bool:
    """Past `rule.elapsed` of the time from start to deadline, with under `rule.ticked` of the tasks done."""
    if activity.deadline is None or activity.status is not ActivityStatus.WIP or not activity.tasks:
        return False
    start = (activity.started_at or activity.created_at).date()
    span = (activity.deadline - start).days
    if span <= 0:
        return activity.ticked_share() < rule.ticked
    return (today - start).days >= rule.elapsed * span and activity.ticked_share() < rule.ticked


def is_overdue(activity: Activity, today: date) -> bool:
    return activity.deadline is not None and activity.status is not ActivityStatus.DONE and activity.deadline < today
