"""When stand-ups happen: stand-up days, holidays, and each member's local prompt time (DST-safe)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.circle import Circle, Member, Role, StandupPolicy

# Looking further than this for the next or previous stand-up day means the schedule has none.
_SEARCH_DAYS = 400


def zone_of(circle: Circle, member: Member | None = None) -> ZoneInfo:
    """The member's own time zone, else the circle's."""
    return ZoneInfo(member.time_zone if member is not None and member.time_zone else circle.time_zone)


def zone_name(circle: Circle, member: Member | None = None) -> str:
    return member.time_zone if member is not None and member.time_zone else circle.time_zone


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def at_local(day: date, policy: StandupPolicy, zone: ZoneInfo) -> datetime:
    """`policy.at` on `day` in `zone`, in UTC.

    zoneinfo resolves a wall time skipped by a DST change (02:30 on the spring-forward night) with
    the offset before the change, i.e. an hour later on the new clock: a prompt is late, never lost.
    """
    return datetime.combine(day, policy.at, tzinfo=zone).astimezone(UTC)


def is_standup_day(policy: StandupPolicy, day: date) -> bool:
    """The circle holds its stand-up on `day`: enabled, one of its days, not a circle holiday."""
    return policy.enabled and day.weekday() in policy.days and day not in policy.holidays


def takes_part(member: Member) -> bool:
    """Stakeholders read the summary; the Team Leader and engineers answer."""
    return member.role is not Role.STAKEHOLDER


def participants(circle: Circle) -> tuple[Member, ...]:
    return tuple(m for m in circle.members if takes_part(m))


def prompt_at(circle: Circle, member: Member, day: date) -> datetime:
    """When `member` is asked on `day`: the circle's stand-up time in the member's zone."""
    assert circle.standup is not None
    return at_local(day, circle.standup, zone_of(circle, member))


def summary_at(circle: Circle, day: date) -> datetime:
    """When the summary card is posted: the stand-up time in the circle's zone."""
    assert circle.standup is not None
    return at_local(day, circle.standup, zone_of(circle))


def member_window_closes(circle: Circle, member: Member, day: date) -> datetime:
    """After this, the member's answer counts for their next stand-up day."""
    assert circle.standup is not None
    return prompt_at(circle, member, day) + circle.standup.window


def window_closes(circle: Circle, day: date) -> datetime:
    """When the day's summary is final: the window after the latest prompt (or the summary)."""
    assert circle.standup is not None
    starts = [prompt_at(circle, m, day) for m in participants(circle)] + [summary_at(circle, day)]
    return max(starts) + circle.standup.window


def next_standup_day(policy: StandupPolicy, after: date, *, member: Member | None = None) -> date | None:
    """The first stand-up day strictly after `after` (for `member`: not one of their holidays)."""
    for offset in range(1, _SEARCH_DAYS):
        day = after + timedelta(days=offset)
        if is_standup_day(policy, day) and (member is None or day not in member.holidays):
            return day
    return None


def previous_standup_day(policy: StandupPolicy, before: date) -> date | None:
    """The last stand-up day strictly before `before`."""
    for offset in range(1, _SEARCH_DAYS):
        day = before - timedelta(days=offset)
        if is_standup_day(policy, day):
            return day
    return None


def standup_days_between(policy: StandupPolicy, first: date, last: date) -> int:
    """How many stand-up days from `first` to `last`, both included (0 when last < first)."""
    count, day = 0, first
    while day <= last:
        count += is_standup_day(policy, day)
        day += timedelta(days=1)
    return count


def answer_day(circle: Circle, member: Member, now: datetime) -> date | None:
    """The stand-up an answer given `now` counts for.

    Today's while its window is open; after it closes (or on a day without stand-up) the next
    stand-up day: the habit of answering the evening before.
    """
    policy = circle.standup
    if policy is None or not policy.enabled:
        return None
    today = local_day(now, zone_of(circle, member))
    open_today = is_standup_day(policy, today) and today not in member.holidays
    if open_today and now < member_window_closes(circle, member, today):
        return today
    return next_standup_day(policy, today, member=member)


def clock_time(moment: datetime, zone: ZoneInfo) -> str:
    """ "09:30 CET": the wall time a person reads, with the zone's abbreviation."""
    return moment.astimezone(zone).strftime("%H:%M %Z")
