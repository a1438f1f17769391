"""domain.reports.service.ReportReads on a read-only session."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from domain.reports.facts import ActionFacts, HandoverFacts, IncidentFacts, PostmortemFacts
from storage.reports import queries


class SqlReportReads:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def incidents(self, circles: Sequence[str], start: datetime, end: datetime) -> list[IncidentFacts]:
        return await queries.incident_facts(self._session, circles, start, end)

    async def postmortems(self, circles: Sequence[str], end: datetime) -> list[PostmortemFacts]:
        return await queries.postmortem_facts(self._session, circles, end)

    async def actions(self, circles: Sequence[str], end: datetime) -> list[ActionFacts]:
        return await queries.action_facts(self._session, circles, end)

    async def handovers(self, circles: Sequence[str], start: datetime, end: datetime) -> list[HandoverFacts]:
        return await queries.handover_facts(self._session, circles, start, end)
