"""The small ports activities talk through; each has a fake in tests and a real one at the composition root."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from domain.activities.model import Activity
    from domain.circle import Circle, Member
    from domain.ports import UnitOfWork


class ActivityRepository(Protocol):
    async def add(self, activity: Activity) -> Activity:
        """Insert; assigns `activity.id`."""
        ...

    async def get(self, activity_id: int) -> Activity | None:
        """The activity, locked for the transaction, or None."""
        ...

    async def by_issue(self, project: str, iid: int) -> Activity | None: ...

    async def save(self, activity: Activity) -> None: ...

    async def of_member(self, circle: str, owner: str) -> list[Activity]:
        """The member's activities not done, plus those done in the last week, newest first."""
        ...

    async def open_in_circle(self, circle: str) -> list[Activity]:
        """Every activity of the circle not done."""
        ...

    async def wip_of(self, circle: str, owner: str) -> Activity | None: ...

    async def next_feedback_sequence(self, activity_id: int, day: date) -> int:
        """1 for the first feedback of `day`, then 2, … (part of the note's idempotency key)."""
        ...

    async def add_feedback(self, activity_id: int, day: date, sequence: int, at: datetime, text: str) -> None: ...


class ActivityNotifier(Protocol):
    """What the activity process says in Teams; implementations queue messages on the same unit of work."""

    async def activity_changed(self, uow: UnitOfWork, activity: Activity, circle: Circle) -> None:
        """Refresh the member's activity card in their personal chat (post it the first time)."""
        ...

    async def tell(self, uow: UnitOfWork, circle: Circle, member: Member, text: str, *, key: str) -> None:
        """A short private message."""
        ...

    async def ask_feedback(
        self,
        uow: UnitOfWork,
        activity: Activity,
        circle: Circle,
        member: Member,
        prefill: str,
        *,
        key: str,
        late: str | None = None,
    ) -> None:
        """The daily feedback card for the WIP activity; `late` says why it comes late, when it does."""
        ...

    async def ask_review(self, uow: UnitOfWork, activity: Activity, circle: Circle) -> None:
        """The review card to the Team Leader."""
        ...

    async def ask_which(self, uow: UnitOfWork, current: Activity, started: Activity, circle: Circle) -> None:
        """Work began outside the bot while another activity is WIP: ask which one stays in progress."""
        ...


class StandupToday(Protocol):
    """Stand-ups (#13) plug in here: today's "today" answer of a member, to prefill the feedback card."""

    async def today_answer(self, uow: UnitOfWork, circle: str, member: str, day: date) -> str | None: ...


class Availability(Protocol):
    """Whether a member is away on a day (stand-ups / on-call plug in here); nobody is asked while away."""

    async def is_away(self, uow: UnitOfWork, circle: str, member: str, day: date) -> bool: ...


class NoStandups:
    """Until stand-ups are installed: no prefill."""

    async def today_answer(self, uow: UnitOfWork, circle: str, member: str, day: date) -> str | None:
        return None


class NobodyAway:
    """Until an away calendar is installed: everyone works on the schedule's days."""

    async def is_away(self, uow: UnitOfWork, circle: str, member: str, day: date) -> bool:
        return False


@dataclass(frozen=True)
class WipSummary:
    """What the stand-up prompt shows about a member's activity (the port stand-ups read, see service)."""

    ref: str
    title: str
    url: str | None
    last_feedback: str | None
    last_feedback_at: datetime | None
