"""Who is asked, what the bot already knows about their day, and how `/ooo` and dates are read."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.circle import Member, Severity
from domain.incidents.model import Incident
from domain.standups.model import MAX_REASON_LENGTH, IncidentRole, StandupError

# The handbook's "strong criticality": whoever commands one of these is busy, not asked.
BUSY_SEVERITIES = frozenset({Severity.P1, Severity.P2})
NIGHT_ENDS = time(7, 0)
MAX_AWAY_DAYS = 366
OOO_USAGE = "`/ooo 3d [reason]`, `/ooo until 2026-12-10 [reason]` or `/ooo cancel`"


def commanded_incident(member: Member, open_incidents: Sequence[Incident]) -> Incident | None:
    """The open P1/P2 the member commands, if any (the most severe, then the oldest)."""
    mine = [i for i in open_incidents if i.commander == member.handle and i.severity in BUSY_SEVERITIES and i.is_open]
    return min(mine, key=lambda i: (i.severity.value, i.declared_at), default=None)


def incident_roles(
    member: Member, incidents: Sequence[Incident], since: datetime, until: datetime
) -> list[IncidentRole]:
    """What the member did on each incident in [since, until), from the incidents' timelines.

    The timeline names people by display name; the commander field by handle.
    """
    roles: list[IncidentRole] = []
    for incident in incidents:
        done: list[str] = []
        night: list[datetime] = []
        for entry in incident.timeline:
            if not since <= entry.at < until:
                continue
            if entry.kind == "declared" and entry.actor == member.display_name:
                done.append("declared")
            elif entry.kind == "acknowledged" and entry.actor == member.display_name:
                done.append("acknowledged")
            elif entry.kind in ("assigned", "escalated") and member.display_name in entry.text:
                done.append("paged" if entry.kind == "escalated" else "commanded")
                night.append(entry.at)
        if incident.commander == member.handle and "commanded" not in done and done:
            done.append("commanded")
        if done:
            ordered = tuple(r for r in ("declared", "commanded", "acknowledged", "paged") if r in done)
            roles.append(IncidentRole(incident.key, incident.title, incident.severity.value, ordered, tuple(night)))
    return roles


def paged_at_night(roles: Sequence[IncidentRole], day: date, zone: ZoneInfo) -> bool:
    """Engaged on an incident between 00:00 and 07:00 of `day`, in the member's zone."""
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day, NIGHT_ENDS, tzinfo=zone)
    return any(start <= moment < end for role in roles for moment in role.night_pages)


@dataclass(frozen=True)
class OooRequest:
    """`/ooo`: away from `start` to `end` (both included), or `cancel`."""

    start: date | None
    end: date | None
    reason: str = ""
    cancel: bool = False


def parse_ooo(text: str, today: date) -> OooRequest:
    """`3d` (today and the next two days), `2w`, `until 2026-12-10`, `until fri`, or `cancel`."""
    words = text.split()
    if not words:
        raise StandupError(f"for how long? {OOO_USAGE}")
    first = words[0].lower()
    if first == "cancel":
        return OooRequest(None, None, cancel=True)
    if first == "until":
        if len(words) < 2:
            raise StandupError(f"until when? {OOO_USAGE}")
        end = parse_day(words[1], today, future=True)
        rest = words[2:]
    elif match := re.fullmatch(r"(\d{1,3})([dw])", first):
        days = int(match.group(1)) * (7 if match.group(2) == "w" else 1)
        if days < 1:
            raise StandupError(f"`{first}` is no time at all; {OOO_USAGE}")
        end = today + timedelta(days=days - 1)
        rest = words[1:]
    else:
        raise StandupError(f"I don't understand `{words[0]}`; {OOO_USAGE}")
    if end < today:
        raise StandupError(f"{end.isoformat()} is in the past; {OOO_USAGE}")
    if (end - today).days > MAX_AWAY_DAYS:
        raise StandupError(f"that is more than a year; {OOO_USAGE}")
    reason = " ".join(rest)
    if len(reason) > MAX_REASON_LENGTH:
        raise StandupError(f"keep the reason under {MAX_REASON_LENGTH} characters")
    return OooRequest(today, end, reason)


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_day(word: str, today: date, *, future: bool = False) -> date:
    """`2026-12-10`, `today`, `yesterday`, `tomorrow`, or a weekday (`fri`: the nearest one past or, with
    `future`, to come)."""
    lowered = word.lower()
    if lowered == "today":
        return today
    if lowered == "yesterday":
        return today - timedelta(days=1)
    if lowered == "tomorrow":
        return today + timedelta(days=1)
    if lowered[:3] in _WEEKDAYS and lowered.isalpha():
        target = _WEEKDAYS.index(lowered[:3])
        if future:
            return today + timedelta(days=(target - today.weekday()) % 7)
        return today - timedelta(days=(today.weekday() - target) % 7)
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise StandupError(f"`{word}` is not a date; write it like 2026-12-10, today, yesterday or fri") from None
