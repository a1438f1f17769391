"""Rota overrides and swaps asked for in chat; storage.circles merges them into every loaded rota."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.rota import Layer, Override
from storage.types import UtcDateTime


class RotaOverrideRow(SQLModel, table=True):
    __tablename__ = "rota_override"

    id: int | None = Field(default=None, primary_key=True)
    circle: str = Field(max_length=64, index=True)
    member: str = Field(max_length=64)
    layer: str = Field(max_length=16)
    start_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    end_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    reason: str = Field(default="", max_length=255)
    created_by: str = Field(default="", max_length=64)
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    # Cancelled overrides stay, so the rota's history can still be explained.
    cancelled_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))


class SqlRotaOverrides:
    """Implements domain.oncall.ports.OverrideRepository on a session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, circle: str, override: Override, *, now: datetime) -> int:
        row = RotaOverrideRow(
            circle=circle,
            member=override.member,
            layer=override.layer.value,
            start_at=override.start,
            end_at=override.end,
            reason=override.reason[:255],
            created_by=override.created_by[:64],
            created_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return row.id or 0

    async def upcoming(self, circle: str, now: datetime) -> list[tuple[int, Override]]:
        query = (
            select(RotaOverrideRow)
            .where(
                col(RotaOverrideRow.circle) == circle,
                col(RotaOverrideRow.cancelled_at).is_(None),
                col(RotaOverrideRow.end_at) > now,
            )
            .order_by(col(RotaOverrideRow.id))
        )
        return [(row.id or 0, _override(row)) for row in (await self._session.exec(query)).all()]

    async def cancel(self, override_id: int, *, circle: str, now: datetime) -> Override | None:
        row = await self._session.get(RotaOverrideRow, override_id)
        if row is None or row.circle != circle or row.cancelled_at is not None:
            return None
        row.cancelled_at = now
        self._session.add(row)
        await self._session.flush()
        return _override(row)


async def overrides_by_circle(session: AsyncSession, circles: Iterable[str]) -> dict[str, list[Override]]:
    """Active overrides of each circle, in the order they were made (later ones win)."""
    names = list(circles)
    if not names:
        return {}
    query = (
        select(RotaOverrideRow)
        .where(col(RotaOverrideRow.circle).in_(names), col(RotaOverrideRow.cancelled_at).is_(None))
        .order_by(col(RotaOverrideRow.id))
    )
    result: dict[str, list[Override]] = {}
    for row in (await session.exec(query)).all():
        result.setdefault(row.circle, []).append(_override(row))
    return result


def _override(row: RotaOverrideRow) -> Override:
    return Override(
        member=row.member,
        start=row.start_at,
        end=row.end_at,
        layer=Layer(row.layer),
        reason=row.reason,
        created_by=row.created_by,
    )
