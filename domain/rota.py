"""On-call rota: rotations, explicit shifts and overrides, and who is on call when.

Precedence, per layer: an override beats an explicit shift, which beats the rotation. Among
overlapping overrides (or explicit shifts) the one later in its tuple wins, so appending a new
override is enough to take over from an older one.

Handovers are wall-clock times in the rota's time zone: a rotation handing over at 09:00 in
Europe/Rome does so at 09:00 local time on both sides of a DST change (07:00 UTC in summer,
08:00 UTC in winter). Shifts come back in UTC: comparing aware datetimes that share a ZoneInfo
compares wall-clock times, which is wrong across a DST change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class Layer(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"


class ShiftSource(StrEnum):
    ROTATION = "rotation"
    SHIFT = "shift"
    OVERRIDE = "override"


@dataclass(frozen=True)
class Rotation:
    """Members take turns of `period_days`, handing over at `handover_time` local time.

    The first turn starts on `start`, or on the first `handover_weekday` (0 = Monday) on or
    after `start` when one is given; before that the rotation covers nobody.
    """

    layer: Layer
    members: tuple[str, ...]
    period_days: int = 7
    handover_time: time = time(9, 0)
    handover_weekday: int | None = None
    start: date = date(2026, 1, 1)

    def __post_init__(self) -> None:
        if not self.members:
            raise ValueError("a rotation needs at least one member")
        if self.period_days < 1:
            raise ValueError("a rotation period is at least one day")
        if self.handover_weekday is not None and not 0 <= self.handover_weekday <= 6:
            raise ValueError("handover_weekday is 0 (Monday) to 6 (Sunday)")

    @property
    def first_day(self) -> date:
        """The local date of the first handover."""
        if self.handover_weekday is None:
            return self.start
        return self.start + timedelta(days=(self.handover_weekday - self.start.weekday()) % 7)


@dataclass(frozen=True)
class Shift:
    """`member` is on call for `layer` from `start` (inclusive) to `end` (exclusive)."""

    member: str
    start: datetime
    end: datetime
    layer: Layer
    source: ShiftSource = ShiftSource.SHIFT

    def __post_init__(self) -> None:
        _require_aware(self.start, self.end)
        if self.end <= self.start:
            raise ValueError(f"a shift must end after it starts ({self.start} .. {self.end})")

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end


@dataclass(frozen=True)
class Override:
    """A one-off replacement, usually asked for in chat by the Team Leader."""

    member: str
    start: datetime
    end: datetime
    layer: Layer
    reason: str = ""
    created_by: str = ""

    def __post_init__(self) -> None:
        _require_aware(self.start, self.end)
        if self.end <= self.start:
            raise ValueError(f"an override must end after it starts ({self.start} .. {self.end})")


@dataclass(frozen=True)
class Rota:
    """Everything that decides who is on call for one circle."""

    time_zone: str = "UTC"
    rotations: tuple[Rotation, ...] = ()
    shifts: tuple[Shift, ...] = ()
    overrides: tuple[Override, ...] = field(default=())

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def layers(self) -> tuple[Layer, ...]:
        """The layers this rota staffs: primary always, secondary once a rotation or shift names it."""
        staffed = {rotation.layer for rotation in self.rotations} | {shift.layer for shift in self.shifts}
        return tuple(layer for layer in Layer if layer is Layer.PRIMARY or layer in staffed)


@dataclass(frozen=True)
class OnCall:
    """Who answers now; each shift's `end` is the next handover for that layer."""

    primary: Shift | None
    secondary: Shift | None


def on_call_at(rota: Rota, at: datetime) -> OnCall:
    """The primary and secondary shifts covering the instant `at`."""
    _require_aware(at)
    moment = at + timedelta(microseconds=1)
    return OnCall(
        primary=_covering(shifts_between(rota, at, moment, layer=Layer.PRIMARY), at),
        secondary=_covering(shifts_between(rota, at, moment, layer=Layer.SECONDARY), at),
    )


def shifts_between(rota: Rota, start: datetime, end: datetime, *, layer: Layer | None = None) -> list[Shift]:
    """Effective shifts overlapping [start, end), unclipped, ordered by layer then start.

    Consecutive shifts may name the same member (an override giving alice part of her own
    week); callers announcing handovers skip those.
    """
    _require_aware(start, end)
    layers = [layer] if layer else list(Layer)
    result: list[Shift] = []
    for each in layers:
        result.extend(s for s in _effective(rota, each, start, end) if s.end > start and s.start < end)
    return result


