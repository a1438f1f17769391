"""Alert groups in the database: which incident a (circle, group) follows, and its alerts' states."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.alerts.model import AlertGroup, AlertState
from storage.types import UtcDateTime


class AlertGroupRow(SQLModel, table=True):
    __tablename__ = "alert_group"
    # The guarantee behind "one incident per group": two deliveries racing to open the same group
    # cannot both insert, so the loser's transaction fails and its retry finds the winner's row.
    __table_args__ = (UniqueConstraint("circle", "group_hash", name="uq_alert_group_circle_group"),)

    id: int | None = Field(default=None, primary_key=True)
    circle: str = Field(max_length=64)
    # Group keys spell out label sets and may be long; the unique index is on their digest.
    group_hash: str = Field(max_length=64)
    group_key: str = Field(sa_column=Column(Text, nullable=False))
    incident_number: int | None = Field(default=None, foreign_key="incident.number", index=True)
    alerts: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    firing: int = 0
    notifications: int = 0
    first_seen: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    last_seen: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))


def group_hash(group_key: str) -> str:
    return hashlib.sha256(group_key.encode()).hexdigest()


class SqlAlertGroups:
    """Implements domain.alerts.service.AlertGroups on a session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._rows: dict[tuple[str, str], AlertGroupRow] = {}

    async def find(self, circle: str, group_key: str) -> AlertGroup | None:
        """The group, locked for this transaction on PostgreSQL (SQLite has one writer anyway)."""
        query = select(AlertGroupRow).where(
            col(AlertGroupRow.circle) == circle, col(AlertGroupRow.group_hash) == group_hash(group_key)
        )
        if self._session.bind and self._session.bind.dialect.name == "postgresql":
            query = query.with_for_update()
        row = (await self._session.exec(query)).first()
        if row is None:
            return None
        self._rows[(circle, group_key)] = row
        return AlertGroup(
            circle=row.circle,
            group_key=row.group_key,
            first_seen=row.first_seen,
            last_seen=row.last_seen,
            incident_number=row.incident_number,
            alerts={fingerprint: AlertState.from_dict(state) for fingerprint, state in row.alerts.items()},
            notifications=row.notifications,
        )

    async def add(self, group: AlertGroup) -> None:
        row = AlertGroupRow(
            circle=group.circle,
            group_hash=group_hash(group.group_key),
            group_key=group.group_key,
            alerts={},
            first_seen=group.first_seen,
            last_seen=group.last_seen,
        )
        self._rows[(group.circle, group.group_key)] = row
        await self.save(group)

    async def save(self, group: AlertGroup) -> None:
        row = self._rows.get((group.circle, group.group_key))
        if row is None:
            raise LookupError(f"alert group {group.group_key!r} of {group.circle} was not loaded in this transaction")
        row.incident_number = group.incident_number
        row.alerts = {fingerprint: state.to_dict() for fingerprint, state in group.alerts.items()}
        row.firing = len(group.firing)
        row.notifications = group.notifications
        row.last_seen = group.last_seen
        self._session.add(row)
        await self._session.flush()

    async def of_incident(self, incident_number: int) -> list[AlertGroup]:
        """The groups following an incident (usually one)."""
        query = select(AlertGroupRow.circle, AlertGroupRow.group_key).where(
            col(AlertGroupRow.incident_number) == incident_number
        )
        found = []
        for circle, group_key in (await self._session.exec(query)).all():
            group = await self.find(circle, group_key)
            if group is not None:
                found.append(group)
        return found
