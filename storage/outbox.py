"""The transactional outbox: external writes queued in the same transaction as the state change."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import JSON, Column, Index, Text, and_, bindparam, case, func, type_coerce, update
from sqlalchemy.orm import aliased
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialect_insert import dialect_of, insert_for
from storage.types import UtcDateTime

PENDING, DONE, DEAD = "pending", "done", "dead"


class OutboxRow(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=80, index=True)
    idempotency_key: str = Field(max_length=255, unique=True)
    ordering_key: str | None = Field(default=None, max_length=255, index=True)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(default=PENDING, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    lease_owner: str | None = Field(default=None, max_length=80)
    lease_until: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    # What a deferred row waits for besides its time, e.g. "install:<channel id>": the event that
    # ends the wait early wakes the rows by this name (wake_waiting), whatever last_error says.
    waiting_for: str | None = Field(default=None, max_length=600, index=True)
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    delivered_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))


SaveProgress = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class OutboxMessage:
    """What a delivery handler gets: the row's content, never the row itself.

    `progress` is what an earlier attempt recorded with `save_progress` (committed at once, so it
    survives a kill -9): e.g. "a create was sent at 03:00:07", which makes the next attempt look
    for that create before sending another.
    """

    id: int
    kind: str
    payload: dict[str, Any]
    idempotency_key: str
    attempt: int
    progress: dict[str, Any] = field(default_factory=dict)
    ordering_key: str | None = None
    save_progress: SaveProgress | None = field(default=None, compare=False, repr=False)


class SqlOutbox:
    """The OutboxWriter port on a session; rows become visible to relays only on commit."""

    def __init__(self, session: AsyncSession, now: datetime) -> None:
        self._session = session
        self._now = now
        self._rows: list[dict[str, Any]] = []
        self.added = 0
        self.added_kinds: frozenset[str] = frozenset()
        self.added_keys: set[str] = set()  # the idempotency keys of the rows this flush inserted

    def add(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        idempotency_key: str,
        ordering_key: str | None = None,
        not_before: datetime | None = None,
    ) -> None:
        self._rows.append(
            {
                "kind": kind,
                "payload": payload,
                "idempotency_key": idempotency_key,
                "ordering_key": ordering_key,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": not_before or self._now,
                "created_at": self._now,
            }
        )

    async def contains(self, idempotency_key: str) -> bool:
        """True when a row with this key is queued in this transaction or already stored."""
        if any(row["idempotency_key"] == idempotency_key for row in self._rows):
            return True
        query = select(col(OutboxRow.id)).where(OutboxRow.idempotency_key == idempotency_key)
        return (await self._session.exec(query)).first() is not None

    async def outstanding(self, ordering_key: str) -> Literal["pending", "dead"] | None:
        """ "dead" when a stored row of this ordering key is dead, "pending" when one waits (queued here
        or stored), None when every write of that key was delivered."""
        stored = await outstanding(self._session, ordering_key)
        if stored is None and any(row["ordering_key"] == ordering_key for row in self._rows):
            return "pending"
        return stored

    async def flush(self) -> None:
        """Insert queued rows; a repeated idempotency key keeps the row already there."""
        rows, self._rows = self._rows, []
        statement = _insert_row(dialect_of(self._session))
        for row in rows:
            # Count inserted rows from RETURNING: psycopg reports rowcount -1 for INSERT.
            if (await self._session.exec(statement, params=row)).first() is not None:
                self.added += 1
                self.added_kinds |= {row["kind"]}
                self.added_keys.add(row["idempotency_key"])


@functools.cache
def _insert_row(dialect: str) -> Any:
    """INSERT … ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, built once per dialect:
    built per row, the statement cost more CPU than the insert."""
    table = OutboxRow.__table__  # type: ignore[attr-defined]
    return insert_for(dialect)(table).on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(table.c.id)


async def outstanding(session: AsyncSession, ordering_key: str) -> Literal["pending", "dead"] | None:
    """DEAD when a row of this ordering key is dead, PENDING when one still waits, None when all were delivered."""
    query = select(col(OutboxRow.status)).where(
        OutboxRow.ordering_key == ordering_key, col(OutboxRow.status).in_((PENDING, DEAD))
    )
    statuses = set((await session.exec(query)).all())
    return "dead" if DEAD in statuses else "pending" if PENDING in statuses else None


async def any_due(
    session: AsyncSession,
    *,
    now: datetime,
    kinds: Sequence[str] | None = None,
    exclude_kinds: Sequence[str] = (),
) -> bool:
    """Whether `claim_due` with these filters could lease anything now (a cheap read, no lock).

    It ignores the ordering-key rule, so it may say yes where the claim then finds nothing; never no
    where the claim would find something committed before this read.
    """
    lease_free = (col(OutboxRow.lease_until).is_(None)) | (col(OutboxRow.lease_until) <= now)
    query = select(col(OutboxRow.id)).where(
        col(OutboxRow.status) == PENDING, col(OutboxRow.next_attempt_at) <= now, lease_free
    )
    if kinds is not None:
        query = query.where(col(OutboxRow.kind).in_(list(kinds)))
    if exclude_kinds:
        query = query.where(col(OutboxRow.kind).not_in(list(exclude_kinds)))
    return (await session.exec(query.limit(1))).first() is not None


async def claim_due(
    session: AsyncSession,
    *,
    now: datetime,
    lease_until: datetime,
    owner: str,
    limit: int,
    kinds: Sequence[str] | None = None,
    exclude_kinds: Sequence[str] = (),
) -> list[OutboxMessage]:
    """Lease up to `limit` due rows (at most one per ordering key) and count the attempt.

    `kinds` / `exclude_kinds` restrict the claim to one delivery lane's rows.
    """
    earlier = aliased(OutboxRow)
    blocked_by_earlier = (
        select(col(earlier.id))
        .where(
            col(earlier.ordering_key) == col(OutboxRow.ordering_key),
            col(earlier.status) == PENDING,
            col(earlier.id) < col(OutboxRow.id),
        )
        .exists()
    )
    lease_free = (col(OutboxRow.lease_until).is_(None)) | (col(OutboxRow.lease_until) <= now)
    query = (
        select(col(OutboxRow.id))
        .where(col(OutboxRow.status) == PENDING, col(OutboxRow.next_attempt_at) <= now, lease_free)
        .where((col(OutboxRow.ordering_key).is_(None)) | ~blocked_by_earlier)
        .order_by(col(OutboxRow.id))
        .limit(limit)
    )
    if kinds is not None:
        query = query.where(col(OutboxRow.kind).in_(list(kinds)))
    if exclude_kinds:
        query = query.where(col(OutboxRow.kind).not_in(list(exclude_kinds)))
    if session.bind and session.bind.dialect.name == "postgresql":
        # Two relays on two replicas must never lease the same row.
        query = query.with_for_update(skip_locked=True, of=OutboxRow)
    ids = list((await session.exec(query)).all())
    if not ids:
        return []
    await session.exec(
        update(OutboxRow)
        .where(col(OutboxRow.id).in_(ids))
        .values(lease_owner=owner, lease_until=lease_until, attempts=col(OutboxRow.attempts) + 1)
    )
    rows = (await session.exec(select(OutboxRow).where(col(OutboxRow.id).in_(ids)).order_by(col(OutboxRow.id)))).all()
    return [
        OutboxMessage(
            id=row.id or 0,
            kind=row.kind,
            payload=row.payload,
            idempotency_key=row.idempotency_key,
            attempt=row.attempts,
            # While a row is pending its result column holds the progress of earlier attempts.
            progress=dict(row.result or {}),
            ordering_key=row.ordering_key,
        )
        for row in rows
    ]


async def save_progress(session: AsyncSession, row_id: int, *, owner: str, progress: dict[str, Any]) -> bool:
    """Record an attempt's progress on a row this relay still leases; False when the lease is lost."""
    result = await session.exec(
        update(OutboxRow)
        .where(col(OutboxRow.id) == row_id, col(OutboxRow.status) == PENDING, col(OutboxRow.lease_owner) == owner)
        .values(result=progress)
    )
    return bool(result.rowcount)


