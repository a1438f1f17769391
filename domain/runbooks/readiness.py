"""On-call readiness (handbook: internal tests are "particularly handy for who is approaching to jump
into shifts"): a member is ready when they passed a drill within the circle's window."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from domain.circle import Circle, Role
from domain.local_time import format_moment
from domain.oncall.model import turns_between
from domain.rota import Layer


def tracks_readiness(circle: Circle) -> bool:
    """Readiness is tracked once the circle sets `runbooks.drill_window`."""
    return circle.runbooks.drill_window is not None


def unready_members(circle: Circle, last_passed: Mapping[str, datetime], now: datetime) -> dict[str, str]:
    """Members (not stakeholders) who are not on-call ready, with why, by handle; {} when not tracked."""
    window = circle.runbooks.drill_window
    unready: dict[str, str] = {}
    if window is None:
        return unready
    for member in circle.members:
        if member.role is Role.STAKEHOLDER:
            continue
        passed = last_passed.get(member.handle)
        if passed is None:
            unready[member.handle] = f"no drill passed in the last {window.days} days"
        elif now - passed > window:
            unready[member.handle] = f"last drill passed {passed:%Y-%m-%d}, over {window.days} days ago"
    return unready


def unready_primary_lines(
    circle: Circle, last_passed: Mapping[str, datetime], now: datetime, start: datetime, end: datetime
) -> list[str]:
    """One line per primary turn in [start, end) taken by a member who will not be ready then."""
    lines = []
    zone = circle.rota.zone
    for turn in turns_between(circle.rota, start, end, Layer.PRIMARY):
        at = max(turn.start, start)
        reason = unready_members(circle, last_passed, at).get(turn.member)
        if reason is None:
            continue
        member = circle.member(turn.member)
        name = member.display_name if member else turn.member
        lines.append(
            f"{name} is primary on call from {format_moment(at, zone, now)} but is not "
            f"on-call ready ({reason}): `/drill start @{turn.member}`"
        )
    return lines
