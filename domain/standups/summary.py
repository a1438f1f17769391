"""The day's stand-up summary as data: incidents and on-call first, blockers next, then each person."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from domain.circle import Circle, Member
from domain.incidents.model import Incident
from domain.oncall.handover import IncidentLine, build_brief
from domain.oncall.model import who_is_on_call
from domain.standups.calendar import participants, standup_days_between
from domain.standups.model import Away, Blocker, Entry, EntryStatus
from domain.standups.rules import commanded_incident


@dataclass(frozen=True)
class BlockerLine:
    member: str  # display name
    text: str
    age: int  # stand-up days since first reported, counting both ends ("day 3")
    answer_key: str  # which answer to open: "<day>:<handle>"


@dataclass(frozen=True)
class PersonLine:
    """One person's line: their answer, or why there is none."""

    handle: str
    name: str
    state: str  # answered · skipped · on INC-7 · away · holiday · not answered · not asked yet · unreachable
    yesterday: str = ""
    today: str = ""
    note: str = ""  # "paged at night", the skip reason, "edited"


@dataclass(frozen=True)
class Summary:
    circle: str
    day: date
    final: bool
    answered: int
    expected: int
    incidents: tuple[IncidentLine, ...]
    on_call: tuple[str, ...]  # "primary: Luca Ferrari"
    blockers: tuple[BlockerLine, ...]
    people: tuple[PersonLine, ...]
    not_answered: tuple[str, ...]  # names, never @mentions
    unreachable: tuple[str, ...]
    overdue_activities: tuple[str, ...] = ()  # "#12 Migrate the ingress (Marco Bianchi, due Fri 27 Nov)"

    @property
    def progress(self) -> str:
        return f"{self.answered} of {self.expected} answered"


def build_summary(
    circle: Circle,
    day: date,
    *,
    entries: Sequence[Entry],
    aways: Sequence[Away],
    blockers: Sequence[Blocker],
    open_incidents: Sequence[Incident],
    now: datetime,
    final: bool,
    overdue_activities: Sequence[str] = (),
) -> Summary:
    """The summary of `day` as it stands at `now`; `final` once the window has closed."""
    assert circle.standup is not None
    by_member = {e.member: e for e in entries if e.day == day}
    people: list[PersonLine] = []
    expected = answered = 0
    not_answered: list[str] = []
    unreachable: list[str] = []
    for member in participants(circle):
        busy = commanded_incident(member, open_incidents)
        line = _person(member, day, by_member.get(member.handle), aways, busy.key if busy else None, final)
        people.append(line)
        if line.state in ("answered", "not answered", "not asked yet", "unreachable"):
            expected += 1
        if line.state == "answered":
            answered += 1
        elif line.state in ("not answered", "unreachable") or (line.state == "not asked yet" and final):
            not_answered.append(member.display_name)
        if line.state == "unreachable":
            unreachable.append(member.display_name)
    blocker_lines = [
        BlockerLine(
            member=_name(circle, b.member),
            text=b.text,
            age=standup_days_between(circle.standup, b.first_day, day),
            answer_key=f"{day.isoformat()}:{b.member}",
        )
        for b in blockers
        if b.first_day <= day and b.last_day == day and (b.solved_on is None or b.solved_on > day)
    ]
    on_call = tuple(
        f"{layer.layer.value}: {_name(circle, layer.current.member)}"
        for layer in who_is_on_call(circle.rota, now)
        if layer.current is not None
    )
    people.sort(key=lambda p: (_rank(p.state), p.name))
    return Summary(
        circle=circle.name,
        day=day,
        final=final,
        answered=answered,
        expected=expected,
        incidents=build_brief(circle, open_incidents, (), now).open_incidents,
        on_call=on_call,
        blockers=tuple(sorted(blocker_lines, key=lambda b: (-b.age, b.member))),
        people=tuple(people),
        not_answered=tuple(not_answered),
        unreachable=tuple(unreachable),
        overdue_activities=tuple(overdue_activities),
    )


def _person(
    member: Member, day: date, entry: Entry | None, aways: Sequence[Away], busy_on: str | None, final: bool
) -> PersonLine:
    handle, name = member.handle, member.display_name
    if day in member.holidays:
        return PersonLine(handle, name, "holiday")
    away = next((a for a in aways if a.member == handle and a.covers(day)), None)
    if entry is None:
        if away is not None:
            return PersonLine(handle, name, "away", note=away.reason)
        if busy_on is not None:  # not asked yet, and will not be while the incident lasts
            return PersonLine(handle, name, f"on {busy_on}")
        return PersonLine(handle, name, "not answered" if final else "not asked yet")
    note = "paged at night" if entry.night_paged else ""
    if entry.status is EntryStatus.ANSWERED:
        edited = "edited" if entry.edited_at else ""
        return PersonLine(
            handle, name, "answered", entry.yesterday, entry.today, ", ".join(filter(None, (note, edited)))
        )
    if away is not None:
        return PersonLine(handle, name, "away", note=away.reason)
    if entry.status is EntryStatus.SKIPPED:
        return PersonLine(handle, name, "skipped", note=entry.reason)
    if entry.status is EntryStatus.ON_INCIDENT:
        return PersonLine(handle, name, f"on {entry.incident}", note=note)
    if entry.status is EntryStatus.UNREACHABLE:
        return PersonLine(handle, name, "unreachable", note="say hi to the bot once")
    return PersonLine(handle, name, "not answered", note=note)


def _rank(state: str) -> int:
    """Answers first, then who is on an incident, then who is off, then who has not answered."""
    if state == "answered":
        return 0
    if state.startswith("on INC"):
        return 1
    return 2 if state in ("skipped", "away", "holiday") else 3


def _name(circle: Circle, handle: str) -> str:
    member = circle.member(handle)
    return member.display_name if member else handle