async def wake_waiting(session: AsyncSession, *, waiting_for: str, now: datetime) -> int:
    """Make the pending rows last deferred waiting for `waiting_for` due now; returns how many."""
    result = await session.exec(
        update(OutboxRow)
        .where(
            col(OutboxRow.status) == PENDING,
            col(OutboxRow.waiting_for) == waiting_for,
            col(OutboxRow.next_attempt_at) > now,
        )
        .values(next_attempt_at=now)
    )
    return int(result.rowcount or 0)


async def mark_all_delivered(
    session: AsyncSession, delivered: Sequence[tuple[int, dict[str, Any] | None]], *, now: datetime
) -> None:
    """Mark rows (id, result) done in one executemany statement."""
    if not delivered:
        return
    statement = (
        update(OutboxRow)
        .where(and_(col(OutboxRow.id) == bindparam("row_id"), col(OutboxRow.status) == PENDING))
        .values(
            status=DONE,
            delivered_at=now,
            result=bindparam("row_result", type_=JSON),
            lease_owner=None,
            lease_until=None,
            last_error=None,
            waiting_for=None,
        )
    )
    connection = await session.connection()
    await connection.execute(statement, [{"row_id": row_id, "row_result": result} for row_id, result in delivered])


async def mark_failed(
    session: AsyncSession,
    row_id: int,
    *,
    error: str,
    retry_at: datetime | None,
    refund_attempt: bool = False,
    waiting_for: str | None = None,
) -> None:
    """Schedule another try at `retry_at`, or park the row as dead when it is None.

    `refund_attempt`: the try was a wait (e.g. for a peer's search to catch up), not a failure,
    so it does not count towards the row's attempts. `waiting_for`: what wakes it before `retry_at`
    (see wake_waiting); any other outcome clears it.
    """
    values: dict[str, Any] = {
        "last_error": error[:4000],
        "waiting_for": waiting_for,
        "lease_owner": None,
        "lease_until": None,
    }
    if refund_attempt:
        values["attempts"] = col(OutboxRow.attempts) - 1
    if retry_at is None:
        values["status"] = DEAD
    else:
        values["next_attempt_at"] = retry_at
    await session.exec(update(OutboxRow).where(col(OutboxRow.id) == row_id).values(**values))


