"""The ports the use cases talk to. Storage and adapters implement them; tests use fakes."""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from domain.activities.ports import ActivityRepository
    from domain.alerts.service import AlertGroups
    from domain.circle import Circle, Member
    from domain.incidents.model import Incident
    from domain.incidents.report import IncidentReport
    from domain.oncall.ports import HandoverRepository, OverrideRepository
    from domain.postmortems.service import PostmortemRepository
    from domain.reports.ports import ReportReads
    from domain.runbooks.ports import DrillRepository, RunbookCopies, RunbookHistory
    from domain.standups.ports import StandupRepository


class OutboxWriter(Protocol):
    def add(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        idempotency_key: str,
        ordering_key: str | None = None,
        not_before: datetime | None = None,
    ) -> None:
        """Queue an external write in the current transaction.

        `idempotency_key` is unique: queueing the same key twice keeps the first row.
        Rows with the same `ordering_key` are delivered one at a time, oldest first.
        """
        ...

    async def contains(self, idempotency_key: str) -> bool:
        """True when a row with this key is queued in this transaction or already stored."""
        ...

    async def outstanding(self, ordering_key: str) -> Literal["pending", "dead"] | None:
        """ "dead" when a stored row of this ordering key is dead, "pending" when one waits (queued
        here or stored), None when every write of that key was delivered."""
        ...


class TimerScheduler(Protocol):
    async def schedule(self, kind: str, key: str, due_at: datetime, payload: dict[str, Any]) -> bool:
        """Arm (or move) the pending timer `key`; False when it has already fired."""
        ...

    async def cancel(self, key: str) -> bool:
        """Disarm the pending timer `key`; False when there was none."""
        ...


class IncidentRepository(Protocol):
    async def add(self, incident: Incident, *, thread: str | None = None) -> Incident:
        """Insert; assigns `incident.number`. `thread`: the channel thread it was declared in."""
        ...

    async def get(self, number: int) -> Incident | None:
        """INC-<number>, locked for the transaction, or None."""
        ...

    async def save(self, incident: Incident) -> None: ...

    async def thread_of(self, number: int) -> str | None:
        """The channel thread of INC-<number>, when known."""
        ...

    async def by_thread(self, conversation_id: str) -> Incident | None:
        """The incident whose channel thread this is."""
        ...

    async def open_in_circle(self, circle: str) -> list[Incident]: ...

    async def declared_between(self, circle: str, start: datetime, end: datetime) -> list[Incident]:
        """The circle's incidents declared in [start, end), oldest first."""
        ...

    async def count_similar(self, *, circle: str, service: str | None, fingerprint: str | None, since: datetime) -> int:
        """Incidents of the same circle and service, or with the same alert fingerprint, since `since`."""
        ...

    async def touched_between(self, circle: str, since: datetime, until: datetime) -> list[Incident]:
        """Incidents of a circle with a timeline entry in [since, until), unlocked (for reading)."""
        ...


class ConversationBook(Protocol):
    """Where the bot can write: the stored conversation references (opaque to the domain)."""

    async def channel(self, channel_id: str) -> dict[str, Any] | None:
        """A reference for posting in the channel, or None when the bot was never installed there."""
        ...

    async def personal(self, *, teams_user_id: str | None = None, aad_id: str | None = None) -> dict[str, Any] | None:
        """The reference of the 1:1 chat with a person, found by Teams user id or Entra ID object id."""
        ...

    async def was_posted(self, key: str) -> bool:
        """True when the message queued under outbox key `key` was posted (its activity id is known)."""
        ...

    async def posted_activity_id(self, key: str) -> str | None:
        """The Teams id of the message posted under outbox key `key` (for a link to it), once posted."""
        ...


class CircleDirectory(Protocol):
    async def get(self, name: str) -> Circle | None: ...

    async def by_channel(self, channel_id: str) -> Circle | None: ...

    async def active(self) -> list[Circle]:
        """The circles of the applied circles file, in file order."""
        ...


class IncidentNotifier(Protocol):
    """What the incident process says in Teams; implementations queue messages on the same UoW."""

    async def incident_changed(self, uow: UnitOfWork, incident: Incident, circle: Circle) -> None:
        """Refresh the incident card wherever it is shown."""
        ...

    async def tell_thread(
        self, uow: UnitOfWork, incident: Incident, circle: Circle, text: str, *, mention: Member | None = None
    ) -> None:
        """Post a short line in the incident's thread, @mentioning `mention` when given."""
        ...

    async def post_report(self, uow: UnitOfWork, report: IncidentReport, circle: Circle) -> None:
        """Post a resolution's report, with its postmortem decision, in the incident's thread."""
        ...

    async def page(
        self, uow: UnitOfWork, incident: Incident, circle: Circle, member: Member, reason: str, *, step: int
    ) -> None:
        """Ask one person, privately, to acknowledge: escalation step `step` (0-based) of the circle's path."""
        ...

    async def ask_stakeholder_update(
        self, uow: UnitOfWork, incident: Incident, circle: Circle, draft: str, overdue: bool
    ) -> None:
        """Give the commander a prefilled stakeholder update to review and send."""
        ...

    async def post_stakeholder_update(self, uow: UnitOfWork, incident: Incident, circle: Circle, text: str) -> None:
        """Publish an update in the circle's stakeholder channel."""
        ...

    async def tell_privately(
        self, uow: UnitOfWork, incident: Incident, circle: Circle, member: Member, text: str, *, key: str
    ) -> None:
        """Tell one person privately (else in the incident's thread); `key` makes it once."""
        ...


class UnitOfWork(Protocol):
    """One transaction: everything written through it commits together or not at all.

    It hands out every repository, each on the transaction: a use case, a notifier or a lookup
    never builds one by hand. A feature with a new repository adds its property here and in
    storage/unit_of_work.py.
    """

    # Read-only properties, so implementations may narrow the types (SqlOutbox for OutboxWriter).
    @property
    def outbox(self) -> OutboxWriter: ...

    @property
    def timers(self) -> TimerScheduler: ...

    @property
    def circles(self) -> CircleDirectory: ...

    @property
    def conversations(self) -> ConversationBook: ...

    @property
    def incidents(self) -> IncidentRepository: ...

    @property
    def postmortems(self) -> PostmortemRepository: ...

    @property
    def handovers(self) -> HandoverRepository: ...

    @property
    def rota_overrides(self) -> OverrideRepository: ...

    @property
    def alert_groups(self) -> AlertGroups: ...

    @property
    def activities(self) -> ActivityRepository: ...

    @property
    def standups(self) -> StandupRepository: ...

    @property
    def reports(self) -> ReportReads: ...

    @property
    def drills(self) -> DrillRepository: ...

    @property
    def runbook_copies(self) -> RunbookCopies: ...

    @property
    def runbook_history(self) -> RunbookHistory: ...

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class UnitsOfWork(Protocol):
    """Opens units of work: `uow()` to change things, `uow.reader()` for lookups.

    A reader never commits; on SQLite it neither waits for nor blocks the single writer, so
    every lookup (which circle, which incident, a list) goes through one.
    """

    def __call__(self) -> UnitOfWork: ...

    def reader(self) -> UnitOfWork: ...
