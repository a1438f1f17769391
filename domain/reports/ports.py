"""What reports read, as a port: storage implements it with one indexed query per method."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

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


class ReportReads(Protocol):
    """What reports read; storage implements it with one indexed query per method."""

    async def incidents(self, circles: Sequence[str], start: datetime, end: datetime) -> list[IncidentFacts]:
        """Incidents of `circles` declared in [start, end), oldest first, with escalation and update moments."""
        ...

    async def postmortems(self, circles: Sequence[str], end: datetime) -> list[PostmortemFacts]:
        """Postmortems of `circles` started before `end`."""
        ...

    async def actions(self, circles: Sequence[str], end: datetime) -> list[ActionFacts]:
        """Corrective actions of `circles` added before `end`."""
        ...

    async def handovers(self, circles: Sequence[str], start: datetime, end: datetime) -> list[HandoverFacts]:
        """Handovers of `circles` whose shift began in [start, end)."""
        ...

    async def standup_entries(self, circles: Sequence[str], first: date, last: date) -> list[StandupEntryFacts]:
        """Stand-up entries of `circles` for the days [first, last]."""
        ...

    async def blockers(self, circles: Sequence[str], first: date, last: date) -> list[BlockerFacts]:
        """Blockers of `circles` raised by `last` and not solved before `first`."""
        ...

    async def aways(self, circles: Sequence[str], first: date, last: date) -> list[AwayFacts]:
        """Time off of `circles` overlapping the days [first, last]."""
        ...

    async def wip_activities(self, circles: Sequence[str], since: datetime) -> list[ActivityFacts]:
        """Activities of `circles` in progress now, or whose status changed at or after `since` after a WIP spell."""
        ...

    async def feedback(self, circles: Sequence[str], first: date, last: date) -> list[FeedbackFacts]:
        """Feedback given on `circles`' activity cards on the days [first, last]."""
        ...

    async def overdue_activities(self, circles: Sequence[str], at: datetime, today: date) -> list[ActivityFacts]:
        """Activities of `circles` created before `at`, still open at `at`, with a deadline before `today`."""
        ...
