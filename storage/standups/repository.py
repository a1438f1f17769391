"""Implements domain.standups.ports.StandupRepository on a session (the unit of work hands it out)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from domain.standups.model import Away, Blocker, Entry, EntryStatus
from domain.standups.ports import DayState
from storage.standups.tables import StandupAwayRow, StandupBlockerRow, StandupDayRow, StandupEntryRow

# "Yesterday" is prefilled from the latest answer at most this old: older plans are stale.
LAST_ANSWER_LOOKBACK = timedelta(weeks=4)

_ENTRY_FIELDS = (
    "prompted_at", "yesterday", "today", "blockers", "answered_at", "edited_at", "reason", "incident",
    "night_paged", "reminded_at",
)  # fmt: skip


class SqlStandups:
    """Stand-up entries, blockers, time off and day states."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # --- entries ----------------------------------------------------------------------------------

    async def entry(self, circle: str, day: date, member: str) -> Entry | None:
        row = await self._entry_row(circle, day, member, lock=True)
        return _entry(row) if row else None

    async def entries(self, circle: str, day: date) -> list[Entry]:
        query = select(StandupEntryRow).where(StandupEntryRow.circle == circle, StandupEntryRow.day == day)
        return [_entry(row) for row in (await self._session.exec(query.order_by(col(StandupEntryRow.id)))).all()]

    async def entries_between(self, circle: str, first: date, last: date) -> list[Entry]:
        query = select(StandupEntryRow).where(
            StandupEntryRow.circle == circle, col(StandupEntryRow.day) >= first, col(StandupEntryRow.day) <= last
        )
        return [_entry(row) for row in (await self._session.exec(query.order_by(col(StandupEntryRow.day)))).all()]

    async def last_answers(self, circle: str, before: date) -> dict[str, Entry]:
        query = (
            select(StandupEntryRow)
            .where(
                StandupEntryRow.circle == circle,
                StandupEntryRow.status == EntryStatus.ANSWERED.value,
                col(StandupEntryRow.day) < before,
                col(StandupEntryRow.day) >= before - LAST_ANSWER_LOOKBACK,
            )
            .order_by(col(StandupEntryRow.day))
        )
        return {row.member: _entry(row) for row in (await self._session.exec(query)).all()}

    async def add_entry(self, entry: Entry) -> None:
        row = StandupEntryRow(circle=entry.circle, day=entry.day, member=entry.member, status=entry.status.value)
        for name in _ENTRY_FIELDS:
            setattr(row, name, getattr(entry, name))
        self._session.add(row)

    async def save_entry(self, entry: Entry) -> None:
        row = await self._entry_row(entry.circle, entry.day, entry.member, lock=False)
        if row is None:
            row = StandupEntryRow(circle=entry.circle, day=entry.day, member=entry.member, status=entry.status.value)
        row.status = entry.status.value
        for name in _ENTRY_FIELDS:
            setattr(row, name, getattr(entry, name))
        self._session.add(row)
        await self._session.flush()

    async def _entry_row(self, circle: str, day: date, member: str, *, lock: bool) -> StandupEntryRow | None:
        query = select(StandupEntryRow).where(
            StandupEntryRow.circle == circle, StandupEntryRow.day == day, StandupEntryRow.member == member
        )
        return (await self._session.exec(self._locked(query) if lock else query)).first()

    # --- blockers ---------------------------------------------------------------------------------

    async def known_blockers(self, circle: str, day: date, member: str | None = None) -> list[Blocker]:
        query = select(StandupBlockerRow).where(
            StandupBlockerRow.circle == circle,
            or_(
                col(StandupBlockerRow.solved_on).is_(None),
                col(StandupBlockerRow.solved_on) == day,
                col(StandupBlockerRow.last_day) == day,
            ),
        )
        if member is not None:
            query = query.where(StandupBlockerRow.member == member)
        return [_blocker(row) for row in (await self._session.exec(query.order_by(col(StandupBlockerRow.id)))).all()]

    async def blockers_of_day(self, circle: str, day: date) -> list[Blocker]:
        query = select(StandupBlockerRow).where(StandupBlockerRow.circle == circle, StandupBlockerRow.last_day == day)
        return [_blocker(row) for row in (await self._session.exec(query.order_by(col(StandupBlockerRow.id)))).all()]

    async def blockers_between(self, circle: str, first: date, last: date) -> list[Blocker]:
        query = select(StandupBlockerRow).where(
            StandupBlockerRow.circle == circle,
            or_(
                (col(StandupBlockerRow.first_day) >= first) & (col(StandupBlockerRow.first_day) <= last),
                (col(StandupBlockerRow.solved_on) >= first) & (col(StandupBlockerRow.solved_on) <= last),
            ),
        )
        return [_blocker(row) for row in (await self._session.exec(query)).all()]

    async def add_blocker(self, blocker: Blocker) -> Blocker:
        row = StandupBlockerRow(**_blocker_values(blocker))
        self._session.add(row)
        await self._session.flush()
        blocker.id = row.id
        return blocker

    async def save_blocker(self, blocker: Blocker) -> None:
        row = await self._session.get(StandupBlockerRow, blocker.id)
        if row is None:
            raise LookupError(f"no stand-up blocker {blocker.id}")
        for name, value in _blocker_values(blocker).items():
            setattr(row, name, value)
        self._session.add(row)
        await self._session.flush()

    # --- time off ---------------------------------------------------------------------------------

    async def aways(self, circle: str, day: date) -> list[Away]:
        query = select(StandupAwayRow).where(
            StandupAwayRow.circle == circle, col(StandupAwayRow.start_day) <= day, col(StandupAwayRow.end_day) >= day
        )
        return [_away(row) for row in (await self._session.exec(query.order_by(col(StandupAwayRow.id)))).all()]

    async def add_away(self, away: Away) -> Away:
        row = StandupAwayRow(
            circle=away.circle, member=away.member, start_day=away.start, end_day=away.end, reason=away.reason
        )
        self._session.add(row)
        await self._session.flush()
        return Away(away.circle, away.member, away.start, away.end, away.reason, row.id)

    async def end_aways(self, circle: str, member: str, from_day: date) -> int:
        mine = (col(StandupAwayRow.circle) == circle, col(StandupAwayRow.member) == member)
        later = await self._session.exec(select(StandupAwayRow).where(*mine, col(StandupAwayRow.start_day) >= from_day))
        changed = 0
        for row in later.all():
            await self._session.delete(row)
            changed += 1
        result = await self._session.exec(
            update(StandupAwayRow)
            .where(*mine, col(StandupAwayRow.start_day) < from_day, col(StandupAwayRow.end_day) >= from_day)
            .values(end_day=date.fromordinal(from_day.toordinal() - 1))
        )
        await self._session.flush()
        return changed + int(result.rowcount or 0)

    # --- the day's card ---------------------------------------------------------------------------

    async def day_state(self, circle: str, day: date) -> DayState | None:
        query = select(StandupDayRow).where(StandupDayRow.circle == circle, StandupDayRow.day == day)
        row = (await self._session.exec(self._locked(query))).first()
        return DayState(row.circle, row.day, row.posted_at, row.final_at) if row else None

    async def save_day_state(self, state: DayState) -> None:
        row = await self._session.get(StandupDayRow, (state.circle, state.day))
        if row is None:
            row = StandupDayRow(circle=state.circle, day=state.day)
        row.posted_at, row.final_at = state.posted_at, state.final_at
        self._session.add(row)
        await self._session.flush()

    def _locked(self, query: SelectOfScalar[Any]) -> SelectOfScalar[Any]:
        bind = self._session.bind
        return query.with_for_update() if bind is not None and bind.dialect.name == "postgresql" else query


def _entry(row: StandupEntryRow) -> Entry:
    return Entry(
        circle=row.circle,
        day=row.day,
        member=row.member,
        status=EntryStatus(row.status),
        **{name: getattr(row, name) for name in _ENTRY_FIELDS},
    )


def _blocker(row: StandupBlockerRow) -> Blocker:
    return Blocker(
        circle=row.circle,
        member=row.member,
        text=row.text,
        first_day=row.first_day,
        last_day=row.last_day,
        id=row.id,
        solved_on=row.solved_on,
        escalated_on=row.escalated_on,
    )


def _blocker_values(blocker: Blocker) -> dict[str, Any]:
    return {
        "circle": blocker.circle,
        "member": blocker.member,
        "text": blocker.text,
        "first_day": blocker.first_day,
        "last_day": blocker.last_day,
        "solved_on": blocker.solved_on,
        "escalated_on": blocker.escalated_on,
    }


def _away(row: StandupAwayRow) -> Away:
    return Away(row.circle, row.member, row.start_day, row.end_day, row.reason, row.id)
