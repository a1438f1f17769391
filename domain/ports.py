"""The ports the use cases talk to. Storage and adapters implement them; tests use fakes."""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from domain.circle import Circle, Member
    from domain.incidents.model import Incident


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


class TimerScheduler(Protocol):
    async def schedule(self, kind: str, key: str, due_at: datetime, payload: dict[str, Any]) -> bool:
        """Arm (or move) the pending timer `key`; False when it has already fired."""
        ...

    async def cancel(self, key: str) -> bool:
        """Disarm the pending timer `key`; False when there was none."""
        ...


class IncidentRepository(Protocol):
    async def add(self, incident: Incident) -> Incident:
        """Insert; assigns `incident.number`."""
        ...

    async def get(self, number: int) -> Incident | None:
        """INC-<number>, locked for the transaction, or None."""
        ...

    async def save(self, incident: Incident) -> None: ...

    async def set_thread(self, number: int, conversation_id: str) -> None:
        """Remember the channel thread where the incident is discussed."""
        ...

    async def thread_of(self, number: int) -> str | None:
        """The channel thread of INC-<number>, when known."""
        ...

    async def by_thread(self, conversation_id: str) -> Incident | None:
        """The incident whose channel thread this is."""
        ...

    async def open_in_circle(self, circle: str) -> list[Incident]: ...

    async def count_similar(self, *, circle: str, service: str | None, fingerprint: str | None, since: datetime) -> int:
        """Incidents of the same circle and service, or with the same alert fingerprint, since `since`."""
        ...


class CircleDirectory(Protocol):
    async def get(self, name: str) -> Circle | None: ...

    async def by_channel(self, channel_id: str) -> Circle | None: ...


class IncidentNotifier(Protocol):
    """What the incident process says in Teams; implementations queue messages on the same UoW."""

    async def incident_changed(self, uow: UnitOfWork, incident: Incident, circle: Circle) -> None:
        """Refresh the incident card wherever it is shown."""
        ...

    async def tell_thread(self, uow: UnitOfWork, incident: Incident, circle: Circle, text: str) -> None:
        """Post a short line in the incident's thread."""
        ...

    async def page(self, uow: UnitOfWork, incident: Incident, circle: Circle, member: Member, reason: str) -> None:
        """Ask one person, privately, to acknowledge (escalation)."""
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
    """One transaction: everything written through it commits together or not at all."""

    # Read-only properties, so implementations may narrow the types (SqlOutbox for OutboxWriter).
    @property
    def outbox(self) -> OutboxWriter: ...

    @property
    def timers(self) -> TimerScheduler: ...

    @property
    def incidents(self) -> IncidentRepository: ...

    @property
    def circles(self) -> CircleDirectory: ...

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...
