"""Group commit of the activity-id claims that make every turn happen once.

Every turn first claims its activity id (a redelivery finds it taken and is skipped), and the claim
is committed before the turn runs. One transaction per claim made every turn queue for SQLite's one
writer with BEGIN, INSERT and COMMIT hops to the connection's thread; here the claims that arrive
while a claim transaction is being written go together into the next one: one multi-row INSERT …
ON CONFLICT DO NOTHING RETURNING tells each turn whether its id was new.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from storage.conversations import claim_activities
from storage.database import Database

# Three bound values per claim: well within every SQLite's limit of 32,766 per statement.
MAX_BATCH = 500


@dataclass
class _Claim:
    key: tuple[str, str]  # (activity id, conversation id)
    at: datetime
    first_time: asyncio.Future[bool]


class ActivityClaims:
    """`await claims.claim(activity_id, conversation_id, now=…)`: True the first time, committed."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._queued: list[_Claim] = []
        self._writer: asyncio.Task[None] | None = None

    async def claim(self, activity_id: str, conversation_id: str, *, now: datetime) -> bool:
        first_time: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queued.append(_Claim((activity_id, conversation_id), now, first_time))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_queued(), name="activity-claims")
        return await first_time

    async def _write_queued(self) -> None:
        while self._queued:
            batch, self._queued = self._queued[:MAX_BATCH], self._queued[MAX_BATCH:]
            try:
                inserted = await self._write(batch)
            except Exception as error:
                for claim in batch:
                    if not claim.first_time.done():
                        claim.first_time.set_exception(error)
                continue
            for claim in batch:
                if not claim.first_time.done():
                    # The same id twice in one batch (a fast redelivery): only the first goes ahead.
                    claim.first_time.set_result(claim.key in inserted)
                    inserted.discard(claim.key)

    async def _write(self, batch: list[_Claim]) -> set[tuple[str, str]]:
        unique: dict[tuple[str, str], datetime] = {}
        for claim in batch:
            unique.setdefault(claim.key, claim.at)
        async with self._database.session() as session:
            inserted = await claim_activities(session, unique)
            await session.commit()
        return inserted
