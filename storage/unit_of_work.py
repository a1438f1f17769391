"""The unit of work: one session, one transaction, rolled back unless committed."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from sqlmodel.ext.asyncio.session import AsyncSession

from domain.clock import Clock
from storage.activities.repository import SqlActivities
from storage.alerts.repository import SqlAlertGroups
from storage.circles import SqlCircles
from storage.conversations import SqlConversations
from storage.database import Database
from storage.incidents.repository import SqlIncidents
from storage.oncall.handovers import SqlHandovers
from storage.outbox import SqlOutbox
from storage.postmortems.repository import SqlPostmortems
from storage.reports.reads import SqlReportReads
from storage.rota_overrides import SqlRotaOverrides
from storage.runbooks.history import SqlRunbookHistory
from storage.runbooks.repository import SqlDrills, SqlRunbookCopies
from storage.standups.repository import SqlStandups
from storage.timers import SqlTimers


class SqlUnitOfWork:
    """Implements domain.ports.UnitOfWork on the database: every repository on one session.

    `on_outbox_commit` is called with the kinds of the rows after a commit that queued outbox
    rows, so the local relay's lanes for those kinds deliver at once instead of at their next poll.
    """

    def __init__(
        self,
        database: Database,
        clock: Clock,
        on_outbox_commit: Callable[[frozenset[str]], None] | None = None,
        *,
        read_only: bool = False,
    ) -> None:
        self._database = database
        self._clock = clock
        self._on_outbox_commit = on_outbox_commit
        self._read_only = read_only
        self._committed = False

    async def __aenter__(self) -> SqlUnitOfWork:
        self.session: AsyncSession = self._database.read_session() if self._read_only else self._database.session()
        now = self._clock.now()
        self.outbox = SqlOutbox(self.session, now)
        self.timers = SqlTimers(self.session, now)
        self.circles = SqlCircles(self.session)
        self.conversations = SqlConversations(self.session)
        self.incidents = SqlIncidents(self.session)
        self.postmortems = SqlPostmortems(self.session)
        self.handovers = SqlHandovers(self.session)
        self.rota_overrides = SqlRotaOverrides(self.session)
        self.alert_groups = SqlAlertGroups(self.session)
        self.activities = SqlActivities(self.session)
        self.standups = SqlStandups(self.session)
        self.reports = SqlReportReads(self.session)
        self.drills = SqlDrills(self.session)
        self.runbook_copies = SqlRunbookCopies(self.session)
        self.runbook_history = SqlRunbookHistory(self.session)
        self._committed = False
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed:
                await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        if self._read_only:
            raise RuntimeError("a read-only unit of work cannot commit: use UnitOfWorkFactory() to write")
        await self.outbox.flush()
        await self.session.commit()
        self._committed = True
        if self.outbox.added and self._on_outbox_commit:
            self._on_outbox_commit(self.outbox.added_kinds)

    async def rollback(self) -> None:
        await self.session.rollback()


class UnitOfWorkFactory:
    """Implements domain.ports.UnitsOfWork: units of work bound to one database and clock."""

    def __init__(
        self, database: Database, clock: Clock, on_outbox_commit: Callable[[frozenset[str]], None] | None = None
    ) -> None:
        self.database = database
        self.clock = clock
        self.on_outbox_commit = on_outbox_commit

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.database, self.clock, self.on_outbox_commit)

    def reader(self) -> SqlUnitOfWork:
        """A unit of work for lookups only: on SQLite it neither waits for nor blocks writers."""
        return SqlUnitOfWork(self.database, self.clock, read_only=True)