async def revive(session: AsyncSession, row_id: int, *, now: datetime) -> bool:
    """Give a dead row a fresh set of attempts; False when no dead row has that id."""
    result = await session.exec(
        update(OutboxRow)
        .where(col(OutboxRow.id) == row_id, col(OutboxRow.status) == DEAD)
        .values(status=PENDING, attempts=0, next_attempt_at=now, last_error=None)
    )
    return bool(result.rowcount)


async def list_rows(session: AsyncSession, *, status: str | None = None, limit: int = 50) -> list[OutboxRow]:
    """Newest rows first, optionally of one status."""
    query = select(OutboxRow).order_by(col(OutboxRow.id).desc()).limit(limit)
    if status:
        query = query.where(col(OutboxRow.status) == status)
    return list((await session.exec(query)).all())


@dataclass(frozen=True)
class OutboxStats:
    pending: int
    dead: int
    oldest_pending_at: datetime | None


async def stats(session: AsyncSession) -> OutboxStats:
    pending, oldest = (
        await session.exec(
            select(func.count(), func.min(col(OutboxRow.created_at))).where(col(OutboxRow.status) == PENDING)
        )
    ).one()
    dead = (await session.exec(select(func.count()).where(col(OutboxRow.status) == DEAD))).one()
    return OutboxStats(pending=int(pending), dead=int(dead), oldest_pending_at=oldest)


@dataclass(frozen=True)
class KindStats:
    kind: str
    pending: int
    dead: int
    oldest_pending_at: datetime | None


async def stats_by_kind(session: AsyncSession) -> list[KindStats]:
    """Pending and dead rows per kind, with the oldest pending row's age: the relay lanes' health."""
    pending = func.sum(case((col(OutboxRow.status) == PENDING, 1), else_=0))
    dead = func.sum(case((col(OutboxRow.status) == DEAD, 1), else_=0))
    # type_coerce: MIN over a CASE loses the column's type, and SQLite would hand back a string.
    oldest = type_coerce(
        func.min(case((col(OutboxRow.status) == PENDING, col(OutboxRow.created_at)), else_=None)), UtcDateTime()
    )
    query = (
        select(col(OutboxRow.kind), pending, dead, oldest)
        .where(col(OutboxRow.status).in_([PENDING, DEAD]))
        .group_by(col(OutboxRow.kind))
    )
    rows = (await session.exec(query)).all()
    return [KindStats(kind, int(p or 0), int(d or 0), o) for kind, p, d, o in rows]