def gaps_between(
    rota: Rota, start: datetime, end: datetime, *, layer: Layer = Layer.PRIMARY
) -> list[tuple[datetime, datetime]]:
    """Intervals within [start, end) when nobody is on call for `layer`."""
    gaps: list[tuple[datetime, datetime]] = []
    cursor = start
    for shift in shifts_between(rota, start, end, layer=layer):
        if shift.start > cursor:
            gaps.append((cursor, shift.start))
        cursor = max(cursor, shift.end)
    if cursor < end:
        gaps.append((cursor, end))
    return gaps


def rotation_shifts(rotation: Rotation, zone: ZoneInfo, start: datetime, end: datetime) -> list[Shift]:
    """The rotation's turns overlapping [start, end), each ending at the next local handover."""
    index = max(_turn_index(rotation, zone, start), 0)
    shifts: list[Shift] = []
    while True:
        turn_start = _handover(rotation, zone, index)
        if turn_start >= end:
            return shifts
        turn_end = _handover(rotation, zone, index + 1)
        if turn_end > start:
            member = rotation.members[index % len(rotation.members)]
            shifts.append(Shift(member, turn_start, turn_end, rotation.layer, ShiftSource.ROTATION))
        index += 1


def _effective(rota: Rota, layer: Layer, start: datetime, end: datetime) -> list[Shift]:
    # An override or explicit shift reaching outside the window can cut a rotation turn that
    # straddles the window's edge, so widen the window until nothing new overlaps it.
    low, high = start, end
    while True:
        timeline: list[Shift] = []
        for rotation in rota.rotations:
            if rotation.layer == layer:
                timeline = _paint_all(timeline, rotation_shifts(rotation, rota.zone, low, high))
        explicit = [s for s in rota.shifts if s.layer == layer and s.end > low and s.start < high]
        timeline = _paint_all(timeline, [_as(s, ShiftSource.SHIFT) for s in explicit])
        overrides = [o for o in rota.overrides if o.layer == layer and o.end > low and o.start < high]
        timeline = _paint_all(timeline, [_override_shift(o) for o in overrides])
        new_low = min([low, *(s.start for s in timeline)])
        new_high = max([high, *(s.end for s in timeline)])
        if (new_low, new_high) == (low, high):
            return timeline
        low, high = new_low, new_high


def _paint_all(timeline: list[Shift], layers_on_top: list[Shift]) -> list[Shift]:
    for shift in layers_on_top:
        timeline = _paint(timeline, shift)
    return timeline


def _paint(timeline: list[Shift], top: Shift) -> list[Shift]:
    """`top` replaces whatever the timeline had during its interval."""
    painted: list[Shift] = []
    for shift in timeline:
        if shift.end <= top.start or shift.start >= top.end:
            painted.append(shift)
            continue
        if shift.start < top.start:
            painted.append(_cut(shift, shift.start, top.start))
        if shift.end > top.end:
            painted.append(_cut(shift, top.end, shift.end))
    painted.append(top)
    return sorted(painted, key=lambda s: s.start)


def _cut(shift: Shift, start: datetime, end: datetime) -> Shift:
    return Shift(shift.member, start, end, shift.layer, shift.source)


def _as(shift: Shift, source: ShiftSource) -> Shift:
    return Shift(shift.member, shift.start.astimezone(UTC), shift.end.astimezone(UTC), shift.layer, source)


def _override_shift(override: Override) -> Shift:
    start, end = override.start.astimezone(UTC), override.end.astimezone(UTC)
    return Shift(override.member, start, end, override.layer, ShiftSource.OVERRIDE)


def _covering(shifts: list[Shift], at: datetime) -> Shift | None:
    return next((s for s in shifts if s.covers(at)), None)


def _handover(rotation: Rotation, zone: ZoneInfo, index: int) -> datetime:
    # Wall-clock arithmetic on the date, then the zone picks the offset of that day: this is
    # what keeps a 09:00 handover at 09:00 across DST changes.
    # A handover inside the spring-forward gap (02:30) falls back to the pre-change offset.
    day = rotation.first_day + timedelta(days=index * rotation.period_days)
    return datetime.combine(day, rotation.handover_time, tzinfo=zone).astimezone(UTC)


def _turn_index(rotation: Rotation, zone: ZoneInfo, at: datetime) -> int:
    """The turn covering `at`; negative before the rotation starts."""
    local_day = at.astimezone(zone).date()
    index = (local_day - rotation.first_day).days // rotation.period_days
    if _handover(rotation, zone, index) > at:
        index -= 1
    return index


def _require_aware(*moments: datetime) -> None:
    for moment in moments:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"rota times must be timezone-aware, got {moment!r}")
