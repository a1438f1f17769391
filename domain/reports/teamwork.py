"""Stand-up participation, blockers, activity feedback compliance, WIP age and overdue activities.

The handbook's rituals as figures (README "Reports: definitions"): members answer the daily
stand-up and "comment feedback daily (on wip activity)". Days are the circle's local days, as
the stand-up and feedback rows store them; a person's time off never counts against them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.circle import Circle
from domain.reports.facts import ActivityFacts, AwayFacts, TeamworkFacts
from domain.reports.period import Period
from domain.standups.calendar import is_standup_day, window_closes

ANSWERED, SKIPPED, ON_INCIDENT = "answered", "skipped", "on_incident"
WIP, DONE = "wip", "done"


@dataclass(frozen=True)
class MemberTeamwork:
    """One member's figures; `wip_age_days` is None when nothing of theirs is in progress."""

    handle: str
    name: str
    standups_answered: int
    standups_expected: int
    feedback_days: int
    wip_days: int
    wip_ref: str | None
    wip_age_days: int | None
    overdue: int


@dataclass(frozen=True)
class TeamworkFigures:
    has_standup: bool
    standups_answered: int
    standups_expected: int
    blockers_raised: int
    blockers_solved: int
    feedback_days: int
    wip_days: int
    overdue_activities: int
    members: tuple[MemberTeamwork, ...]

    @property
    def participation(self) -> float | None:
        return self.standups_answered / self.standups_expected if self.standups_expected else None

    @property
    def feedback_compliance(self) -> float | None:
        return self.feedback_days / self.wip_days if self.wip_days else None


NO_TEAMWORK = TeamworkFigures(False, 0, 0, 0, 0, 0, 0, 0, ())


def period_days(period: Period, now: datetime, time_zone: str) -> tuple[date, date, date]:
    """(first day, last day, today) of `period` in `time_zone`; a running period ends today."""
    zone = ZoneInfo(time_zone)
    cut = min(period.end, now)
    first = period.start.astimezone(zone).date()
    last = (cut - timedelta(microseconds=1)).astimezone(zone).date()
    return first, last, cut.astimezone(zone).date()


def teamwork_figures(circle: Circle, facts: TeamworkFacts, period: Period, now: datetime) -> TeamworkFigures:
    """Every stand-up and activity figure of `period`, as known at `now`."""
    first, last, today = period_days(period, now, circle.time_zone)
    off = _days_off(circle, facts.aways)
    answered, expected = _participation(circle, facts, first, last, now, off)
    feedback, wip = _feedback_compliance(circle, facts, first, min(last, today - timedelta(days=1)), off)
    overdue: dict[str, int] = defaultdict(int)
    for activity in facts.overdue:
        overdue[activity.owner] += 1
    current = _current_wip(facts.activities, circle.time_zone, now)
    handles = [m.handle for m in circle.members]
    seen = set(answered) | set(expected) | set(feedback) | set(wip) | set(overdue) | set(current)
    handles += sorted(seen - set(handles))
    members = tuple(
        MemberTeamwork(
            handle=handle,
            name=member.display_name if (member := circle.member(handle)) is not None else handle,
            standups_answered=answered.get(handle, 0),
            standups_expected=expected.get(handle, 0),
            feedback_days=feedback.get(handle, 0),
            wip_days=wip.get(handle, 0),
            wip_ref=current[handle][0] if handle in current else None,
            wip_age_days=current[handle][1] if handle in current else None,
            overdue=overdue.get(handle, 0),
        )
        for handle in handles
        if handle in seen
    )
    raised = sum(first <= b.first_day <= last for b in facts.blockers)
    solved = sum(b.solved_on is not None and first <= b.solved_on <= last for b in facts.blockers)
    return TeamworkFigures(
        has_standup=circle.standup is not None and circle.standup.enabled,
        standups_answered=sum(answered.values()),
        standups_expected=sum(expected.values()),
        blockers_raised=raised,
        blockers_solved=solved,
        feedback_days=sum(feedback.values()),
        wip_days=sum(wip.values()),
        overdue_activities=len(facts.overdue),
        members=members,
    )


def _days_off(circle: Circle, aways: Iterable[AwayFacts]) -> dict[str, list[tuple[date, date]]]:
    """Each member's days off as spans: their own holidays and their `/ooo` time."""
    spans: dict[str, list[tuple[date, date]]] = defaultdict(list)
    for member in circle.members:
        spans[member.handle].extend((day, day) for day in member.holidays)
    for away in aways:
        spans[away.member].append((away.start, away.end))
    return spans


