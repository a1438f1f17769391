"""On-call load per person: pages and incident minutes in business hours, off-hours and sleep hours.

Every moment is judged in the *person's* time zone (their own, else the circle's), as
PagerDuty's operational reviews do: 03:00 in Rome is sleep for Giulia and business hours for
a colleague in Seattle. Sleep hours are 00:00-07:00 every day and win over the rest; business
hours are the circle's working hours on its working days; everything else is off-hours.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.circle import Circle
from domain.incident_service import escalation_target
from domain.reports.facts import HandoverFacts, IncidentFacts
from domain.reports.period import Period

BUSINESS, OFF_HOURS, SLEEP = "business", "off-hours", "sleep"
BUCKETS = (BUSINESS, OFF_HOURS, SLEEP)
SLEEP_ENDS = time(7, 0)
# Every time zone's offset is a whole number of quarter hours, so every local hour (and every
# working-hours bound, which the config keeps on quarter hours) starts on a UTC quarter hour.
_QUARTER = timedelta(minutes=15)


@dataclass(frozen=True)
class WorkingHours:
    """Business hours: [start, end) local time on `days` (0 = Monday)."""

    start: time
    end: time
    days: tuple[int, ...]

    def bucket(self, local: datetime) -> str:
        """Which part of the day a local moment is in."""
        moment = local.time()
        if moment < SLEEP_ENDS:
            return SLEEP
        if local.weekday() in self.days and self.start <= moment < self.end:
            return BUSINESS
        return OFF_HOURS


@dataclass
class PersonLoad:
    """One person's interruptions over a period; `*_by_hour` are indexed by their local hour of day."""

    handle: str
    name: str
    time_zone: str
    pages: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))
    minutes: dict[str, float] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0.0))
    pages_by_hour: list[int] = field(default_factory=lambda: [0] * 24)
    minutes_by_hour: list[float] = field(default_factory=lambda: [0.0] * 24)
    handovers: int = 0
    handovers_accepted: int = 0
    acceptance_latency: timedelta | None = None

    @property
    def total_pages(self) -> int:
        return sum(self.pages.values())

    @property
    def total_minutes(self) -> float:
        return sum(self.minutes.values())

    @property
    def is_idle(self) -> bool:
        return not (self.total_pages or self.total_minutes or self.handovers)


def oncall_load(
    incidents: Iterable[IncidentFacts],
    handovers: Iterable[HandoverFacts],
    circle: Circle,
    hours: WorkingHours,
    period: Period,
    now: datetime,
) -> list[PersonLoad]:
    """Each member's load in `period`, most sleep-hour minutes first, then most pages."""
    people = {m.handle: PersonLoad(m.handle, m.display_name, m.time_zone or circle.time_zone) for m in circle.members}
    until = min(period.end, now)
    for incident in incidents:
        for handle, at in pages_of(incident, circle):
            if handle in people and period.start <= at < until:
                _page(people[handle], at, hours)
        person = people.get(incident.commander or "")
        if person is not None and period.contains(incident.declared_at):
            start = max(incident.declared_at, period.start)
            end = min(incident.resolved_at or now, until)
            _add_minutes(person, start, end, hours)
    _handovers(people, handovers, period, now)
    return sorted(people.values(), key=lambda p: (-p.minutes[SLEEP], -p.pages[SLEEP], -p.total_pages, p.handle))


def pages_of(incident: IncidentFacts, circle: Circle) -> Iterator[tuple[str, datetime]]:
    """(handle, moment) of every page an incident sent: its commander at declaration, then each escalation.

    The n-th escalation reached step n of the circle's escalation path; whom it paged is
    resolved against the rota at that moment (a rota gap paged nobody).
    """
    if incident.commander:
        yield incident.commander, incident.declared_at
    for index, at in enumerate(incident.escalations):
        if index < len(circle.escalation):
            member = escalation_target(circle, circle.escalation[index].notify, at)
            if member is not None:
                yield member.handle, at


def _page(person: PersonLoad, at: datetime, hours: WorkingHours) -> None:
    local = at.astimezone(ZoneInfo(person.time_zone))
    person.pages[hours.bucket(local)] += 1
    person.pages_by_hour[local.hour] += 1


def _add_minutes(person: PersonLoad, start: datetime, end: datetime, hours: WorkingHours) -> None:
    zone = ZoneInfo(person.time_zone)
    for segment_start, segment_end in segments(start, end, zone, (hours.start, hours.end)):
        local = segment_start.astimezone(zone)
        minutes = (segment_end - segment_start).total_seconds() / 60
        person.minutes[hours.bucket(local)] += minutes
        person.minutes_by_hour[local.hour] += minutes


def segments(
    start: datetime, end: datetime, zone: ZoneInfo, marks: Sequence[time] = ()
) -> Iterator[tuple[datetime, datetime]]:
    """[start, end) cut at every local hour (and at each of `marks`), so each piece has one local hour."""
    moment = start
    while moment < end:
        boundary = _next_boundary(moment, zone, marks)
        yield moment, min(boundary, end)
        moment = boundary


def _next_boundary(moment: datetime, zone: ZoneInfo, marks: Sequence[time]) -> datetime:
    utc = moment.astimezone(UTC)
    candidate = utc.replace(minute=utc.minute - utc.minute % 15, second=0, microsecond=0) + _QUARTER
    while True:
        local = candidate.astimezone(zone)
        if local.minute == 0 or local.time().replace(second=0, microsecond=0) in marks:
            return candidate
        candidate += _QUARTER


def _handovers(
    people: dict[str, PersonLoad], handovers: Iterable[HandoverFacts], period: Period, now: datetime
) -> None:
    latencies: dict[str, list[timedelta]] = {}
    for handover in handovers:
        person = people.get(handover.incoming)
        if person is None or not period.contains(handover.shift_start) or handover.shift_start > now:
            continue
        person.handovers += 1
        if handover.accepted_at is not None:
            person.handovers_accepted += 1
            latencies.setdefault(person.handle, []).append(
                max(handover.accepted_at - handover.shift_start, timedelta(0))
            )
    for handle, values in latencies.items():
        people[handle].acceptance_latency = sum(values, timedelta(0)) / len(values)
