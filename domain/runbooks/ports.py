"""The ports the runbook use cases talk to; adapters, storage and bot implement them, tests use fakes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from domain.circle import Circle, Member
    from domain.ports import UnitOfWork
    from domain.runbooks.check import ActionMention, RunbookReport
    from domain.runbooks.drill import Drill, Question
    from domain.runbooks.template import PostmortemLink
    from domain.services import Service


class RunbookUnavailable(Exception):
    """Neither GitLab nor the stored copy can give the runbook; the text says why, for a person."""


@dataclass(frozen=True)
class RunbookCopy:
    """A runbook's text as read (None: the file does not exist), with how fresh the copy is.

    `age_note` is set when GitLab could not be asked and this is the stored copy: "GitLab did not
    answer; copy from 2 h ago".
    """

    path: str
    markdown: str | None
    last_commit_at: datetime | None
    web_url: str | None = None
    age_note: str | None = None


@dataclass(frozen=True)
class StoredFile:
    """A file as GitLab last gave it to us; `present` False when GitLab said it does not exist."""

    content: str
    present: bool
    etag: str | None
    last_commit_at: datetime | None
    fetched_at: datetime


class RunbookCopies(Protocol):
    """The last copy of each file read from a docs repository (runbooks, the question bank)."""

    async def get(self, project: str, ref: str, path: str) -> StoredFile | None:
        """The stored copy of `path`, or None when it was never read."""
        ...

    async def put(self, project: str, ref: str, path: str, copy: StoredFile) -> None:
        """Store (or replace) the copy of `path`."""
        ...

    async def under(self, project: str, ref: str, directory: str) -> dict[str, StoredFile]:
        """Every stored file under `directory`, by path."""
        ...


class RunbookSource(Protocol):
    async def runbook(self, circle: Circle, service: Service) -> RunbookCopy:
        """The service's runbook; RunbookUnavailable when there is no copy to show."""
        ...

    async def question_bank(self, circle: Circle) -> tuple[list[Question], list[str]]:
        """The circle's internal-tests questions, and a line per file mistake."""
        ...


class RunbookHistory(Protocol):
    """What the bot knows that a runbook should reflect."""

    async def alerts_fired(self, circle: Circle, service: Service, since: datetime) -> list[str]:
        """Names of the service's alerts that fired since `since`."""
        ...

    async def action_mentions(self, circle: Circle, service: Service) -> list[ActionMention]:
        """Agreed corrective actions that name this service's runbook."""
        ...

    async def postmortems(self, circle: Circle, service: Service) -> list[PostmortemLink]:
        """The service's postmortems from the knowledge base, newest first."""
        ...


class DrillRepository(Protocol):
    async def add(self, drill: Drill) -> Drill: ...

    async def get(self, drill_id: int) -> Drill | None: ...

    async def save(self, drill: Drill, pass_mark: float) -> None: ...

    async def of_circle(self, circle: str, *, member: str | None = None, limit: int = 50) -> list[Drill]: ...

    async def last_passed(self, circle: str) -> dict[str, datetime]: ...


class RunbookNotifier(Protocol):
    """The runbook process's voice in Teams; every message is an outbox row on `uow`, keyed once."""

    async def tell(self, uow: UnitOfWork, circle: Circle, member: Member, text: str, *, key: str) -> None:
        """A private message (the circle's channel with an @mention when there is no 1:1 chat)."""
        ...

    async def check_summary(
        self, uow: UnitOfWork, circle: Circle, reports: Sequence[RunbookReport], *, key: str, late: str | None
    ) -> None:
        """The Team Leader's one summary of a runbook check."""
        ...

    async def ask_question(self, uow: UnitOfWork, circle: Circle, drill: Drill, index: int) -> None:
        """Send the member question `index` of the drill, one per card."""
        ...

    async def ask_grade(self, uow: UnitOfWork, circle: Circle, drill: Drill, index: int) -> None:
        """The Team Leader's review card for an open answer."""
        ...

    async def drill_done(self, uow: UnitOfWork, circle: Circle, drill: Drill) -> None:
        """The results per topic to the Team Leader, and the score to the member."""
        ...
