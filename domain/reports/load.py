"""On-call load per person: pages and incident minutes in business hours, off-hours and sleep hours.

Every moment is judged in the *person's* time zone (their own, else the circle's), as
PagerDuty's operational reviews do: 03:00 in Rome is sleep for Giulia and business hours for
a colleague in Seattle. Sleep hours are 00:00-07:00 every day and win over the rest; business
hours are the circle's working hours on its working days; everything else is off-hours.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from domain.circle import Circle
from domain.incidents.service import escalation_target
from domain.reports.facts import HandoverFacts, IncidentFacts
from domain.reports.period import Period
from domain.rota import OnCall, Rota, Shift, on_call_at

BUSINESS, OFF_HOURS, SLEEP = "business", "off-hours", "sleep"
# A clock remembers about three years of quarter-hour offsets (a few MB), then starts over.
_MAX_QUARTERS = 100_000
BUCKETS = (BUSINESS, OFF_HOURS, SLEEP)
SLEEP_ENDS = time(7, 0)


@dataclass(frozen=True)
class WorkingHours:
    """Business hours: [start, end) local time on `days` (0 = Monday)."""

    start: time
    end: time
    days: tuple[int, ...]

    def bucket(self, local: datetime) -> str:
        """Which part of the day a local moment is in."""
        of_day = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
        return self.bucket_at(local.weekday(), of_day)

    def day_minutes(self, weekday: int) -> dict[str, float]:
        """Minutes of each day part in a whole (24-hour) local day on `weekday`."""
        return _day_minutes(self, weekday)

    def bucket_at(self, weekday: int, of_day: float) -> str:
        """The same for a weekday (0 = Monday) and a time of day in seconds since local midnight."""
        if of_day < SLEEP_ENDS.hour * 3600:
            return SLEEP
        start = self.start.hour * 3600 + self.start.minute * 60
        end = self.end.hour * 3600 + self.end.minute * 60
        if weekday in self.days and start <= of_day < end:
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
    rota = RotaLookup(circle.rota)
    for incident in incidents:
        for handle, at in pages_of(incident, circle, rota):
            if handle in people and period.start <= at < until:
                _page(people[handle], at, hours)
        person = people.get(incident.commander or "")
        if person is not None and period.contains(incident.declared_at):
            start = max(incident.declared_at, period.start)
            end = min(incident.resolved_at or now, until)
            _add_minutes(person, start, end, hours, local_clock(person.time_zone))
    _handovers(people, handovers, period, now)
    return sorted(people.values(), key=lambda p: (-p.minutes[SLEEP], -p.pages[SLEEP], -p.total_pages, p.handle))


def pages_of(incident: IncidentFacts, circle: Circle, rota: RotaLookup | None = None) -> Iterator[tuple[str, datetime]]:
    """(handle, moment) of every page an incident sent: its commander at declaration, then each escalation.

    The n-th escalation reached step n of the circle's escalation path; whom it paged is
    resolved against the rota at that moment (a rota gap paged nobody).
    """
    if incident.commander:
        yield incident.commander, incident.declared_at
    for index, at in enumerate(incident.escalations):
        if index < len(circle.escalation):
            member = escalation_target(circle, circle.escalation[index].notify, at, rota)
            if member is not None:
                yield member.handle, at


class RotaLookup:
    """`on_call_at` for many instants: a shift change is rare, so the last answer usually holds."""

    def __init__(self, rota: Rota) -> None:
        self._rota = rota
        self._last: OnCall | None = None

    def __call__(self, at: datetime) -> OnCall:
        last = self._last
        if (
            last is not None
            and last.primary
            and last.secondary
            and _covers(last.primary, at)
            and _covers(last.secondary, at)
        ):
            return last
        self._last = on_call_at(self._rota, at)
        return self._last


def _covers(shift: Shift, at: datetime) -> bool:
    return shift.start <= at < shift.end


def _page(person: PersonLoad, at: datetime, hours: WorkingHours) -> None:
    local = at.astimezone(ZoneInfo(person.time_zone))
    person.pages[hours.bucket(local)] += 1
    person.pages_by_hour[local.hour] += 1


def _add_minutes(person: PersonLoad, start: datetime, end: datetime, hours: WorkingHours, clock: LocalClock) -> None:
    """Spread [start, end) over the person's local hours and day parts, one piece per local hour."""
    marks = sorted({_seconds(hours.start), _seconds(hours.end), _seconds(SLEEP_ENDS)})
    moment, stop = start.timestamp(), end.timestamp()
    while moment < stop:
        offset = clock.offset(moment)
        local = moment + offset
        of_day = local % 86400
        weekday = (int(local // 86400) + 3) % 7  # 1 January 1970 was a Thursday
        if of_day == 0 and stop - moment >= 86400 and clock.offset(moment + 86399) == offset:
            # A whole local day without a clock change (incidents left open for weeks): in one go.
            for bucket, spent in hours.day_minutes(weekday).items():
                person.minutes[bucket] += spent
            person.minutes_by_hour[:] = [m + 60 for m in person.minutes_by_hour]
            moment += 86400
            continue
        following = moment + 3600 - local % 3600
        following = min([following, *(moment + mark - of_day for mark in marks if mark > of_day)])
        if clock.offset(following - 1) != offset:
            # A daylight-saving change inside the piece (always on a UTC quarter hour) ends it there.
            quarter = (int(moment) // 900 + 1) * 900
            while clock.offset(quarter) == offset:
                quarter += 900
            following = quarter
        piece_end = min(following, stop)
        minutes = (piece_end - moment) / 60
        person.minutes[hours.bucket_at(weekday, of_day)] += minutes
        person.minutes_by_hour[int(of_day // 3600)] += minutes
        moment = piece_end


@lru_cache(maxsize=128)
def _day_minutes(hours: WorkingHours, weekday: int) -> dict[str, float]:
    quarters = [hours.bucket_at(weekday, q * 900) for q in range(96)]
    return {bucket: 15.0 * quarters.count(bucket) for bucket in BUCKETS}


@lru_cache(maxsize=64)
def local_clock(zone: str) -> LocalClock:
    """One clock per zone for the process, so its offsets are looked up once."""
    return LocalClock(ZoneInfo(zone))


class LocalClock:
    """UTC instants to local wall-clock seconds in one zone, the offset cached per UTC quarter hour.

    Every zone's offset, and every change of it, falls on a UTC quarter hour, so the offset is
    constant within one; an incident spanning weeks costs a lookup per hour, not a conversion.
    """

    def __init__(self, zone: ZoneInfo) -> None:
        self._zone = zone
        self._offsets: dict[int, int] = {}

    def offset(self, timestamp: float) -> int:
        """Seconds to add to a UTC POSIX timestamp for local wall-clock time."""
        quarter = int(timestamp // 900)
        offset = self._offsets.get(quarter)
        if offset is None:
            if len(self._offsets) > _MAX_QUARTERS:
                self._offsets.clear()
            moment = datetime.fromtimestamp(quarter * 900, UTC).astimezone(self._zone)
            offset = self._offsets[quarter] = int((moment.utcoffset() or timedelta(0)).total_seconds())
        return offset


def _seconds(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60


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