def _is_off(off: dict[str, list[tuple[date, date]]], handle: str, day: date) -> bool:
    return any(start <= day <= end for start, end in off.get(handle, ()))


def _participation(
    circle: Circle,
    facts: TeamworkFacts,
    first: date,
    last: date,
    now: datetime,
    off: dict[str, list[tuple[date, date]]],
) -> tuple[dict[str, int], dict[str, int]]:
    """(answered, expected) per member over the stand-up days of [first, last] whose window has closed.

    Expected: every prompt of those days (a stand-up entry), except a member off that day (holiday
    or `/ooo`), one who skipped with a reason, and one not asked because they command an open P1/P2.
    A prompt left unanswered, a skip without a reason and a member the bot cannot reach are expected
    and not answered; an answer given the evening before counts for its day.
    """
    answered: dict[str, int] = defaultdict(int)
    expected: dict[str, int] = defaultdict(int)
    policy = circle.standup
    if policy is None:
        return answered, expected
    final: dict[date, bool] = {}
    for entry in facts.entries:
        if not first <= entry.day <= last or not is_standup_day(policy, entry.day):
            continue
        if entry.day not in final:
            final[entry.day] = window_closes(circle, entry.day) <= now
        if not final[entry.day] or _is_off(off, entry.member, entry.day):
            continue
        if entry.status == ON_INCIDENT or (entry.status == SKIPPED and entry.reason.strip()):
            continue
        expected[entry.member] += 1
        answered[entry.member] += entry.status == ANSWERED
    return answered, expected


def _feedback_compliance(
    circle: Circle, facts: TeamworkFacts, first: date, last: date, off: dict[str, list[tuple[date, date]]]
) -> tuple[dict[str, int], dict[str, int]]:
    """(days with feedback, days with a WIP activity) per member, over the finished days [first, last].

    A WIP day is a feedback day (the circle's `feedback.days`, else its working days) strictly after
    the day the activity went WIP and before the day it left WIP, neither a circle holiday nor the
    member's day off, as the missing-feedback ladder counts; it has feedback when feedback was given
    that day on the card or (the latest one) on GitLab.
    """
    days = circle.feedback.days if circle.feedback else circle.working_days
    holidays = set(circle.standup.holidays) if circle.standup else set()
    zone = ZoneInfo(circle.time_zone)
    given: dict[int, set[date]] = defaultdict(set)
    for feedback in facts.feedback:
        given[feedback.activity_id].add(feedback.day)
    wip_days: dict[str, set[date]] = defaultdict(set)
    fed_days: dict[str, set[date]] = defaultdict(set)
    for activity in facts.activities:
        spell = _wip_spell(activity, zone)
        if spell is None:
            continue
        start, end = spell
        if activity.last_feedback_at is not None:
            given[activity.id].add(activity.last_feedback_at.astimezone(zone).date())
        day = max(first, start + timedelta(days=1))
        while day <= last and (end is None or day < end):
            if day.weekday() in days and day not in holidays and not _is_off(off, activity.owner, day):
                wip_days[activity.owner].add(day)
                if day in given[activity.id]:
                    fed_days[activity.owner].add(day)
            day += timedelta(days=1)
    return {h: len(d) for h, d in fed_days.items()}, {h: len(d) for h, d in wip_days.items()}


def _wip_spell(activity: ActivityFacts, zone: ZoneInfo) -> tuple[date, date | None] | None:
    """The local days its last WIP spell began and ended (None: still in progress).

    A to-do or in-review activity left WIP at its last status change; a done one's review date
    is not kept, so its spell is taken to end the day after its last feedback.
    """
    if activity.wip_since is None:
        return None
    start = activity.wip_since.astimezone(zone).date()
    if activity.status == WIP:
        return start, None
    if activity.status == DONE:
        last = activity.last_feedback_at or activity.wip_since
        return start, last.astimezone(zone).date() + timedelta(days=1)
    left = activity.status_changed_at or activity.wip_since
    return start, left.astimezone(zone).date()


def _current_wip(activities: Iterable[ActivityFacts], time_zone: str, now: datetime) -> dict[str, tuple[str, int]]:
    """Each member's activity in progress now and its age in days since it was first started."""
    zone = ZoneInfo(time_zone)
    today = now.astimezone(zone).date()
    current: dict[str, tuple[str, int]] = {}
    for activity in activities:
        began = activity.started_at or activity.wip_since
        if activity.status != WIP or began is None:
            continue
        age = (today - began.astimezone(zone).date()).days
        if activity.owner not in current or age > current[activity.owner][1]:
            current[activity.owner] = (activity.ref, age)
    return current
