"""Shift handovers as stored: one row per shift change of a layer, with notes and acceptance."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.oncall.handover import Handover, HandoverStatus
from domain.rota import Layer
from storage.types import UtcDateTime


class HandoverRow(SQLModel, table=True):
    __tablename__ = "handover"
    # One handover per shift change, however many timers, replicas or `/handover`s ask for it.
    __table_args__ = (UniqueConstraint("circle", "layer", "shift_start", name="uq_handover_shift"),)

    id: int | None = Field(default=None, primary_key=True)
    circle: str = Field(max_length=64, index=True)
    layer: str = Field(max_length=16)
    shift_start: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    shift_end: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    since: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    outgoing: str | None = Field(default=None, max_length=64)
    incoming: str = Field(max_length=64, index=True)
    status: str = Field(default=HandoverStatus.PENDING.value, max_length=16)
    notes: str = Field(default="", sa_column=Column(Text, nullable=False))
    notes_by: str | None = Field(default=None, max_length=64)
    notes_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    accepted_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    accepted_by: str | None = Field(default=None, max_length=64)
    reminded_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    escalated_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))


_FIELDS = (
    "circle", "shift_start", "shift_end", "since", "outgoing", "incoming", "notes", "notes_by", "notes_at",
    "created_at", "accepted_at", "accepted_by", "reminded_at", "escalated_at",
)  # fmt: skip


class SqlHandovers:
    """Implements domain.oncall.ports.HandoverRepository on a session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, handover: Handover) -> Handover:
        row = HandoverRow(layer=handover.layer.value, status=handover.status.value, **_values(handover))
        self._session.add(row)
        await self._session.flush()
        handover.id = row.id
        return handover

    async def get(self, handover_id: int) -> Handover | None:
        row = await self._session.get(HandoverRow, handover_id)
        return _handover(row) if row else None

    async def find(self, circle: str, layer: Layer, shift_start: datetime) -> Handover | None:
        query = select(HandoverRow).where(
            col(HandoverRow.circle) == circle,
            col(HandoverRow.layer) == layer.value,
            col(HandoverRow.shift_start) == shift_start,
        )
        row = (await self._session.exec(query)).first()
        return _handover(row) if row else None

    async def save(self, handover: Handover) -> None:
        row = await self._session.get(HandoverRow, handover.id) if handover.id else None
        if row is None:
            raise LookupError(f"handover {handover.id} was never added")
        for name, value in _values(handover).items():
            setattr(row, name, value)
        row.status = handover.status.value
        self._session.add(row)
        await self._session.flush()

    async def latest_pending(
        self, circle: str, *, incoming: str | None = None, outgoing: str | None = None
    ) -> Handover | None:
        query = select(HandoverRow).where(
            col(HandoverRow.circle) == circle, col(HandoverRow.status) == HandoverStatus.PENDING.value
        )
        if incoming is not None:
            query = query.where(col(HandoverRow.incoming) == incoming)
        if outgoing is not None:
            query = query.where(col(HandoverRow.outgoing) == outgoing)
        row = (await self._session.exec(query.order_by(col(HandoverRow.id).desc()).limit(1))).first()
        return _handover(row) if row else None


def _values(handover: Handover) -> dict[str, Any]:
    return {name: getattr(handover, name) for name in _FIELDS}


def _handover(row: HandoverRow) -> Handover:
    return Handover(
        id=row.id,
        layer=Layer(row.layer),
        status=HandoverStatus(row.status),
        **{name: getattr(row, name) for name in _FIELDS},
    )
