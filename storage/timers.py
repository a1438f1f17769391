"""Durable timers: SLA deadlines, escalation steps and reminders as rows with a due time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, func, or_, update
from sqlalchemy import select as select_columns  # sqlmodel's select types at most four columns
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialect_insert import upsert_insert
from storage.types import UtcDateTime

PENDING, FIRED, CANCELLED, FAILED = "pending", "fired", "cancelled", "failed"
# A run of a recurring schedule that was missed for longer than its catch-up grace: reported
# to the Team Leader once by the planner (storage.schedules), never fired.
SKIPPED = "skipped"


class TimerRow(SQLModel, table=True):
    __tablename__ = "timer"
    __table_args__ = (
        Index("ix_timer_due", "status", "due_at"),
        Index("ix_timer_schedule", "schedule", "circle", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=80)
    key: str = Field(max_length=255, unique=True)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(default=PENDING, max_length=16)
    due_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    fired_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    # Set on runs of a recurring schedule (adapters/schedule_planner.py): past `catch_up_until`
    # the tick no longer fires the run, and the planner reports it as skipped.
    schedule: str | None = Field(default=None, max_length=80)
    circle: str | None = Field(default=None, max_length=64)
    catch_up_until: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    description: str | None = Field(default=None, sa_column=Column(Text))


@dataclass(frozen=True)
class DueTimer:
    """What a timer handler gets."""

    id: int
    kind: str
    key: str
    payload: dict[str, Any]
    due_at: datetime
    # Failed firings so far: the tick decides retry or give-up without reading the row again.
    attempts: int = 0


class SqlTimers:
    """The TimerScheduler port on a session."""

    def __init__(self, session: AsyncSession, now: datetime) -> None:
        self._session = session
        self._now = now

    async def schedule(self, kind: str, key: str, due_at: datetime, payload: dict[str, Any]) -> bool:
        """Arm the timer `key`, or re-arm it while pending or cancelled; False once it has fired.

        One statement (an upsert), not a lookup and then a write: a declaration arms three.
        """
        statement = upsert_insert(self._session)(TimerRow).values(
            kind=kind, key=key, payload=payload, due_at=due_at, status=PENDING, attempts=0, created_at=self._now
        )
        upsert = statement.on_conflict_do_update(
            index_elements=["key"],
            set_={
                "kind": statement.excluded.kind,
                "payload": statement.excluded.payload,
                "due_at": statement.excluded.due_at,
                "status": PENDING,
            },
            where=col(TimerRow.status).in_([PENDING, CANCELLED]),
        ).returning(col(TimerRow.id))
        return (await self._session.exec(upsert)).first() is not None

    async def cancel(self, key: str) -> bool:
        result = await self._session.exec(
            update(TimerRow).where(col(TimerRow.key) == key, col(TimerRow.status) == PENDING).values(status=CANCELLED)
        )
        return bool(result.rowcount)

    async def get(self, key: str) -> TimerRow | None:
        """The timer named `key`, whatever its status."""
        return (await self._session.exec(select(TimerRow).where(col(TimerRow.key) == key))).first()


def _still_worth_firing(now: datetime) -> Any:
    """A schedule's run whose catch-up grace has passed waits for the planner to report it."""
    return or_(col(TimerRow.catch_up_until).is_(None), col(TimerRow.catch_up_until) >= now)


async def claim_due(session: AsyncSession, *, now: datetime, limit: int) -> list[DueTimer]:
    """Lock up to `limit` due timers, earliest first, for this transaction; other replicas skip them.

    Only the columns a handler gets are read (no ORM rows), in one round trip for the batch.
    """
    query = (
        select_columns(
            col(TimerRow.id),
            col(TimerRow.kind),
            col(TimerRow.key),
            col(TimerRow.payload),
            col(TimerRow.due_at),
            col(TimerRow.attempts),
        )
        .where(col(TimerRow.status) == PENDING, col(TimerRow.due_at) <= now, _still_worth_firing(now))
        .order_by(col(TimerRow.due_at), col(TimerRow.id))
        .limit(limit)
    )
    if session.bind and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = (await session.exec(query)).all()  # type: ignore[call-overload]
    return [
        DueTimer(id=id_ or 0, kind=kind, key=key, payload=payload, due_at=due_at, attempts=attempts)
        for id_, kind, key, payload, due_at, attempts in rows
    ]


async def claim_next_due(session: AsyncSession, *, now: datetime) -> DueTimer | None:
    """Lock the earliest due timer for this transaction; other replicas skip it."""
    claimed = await claim_due(session, now=now, limit=1)
    return claimed[0] if claimed else None


async def mark_fired(session: AsyncSession, timer_id: int, *, now: datetime) -> None:
    await mark_all_fired(session, [timer_id], now=now)


async def mark_all_fired(session: AsyncSession, timer_ids: list[int], *, now: datetime) -> None:
    """Mark a claimed batch fired in one statement."""
    if timer_ids:
        await session.exec(update(TimerRow).where(col(TimerRow.id).in_(timer_ids)).values(status=FIRED, fired_at=now))


async def mark_failed_attempt(session: AsyncSession, timer_id: int, *, error: str, retry_at: datetime | None) -> None:
    """Count a failed firing; move it to `retry_at`, or give up when that is None."""
    values: dict[str, Any] = {"attempts": col(TimerRow.attempts) + 1, "last_error": error[:4000]}
    if retry_at is None:
        values["status"] = FAILED
    else:
        values["due_at"] = retry_at
    await session.exec(update(TimerRow).where(col(TimerRow.id) == timer_id).values(**values))


async def attempts_of(session: AsyncSession, timer_id: int) -> int:
    row = await session.get(TimerRow, timer_id)
    return row.attempts if row else 0


async def oldest_due_at(session: AsyncSession, *, now: datetime) -> datetime | None:
    """The due time of the most overdue pending timer, for the lag metric."""
    return (
        await session.exec(
            select(func.min(col(TimerRow.due_at))).where(
                col(TimerRow.status) == PENDING, col(TimerRow.due_at) <= now, _still_worth_firing(now)
            )
        )
    ).one()
