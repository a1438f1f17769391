"""What reports read, as a port: storage implements it with one indexed query per method."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from domain.reports.facts import ActionFacts, HandoverFacts, IncidentFacts, PostmortemFacts


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
