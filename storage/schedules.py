"""What the schedule planner keeps: how far each schedule is planned per circle, and its runs as timers.

A run of a recurring schedule is a timer row that also names its schedule, circle, catch-up
limit and description, so the planner can find the runs that were missed for too long and
report them once (status SKIPPED) instead of firing them.
"""

from __future__ import annotations

import zlib
from datetime import datetime

from sqlalchemy import Column, text, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.recurring import Occurrence
from storage.timers import CANCELLED, PENDING, SKIPPED, TimerRow
from storage.types import UtcDateTime


class ScheduleWatermarkRow(SQLModel, table=True):
    """Runs of `schedule` for `circle` due before `planned_until` have been armed or reported."""

    __tablename__ = "schedule_watermark"

    schedule: str = Field(primary_key=True, max_length=80)
    circle: str = Field(primary_key=True, max_length=64)
    planned_until: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    planned_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))


async def lock_circle_plan(session: AsyncSession, circle: str) -> None:
    """Serialise planning of one circle across replicas until this transaction ends (PostgreSQL).

    On SQLite the write transaction (BEGIN IMMEDIATE) already serialises writers.
    """
    if session.bind and session.bind.dialect.name == "postgresql":
        key = zlib.crc32(f"circlebot.plan:{circle}".encode())
        await session.exec(text("SELECT pg_advisory_xact_lock(:k)").bindparams(k=key))  # type: ignore[call-overload]


async def watermark(session: AsyncSession, schedule: str, circle: str) -> datetime | None:
    """How far `schedule` is planned for `circle`; None before its first plan."""
    row = await session.get(ScheduleWatermarkRow, (schedule, circle))
    return row.planned_until if row else None


async def move_watermark(session: AsyncSession, schedule: str, circle: str, until: datetime, *, now: datetime) -> None:
    """Record that runs due before `until` are planned; the watermark never moves back."""
    row = await session.get(ScheduleWatermarkRow, (schedule, circle))
    if row is None:
        session.add(ScheduleWatermarkRow(schedule=schedule, circle=circle, planned_until=until, planned_at=now))
    else:
        row.planned_until, row.planned_at = max(row.planned_until, until), now
        session.add(row)
    await session.flush()


async def arm(
    session: AsyncSession, schedule: str, circle: str, run: Occurrence, catch_up_until: datetime, *, now: datetime
) -> bool:
    """Arm `run` as a pending timer; True when it was not armed before (idempotent by key).

    A pending run is brought up to date (a rota edit may change its payload), except that a run
    waiting to retry after a failure keeps its retry time. A fired, failed or skipped run stays so.
    """
    row = (await session.exec(select(TimerRow).where(col(TimerRow.key) == run.key))).first()
    if row is None:
        session.add(
            TimerRow(
                kind=run.kind,
                key=run.key,
                payload=run.payload,
                due_at=run.due_at,
                created_at=now,
                schedule=schedule,
                circle=circle,
                catch_up_until=catch_up_until,
                description=run.description,
            )
        )
        await session.flush()
        return True
    if row.status not in (PENDING, CANCELLED):
        return False
    rearmed = row.status == CANCELLED
    row.kind, row.payload, row.status = run.kind, run.payload, PENDING
    row.schedule, row.circle, row.catch_up_until, row.description = schedule, circle, catch_up_until, run.description
    if row.attempts == 0:
        row.due_at = run.due_at
    session.add(row)
    await session.flush()
    return rearmed


async def skip(session: AsyncSession, schedule: str, circle: str, run: Occurrence, *, now: datetime) -> bool:
    """Record `run` as skipped; True when it was neither done nor reported before."""
    row = (await session.exec(select(TimerRow).where(col(TimerRow.key) == run.key))).first()
    if row is None:
        session.add(
            TimerRow(
                kind=run.kind,
                key=run.key,
                payload=run.payload,
                due_at=run.due_at,
                created_at=now,
                status=SKIPPED,
                schedule=schedule,
                circle=circle,
                catch_up_until=run.catch_up_until,
                description=run.description,
            )
        )
        await session.flush()
        return True
    if row.status != PENDING:
        return False
    row.status = SKIPPED
    session.add(row)
    await session.flush()
    return True


async def skip_expired(session: AsyncSession, schedule: str, circle: str, *, now: datetime) -> list[TimerRow]:
    """Mark SKIPPED the pending runs whose catch-up limit has passed; returns them, oldest first."""
    rows = list(
        (
            await session.exec(
                select(TimerRow)
                .where(
                    col(TimerRow.schedule) == schedule,
                    col(TimerRow.circle) == circle,
                    col(TimerRow.status) == PENDING,
                    col(TimerRow.catch_up_until) < now,
                )
                .order_by(col(TimerRow.due_at), col(TimerRow.id))
            )
        ).all()
    )
    if rows:
        ids = [row.id for row in rows]
        await session.exec(update(TimerRow).where(col(TimerRow.id).in_(ids)).values(status=SKIPPED))
    return rows
