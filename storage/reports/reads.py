"""domain.reports.service.ReportReads on a read-only session."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from domain.reports.facts import (
    ActionFacts,
    ActivityFacts,
    AwayFacts,
    BlockerFacts,
    FeedbackFacts,
    HandoverFacts,
    IncidentFacts,
    PostmortemFacts,
    StandupEntryFacts,
)
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

    async def standup_entries(self, circles: Sequence[str], first: date, last: date) -> list[StandupEntryFacts]:
        return await queries.standup_entries(self._session, circles, first, last)

    async def blockers(self, circles: Sequence[str], first: date, last: date) -> list[BlockerFacts]:
        return await queries.blocker_facts(self._session, circles, first, last)

    async def aways(self, circles: Sequence[str], first: date, last: date) -> list[AwayFacts]:
        return await queries.away_facts(self._session, circles, first, last)

    async def wip_activities(self, circles: Sequence[str], since: datetime) -> list[ActivityFacts]:
        return await queries.wip_activity_facts(self._session, circles, since)

    async def feedback(self, circles: Sequence[str], first: date, last: date) -> list[FeedbackFacts]:
        return await queries.feedback_facts(self._session, circles, first, last)

    async def overdue_activities(self, circles: Sequence[str], at: datetime, today: date) -> list[ActivityFacts]:
        return await queries.overdue_activity_facts(self._session, circles, at, today)
