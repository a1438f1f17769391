"""The activity-id claims that make every turn happen once, group-committed.

Every turn first claims its activity id (a redelivery finds it taken and is skipped), and the claim
is committed before the turn runs. One transaction per claim made every turn queue for SQLite's one
writer; here the claims that arrive while one batch is written go together into the next, one
multi-row INSERT … ON CONFLICT DO NOTHING RETURNING telling each turn whether its id was new.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.conversations import claim_activities
from storage.database import Database
from storage.group_commit import GroupCommit, first_of_each


@dataclass(frozen=True)
class _Claim:
    key: tuple[str, str]  # (activity id, conversation id)
    at: datetime


class ActivityClaims:
    """`await claims.claim(activity_id, conversation_id, now=…)`: True the first time, committed."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._group: GroupCommit[_Claim, bool] = GroupCommit(self._write, name="activity-claims")

    async def claim(self, activity_id: str, conversation_id: str, *, now: datetime) -> bool:
        return await self._group.put(_Claim((activity_id, conversation_id), now))

    async def _write(self, batch: Sequence[_Claim]) -> list[bool]:
        unique: dict[tuple[str, str], datetime] = {}
        for claim in batch:
            unique.setdefault(claim.key, claim.at)
        async with self._database.session() as session:
            inserted = await claim_activities(session, unique)
            await session.commit()
        return first_of_each([claim.key for claim in batch], inserted)
