"""What the stand-up use cases talk to. Storage and bot implement them; tests use fakes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from domain.circle import Circle, Member, StandupQuestions
from domain.incidents.model import Incident
from domain.ports import UnitOfWork
from domain.standups.model import Away, Blocker, Entry

if TYPE_CHECKING:
    from domain.standups.summary import Summary


@dataclass
class DayState:
    """The circle's stand-up of one day: when its summary was posted and when it became final."""

    circle: str
    day: date
    posted_at: datetime | None = None
    final_at: datetime | None = None


class StandupRepository(Protocol):
    async def entry(self, circle: str, day: date, member: str) -> Entry | None:
        """The member's entry of `day`, locked for the transaction."""
        ...

    async def entries(self, circle: str, day: date) -> list[Entry]: ...

    async def entries_between(self, circle: str, first: date, last: date) -> list[Entry]:
        """Every entry from `first` to `last`, both included."""
        ...

    async def last_answers(self, circle: str, before: date) -> dict[str, Entry]:
        """Each member's latest answer before `before` (within the last weeks), by handle."""
        ...

    async def add_entry(self, entry: Entry) -> None:
        """Insert an entry known to be new (the day's entries were read in this transaction)."""
        ...

    async def save_entry(self, entry: Entry) -> None:
        """Insert or update (one entry per circle, day and member)."""
        ...

    async def known_blockers(self, circle: str, day: date, member: str | None = None) -> list[Blocker]:
        """Open blockers, and those reported or solved on `day` (an edit may change them); of one
        member, or of everyone in the circle."""
        ...

    async def blockers_of_day(self, circle: str, day: date) -> list[Blocker]:
        """Blockers reported on `day`."""
        ...

    async def blockers_between(self, circle: str, first: date, last: date) -> list[Blocker]:
        """Blockers raised or solved from `first` to `last`."""
        ...

    async def add_blocker(self, blocker: Blocker) -> Blocker: ...

    async def save_blocker(self, blocker: Blocker) -> None: ...

    async def aways(self, circle: str, day: date) -> list[Away]:
        """Time off covering `day`."""
        ...

    async def add_away(self, away: Away) -> Away: ...

    async def end_aways(self, circle: str, member: str, from_day: date) -> int:
        """Cut the member's time off so it ends before `from_day`; how many were changed."""
        ...

    async def day_state(self, circle: str, day: date) -> DayState | None: ...

    async def save_day_state(self, state: DayState) -> None: ...


class IncidentLookup(Protocol):
    """The incidents a stand-up needs to know about."""

    async def open_in_circle(self, circle: str) -> list[Incident]: ...

    async def touched_between(self, circle: str, since: datetime, until: datetime) -> list[Incident]:
        """Incidents of the circle with a timeline entry in [since, until)."""
        ...


@dataclass(frozen=True)
class WipActivity:
    """The member's work-in-progress activity (issue #14) and the last feedback they gave on it."""

    title: str
    url: str | None = None
    last_feedback: str | None = None


class WipActivityLookup(Protocol):
    """Plugged in by the activities feature; without it the prompt and summary have no activity lines."""

    async def wip_of(self, uow: UnitOfWork, circle: Circle, member: Member) -> WipActivity | None:
        """The member's activity in progress, read on the caller's transaction."""
        ...

    async def overdue(self, uow: UnitOfWork, circle: Circle, day: date) -> list[str]:
        """The circle's activities past their deadline on `day`, one line each, for the summary."""
        ...


class NoWipActivities:
    """The lookup before the activities feature exists: nobody has a WIP activity."""

    async def wip_of(self, uow: UnitOfWork, circle: Circle, member: Member) -> WipActivity | None:
        return None

    async def overdue(self, uow: UnitOfWork, circle: Circle, day: date) -> list[str]:
        return []


@dataclass(frozen=True)
class OpenBlocker:
    id: int
    text: str
    age: int


@dataclass(frozen=True)
class PromptDraft:
    """What the private prompt card shows and prefills."""

    circle: str
    day: date
    questions: StandupQuestions
    yesterday: str
    today: str
    blockers: str
    open_blockers: tuple[OpenBlocker, ...]
    incidents: tuple[str, ...]  # "INC-7 checkout 500s: commanded, acknowledged"
    activity: WipActivity | None
    answers_until: str  # "12:30 CET"
    editing: bool = False
    notes: tuple[str, ...] = field(default=())  # "You were paged at night: no reminder today."
    night_paged: bool = False


class StandupNotifier(Protocol):
    """What the stand-up says in Teams; implementations queue outbox rows on the same unit of work."""

    async def prompt(
        self, uow: UnitOfWork, circle: Circle, member: Member, draft: PromptDraft, *, on_demand: bool = False
    ) -> bool:
        """Send the private prompt (`on_demand`: asked for with `/standup`, not the scheduled one);
        False when the member cannot be reached privately."""
        ...

    async def remind(self, uow: UnitOfWork, circle: Circle, member: Member, day: date, until: str) -> bool: ...

    async def post_summary(self, uow: UnitOfWork, circle: Circle, summary: Summary) -> None:
        """Post the day's summary card in the circle's channel."""
        ...

    async def update_summary(self, uow: UnitOfWork, circle: Circle, summary: Summary) -> None:
        """Replace the posted summary card in place."""
        ...

    async def escalate_blocker(self, uow: UnitOfWork, circle: Circle, blocker: Blocker, age: int) -> None:
        """Tell the Team Leader, privately, about a blocker that does not go away."""
        ...
