"""On-call questions and rota changes: who is on now and next, shift changes ahead, overrides, swaps.

Built on domain.rota. Shifts here are "turns": consecutive shifts of the same person merged, so
an override giving alice part of her own week is not a handover.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.circle import Circle, Member, Role
from domain.local_time import format_moment
from domain.oncall.moments import OnCallError
from domain.rota import Layer, Override, Rota, Shift, ShiftSource, gaps_between, shifts_between

# Far enough to find the next turn of a weekly rotation among several people.
LOOKAHEAD = timedelta(days=60)
# Longer changes belong in the circles file, where they are reviewed.
MAX_OVERRIDE = timedelta(days=31)
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class LayerNow:
    """One layer's answer to "who is on call": now (until when) and next (from when)."""

    layer: Layer
    current: Shift | None
    next: Shift | None


@dataclass(frozen=True)
class ShiftChange:
    """`incoming` takes over `layer` at `at` from `outgoing` (None after a gap), until `until`."""

    layer: Layer
    at: datetime
    outgoing: str | None
    incoming: str
    until: datetime
    outgoing_since: datetime | None


def turns_between(rota: Rota, start: datetime, end: datetime, layer: Layer) -> list[Shift]:
    """The layer's shifts overlapping [start, end), consecutive shifts of one person merged."""
    # Look further both ways so the first and last turns show their real start and end.
    merged: list[Shift] = []
    for shift in shifts_between(rota, start - LOOKAHEAD, end + LOOKAHEAD, layer=layer):
        last = merged[-1] if merged else None
        if last is not None and last.member == shift.member and last.end == shift.start:
            source = ShiftSource.OVERRIDE if ShiftSource.OVERRIDE in (last.source, shift.source) else last.source
            merged[-1] = Shift(last.member, last.start, shift.end, layer, source)
        else:
            merged.append(shift)
    return [turn for turn in merged if turn.start < end and turn.end > start]


def who_is_on_call(rota: Rota, now: datetime) -> list[LayerNow]:
    """For each layer that has anyone in the coming weeks: the current turn and the next person's."""
    answer: list[LayerNow] = []
    for layer in Layer:
        turns = turns_between(rota, now, now + LOOKAHEAD, layer)
        current = next((t for t in turns if t.covers(now)), None)
        upcoming = next((t for t in turns if t.start > now and (current is None or t.member != current.member)), None)
        if current or upcoming:
            answer.append(LayerNow(layer, current, upcoming))
    return answer


def shift_changes(rota: Rota, start: datetime, end: datetime) -> list[ShiftChange]:
    """Handovers in [start, end), in time order: a new person takes over a layer."""
    changes: list[ShiftChange] = []
    for layer in Layer:
        turns = turns_between(rota, start - _TICK, end, layer)
        for before, turn in zip([None, *turns], turns, strict=False):
            if turn.start < start or turn.start >= end:
                continue
            touching = before is not None and before.end == turn.start
            changes.append(
                ShiftChange(
                    layer=layer,
                    at=turn.start,
                    outgoing=before.member if touching and before else None,
                    incoming=turn.member,
                    until=turn.end,
                    outgoing_since=before.start if touching and before else None,
                )
            )
    return sorted(changes, key=lambda c: (c.at, c.layer != Layer.PRIMARY))


def change_at(rota: Rota, layer: Layer, at: datetime) -> ShiftChange | None:
    """The handover of `layer` happening exactly at `at`, if the rota still has one."""
    return next((c for c in shift_changes(rota, at, at + _TICK) if c.layer == layer), None)


def primary_gaps(rota: Rota, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """When nobody is primary on call between `start` and `end`."""
    return gaps_between(rota, start, end)


def gap_lines(rota: Rota, start: datetime, end: datetime) -> list[str]:
    """Each gap of every layer the rota staffs, as a readable line in its time zone, primary first."""
    zone = rota.zone
    return [
        f"nobody is {layer} on call from {format_moment(a, zone, start)} to {format_moment(b, zone, start)}"
        for layer in rota.layers
        for a, b in gaps_between(rota, start, end, layer=layer)
    ]


# --- overrides and swaps --------------------------------------------------------------------------


def is_team_leader(circle: Circle, member: Member) -> bool:
    return member.handle == circle.team_leader or member.role is Role.TEAM_LEADER


def plan_override(
    circle: Circle,
    *,
    caller: Member | None,
    covering: Member,
    layer: Layer,
    start: datetime,
    end: datetime,
    now: datetime,
    reason: str = "",
) -> Override:
    """The override `caller` asks for, checked: the Team Leader, or the person being covered, may."""
    if caller is None:
        raise OnCallError(f"only members of circle {circle.name} can change its rota")
    if covering.role is Role.STAKEHOLDER:
        raise OnCallError(f"{covering.display_name} is a stakeholder of {circle.name}, not an on-call engineer")
    start = max(start, now)  # the past stays as it was
    if end <= start:
        raise OnCallError("the override must end in the future and after it starts")
    if end - start > MAX_OVERRIDE:
        raise OnCallError("an override lasts at most 31 days; plan longer changes as shifts in the circles file")
    zone = circle.rota.zone
    if not is_team_leader(circle, caller):
        covered = {t.member for t in turns_between(circle.rota, start, end, layer)}
        if caller.handle not in covered:
            leader = circle.member(circle.team_leader)
            raise OnCallError(
                f"only the Team Leader ({leader.display_name if leader else circle.team_leader}) or the person "
                f"being covered may override; you are not {layer} on call between "
                f"{format_moment(start, zone, now)} and {format_moment(end, zone, now)}"
            )
    return Override(covering.handle, start, end, layer, reason=reason.strip()[:200], created_by=caller.handle)


def plan_swap(
    circle: Circle, *, caller: Member | None, first: Member, second: Member, layer: Layer, now: datetime
) -> tuple[Override, Override]:
    """Two overrides exchanging the next turns of `first` and `second` on `layer`."""
    if caller is None:
        raise OnCallError(f"only members of circle {circle.name} can change its rota")
    if first.handle == second.handle:
        raise OnCallError("a swap needs two different people")
    if not is_team_leader(circle, caller) and caller.handle not in (first.handle, second.handle):
        raise OnCallError("only the Team Leader or one of the two people swapping may swap shifts")
    turns = turns_between(circle.rota, now, now + LOOKAHEAD, layer)
    first_turn = _next_turn(turns, first, layer)
    second_turn = next((t for t in turns if t.member == second.handle and not _overlaps(t, first_turn)), None)
    if second_turn is None:
        raise OnCallError(f"{second.display_name} has no {layer} turn in the next 60 days to swap with")
    reason = f"swap of {first.display_name} and {second.display_name}"
    return (
        Override(second.handle, max(first_turn.start, now), first_turn.end, layer, reason, caller.handle),
        Override(first.handle, max(second_turn.start, now), second_turn.end, layer, reason, caller.handle),
    )


def _next_turn(turns: list[Shift], member: Member, layer: Layer) -> Shift:
    turn = next((t for t in turns if t.member == member.handle), None)
    if turn is None:
        raise OnCallError(f"{member.display_name} has no {layer} turn in the next 60 days to swap")
    return turn


def _overlaps(a: Shift, b: Shift) -> bool:
    return a.start < b.end and b.start < a.end
