"""A member's stand-up of one day, their blockers and their time off."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

MAX_ANSWER_LENGTH = 2000
MAX_REASON_LENGTH = 200
# Written in the blockers box, these mean "nothing blocks me".
NO_BLOCKER = frozenset({"", "-", "no", "none", "nope", "nothing", "n/a", "na", "no blockers", "nessuno", "niente"})


class StandupError(ValueError):
    """A stand-up rule was broken; the message says what to type instead."""


class EntryStatus(StrEnum):
    PROMPTED = "prompted"  # asked, no answer yet
    ANSWERED = "answered"
    SKIPPED = "skipped"  # `/standup skip [reason]`
    ON_INCIDENT = "on_incident"  # commands an open P1/P2: not asked
    UNREACHABLE = "unreachable"  # never said hi to the bot privately


@dataclass
class Entry:
    """One member's stand-up on one day."""

    circle: str
    day: date
    member: str
    status: EntryStatus
    prompted_at: datetime | None = None
    yesterday: str = ""
    today: str = ""
    blockers: str = ""
    answered_at: datetime | None = None
    edited_at: datetime | None = None
    reason: str = ""  # the skip reason
    incident: str | None = None  # "INC-7" when not asked because of it
    night_paged: bool = False
    reminded_at: datetime | None = None

    @property
    def has_answered(self) -> bool:
        return self.status is EntryStatus.ANSWERED

    def answer(self, *, yesterday: str, today: str, blockers: str, at: datetime) -> None:
        """Record (or replace) the answer; the first answer's time counts for the statistics."""
        for name, text in (("yesterday", yesterday), ("today", today), ("blockers", blockers)):
            if len(text) > MAX_ANSWER_LENGTH:
                raise StandupError(f"the {name} answer has {len(text)} characters; keep it under {MAX_ANSWER_LENGTH}")
        if not (yesterday.strip() or today.strip()):
            raise StandupError("write at least what you did yesterday or what you will do today")
        self.yesterday, self.today, self.blockers = yesterday.strip(), today.strip(), blockers.strip()
        if self.answered_at is None:
            self.answered_at = at
        else:
            self.edited_at = at
        self.status, self.reason = EntryStatus.ANSWERED, ""

    def skip(self, reason: str) -> None:
        if len(reason) > MAX_REASON_LENGTH:
            raise StandupError(f"keep the reason under {MAX_REASON_LENGTH} characters")
        self.status, self.reason = EntryStatus.SKIPPED, reason.strip()


@dataclass
class Blocker:
    """A blocker or tension, from the day it was first reported to the day it was solved."""

    circle: str
    member: str
    text: str
    first_day: date
    last_day: date
    id: int | None = None
    solved_on: date | None = None
    escalated_on: date | None = None

    @property
    def is_open(self) -> bool:
        return self.solved_on is None


@dataclass(frozen=True)
class Away:
    """Time off (`/ooo`): no prompts from `start` to `end` (both included), shown as away."""

    circle: str
    member: str
    start: date
    end: date
    reason: str = ""
    id: int | None = None

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class IncidentRole:
    """What a member did on one incident since their last stand-up."""

    key: str
    title: str
    severity: str
    roles: tuple[str, ...]  # in order: declared, commanded, acknowledged, paged
    night_pages: tuple[datetime, ...] = field(default=())

    def line(self) -> str:
        return f"{self.key} {self.title}: {', '.join(self.roles)}"


def blocker_lines(text: str) -> list[str]:
    """The blockers written in one answer: one per line, list bullets dropped, "none" ignored."""
    lines = []
    for raw in text.splitlines():
        line = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", raw).strip()
        if line.lower().rstrip(".!") not in NO_BLOCKER:
            lines.append(line)
    return lines


def same_blocker(a: str, b: str) -> bool:
    """Repeating a blocker with other spacing, capitals or final punctuation keeps its age."""
    return _normal(a) == _normal(b)


def _normal(text: str) -> str:
    return " ".join(text.lower().split()).rstrip(".!?")


@dataclass(frozen=True)
class BlockerChanges:
    raised: tuple[str, ...]
    repeated: tuple[Blocker, ...]
    solved: tuple[Blocker, ...]


def reconcile_blockers(known: list[Blocker], written: str, solved_ids: set[int], day: date) -> BlockerChanges:
    """Today's blockers against the member's known ones.

    `known` are the member's open blockers and those touched today (an edit may bring one back).
    A blocker written again keeps its age; one ticked as solved, or no longer written, is solved
    today; a new line is a new blocker.
    """
    lines = blocker_lines(written)
    repeated: list[Blocker] = []
    solved: list[Blocker] = []
    for blocker in known:
        still = any(same_blocker(blocker.text, line) for line in lines)
        if still and blocker.id not in solved_ids:
            blocker.last_day, blocker.solved_on = day, None
            repeated.append(blocker)
        elif blocker.solved_on is None or blocker.solved_on == day:
            blocker.solved_on = day
            solved.append(blocker)
    raised = [line for line in lines if not any(same_blocker(b.text, line) for b in known)]
    return BlockerChanges(tuple(dict.fromkeys(raised)), tuple(repeated), tuple(solved))
