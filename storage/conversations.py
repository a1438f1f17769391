"""Where the bot can reach people: Teams conversation references, and which activities it has seen."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, delete, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import sent_messages
from storage.database import Database
from storage.dialect_insert import dialect_of, insert_for, upsert_insert
from storage.types import UtcDateTime

PERSONAL, GROUP_CHAT, CHANNEL = "personal", "groupChat", "channel"


class ConversationReferenceRow(SQLModel, table=True):
    __tablename__ = "conversation_reference"
    __table_args__ = (
        Index("ix_conversation_reference_user_teams_id", "conversation_type", "user_teams_id"),
        Index("ix_conversation_reference_user_aad_id", "conversation_type", "user_aad_id"),
    )

    # Teams conversation ids of channel threads carry ";messageid=…", so they can be long.
    conversation_id: str = Field(primary_key=True, max_length=1024)
    conversation_type: str = Field(max_length=32)
    channel_id: str | None = Field(default=None, max_length=512, index=True)
    team_id: str | None = Field(default=None, max_length=512)
    tenant_id: str | None = Field(default=None, max_length=128)
    service_url: str = Field(max_length=1024)
    user_teams_id: str | None = Field(default=None, max_length=512)
    user_aad_id: str | None = Field(default=None, max_length=128)
    reference: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    welcomed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))


class ProcessedActivityRow(SQLModel, table=True):
    __tablename__ = "processed_activity"

    activity_id: str = Field(primary_key=True, max_length=512)
    conversation_id: str = Field(primary_key=True, max_length=1024)
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False, index=True))


@dataclass(frozen=True)
class ConversationRecord:
    """A conversation the bot can write to; `reference` is the serialised ConversationReference."""

    conversation_id: str
    conversation_type: str
    service_url: str
    reference: dict[str, Any] = field(hash=False)
    channel_id: str | None = None
    team_id: str | None = None
    tenant_id: str | None = None
    user_teams_id: str | None = None
    user_aad_id: str | None = None
    welcomed_at: datetime | None = None


_REFERENCE_FIELDS = (
    "conversation_type", "channel_id", "team_id", "tenant_id", "service_url", "user_teams_id", "user_aad_id",
    "reference", "updated_at",
)  # fmt: skip


@functools.cache
def _reference_upserts(dialect: str) -> tuple[Any, Any]:
    """A turn's reference write, built once per dialect: (save, save keeping the address).

    Built per call it cost more CPU than the turn's own work (statement construction, the ORM's
    bulk-insert path and cache-key generation); as Core statements on the table, with values
    passed at execution, SQLAlchemy compiles each once and only binds afterwards.
    """
    references = insert_for(dialect)(ConversationReferenceRow.__table__)  # type: ignore[attr-defined]
    save = references.on_conflict_do_update(
        index_elements=["conversation_id"], set_={name: references.excluded[name] for name in _REFERENCE_FIELDS}
    )
    keep_address = references.on_conflict_do_update(
        index_elements=["conversation_id"], set_={"updated_at": references.excluded.updated_at}
    )
    return save, keep_address


async def save_reference(
    session: AsyncSession, record: ConversationRecord, *, now: datetime, move_address: bool = True
) -> None:
    """Insert or refresh the reference for `record.conversation_id`; keeps created_at and welcomed_at.

    With `move_address` False (an unauthenticated turn) a stored conversation keeps its serviceUrl
    and reference: only a new conversation is stored as it came.
    """
    save, keep_address = _reference_upserts(dialect_of(session))
    values = {
        "conversation_id": record.conversation_id,
        "conversation_type": record.conversation_type,
        "channel_id": record.channel_id,
        "team_id": record.team_id,
        "tenant_id": record.tenant_id,
        "service_url": record.service_url,
        "user_teams_id": record.user_teams_id,
        "user_aad_id": record.user_aad_id,
        "reference": record.reference,
        "created_at": now,
        "updated_at": now,
    }
    await session.exec(save if move_address else keep_address, params=values)


async def get_reference(session: AsyncSession, conversation_id: str) -> ConversationRecord | None:
    """The stored reference of one conversation, or None."""
    row = await session.get(ConversationReferenceRow, conversation_id)
    return _record(row) if row else None


async def personal_conversation(
    session: AsyncSession, *, teams_user_id: str | None = None, aad_id: str | None = None
) -> ConversationRecord | None:
    """The 1:1 chat with a user, found by Teams user id or AAD object id (the newest if several)."""
    if not teams_user_id and not aad_id:
        raise ValueError("give teams_user_id or aad_id")
    row_type = col(ConversationReferenceRow.conversation_type)
    query = select(ConversationReferenceRow).where(row_type == PERSONAL)
    if teams_user_id:
        query = query.where(col(ConversationReferenceRow.user_teams_id) == teams_user_id)
    if aad_id:
        query = query.where(col(ConversationReferenceRow.user_aad_id) == aad_id)
    query = query.order_by(col(ConversationReferenceRow.updated_at).desc()).limit(1)
    row = (await session.exec(query)).first()
    return _record(row) if row else None


async def channel_conversation(session: AsyncSession, channel_id: str) -> ConversationRecord | None:
    """A channel's reference: the channel itself if stored, else its most recently active thread."""
    query = (
        select(ConversationReferenceRow)
        .where(col(ConversationReferenceRow.channel_id) == channel_id)
        .order_by(
            col(ConversationReferenceRow.conversation_id) != channel_id,  # the channel root first
            col(ConversationReferenceRow.updated_at).desc(),
        )
        .limit(1)
    )
    row = (await session.exec(query)).first()
    return _record(row) if row else None


async def mark_welcomed(session: AsyncSession, conversation_id: str, *, now: datetime) -> bool:
    """Record that the welcome card went out; False when it already had (so send it only on True)."""
    result = await session.exec(
        update(ConversationReferenceRow)
        .where(
            col(ConversationReferenceRow.conversation_id) == conversation_id,
            col(ConversationReferenceRow.welcomed_at).is_(None),
        )
        .values(welcomed_at=now)
    )
    return bool(result.rowcount)


async def claim_activity(session: AsyncSession, activity_id: str, conversation_id: str, *, now: datetime) -> bool:
    """Remember an incoming activity; False when it was seen before (a redelivery to skip)."""
    return (activity_id, conversation_id) in await claim_activities(session, {(activity_id, conversation_id): now})


async def claim_activities(session: AsyncSession, claims: dict[tuple[str, str], datetime]) -> set[tuple[str, str]]:
    """Remember several incoming activities ((activity id, conversation id) -> when) in one
    statement; returns those seen for the first time (from RETURNING: psycopg reports rowcount -1
    for INSERT)."""
    table = ProcessedActivityRow.__table__  # type: ignore[attr-defined]
    statement = (
        upsert_insert(session)(table)
        .values([{"activity_id": a, "conversation_id": c, "created_at": at} for (a, c), at in claims.items()])
        .on_conflict_do_nothing(index_elements=["activity_id", "conversation_id"])
        .returning(table.c.activity_id, table.c.conversation_id)
    )
    return {(row[0], row[1]) for row in (await session.exec(statement)).all()}


async def prune_processed(session: AsyncSession, *, older_than: datetime) -> int:
    """Forget activities seen before `older_than`; Teams does not redeliver after minutes, let alone days."""
    result = await session.exec(delete(ProcessedActivityRow).where(col(ProcessedActivityRow.created_at) < older_than))
    return int(result.rowcount or 0)


class SqlConversations:
    """Implements domain.ports.ConversationBook, plus the writes the Teams front door makes."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def channel(self, channel_id: str) -> dict[str, Any] | None:
        record = await channel_conversation(self._session, channel_id)
        return record.reference if record else None

    async def personal(self, *, teams_user_id: str | None = None, aad_id: str | None = None) -> dict[str, Any] | None:
        record = await personal_conversation(self._session, teams_user_id=teams_user_id, aad_id=aad_id)
        return record.reference if record else None

    async def was_posted(self, key: str) -> bool:
        return await sent_messages.lookup(self._session, key) is not None

    async def posted_activity_id(self, key: str) -> str | None:
        sent = await sent_messages.lookup(self._session, key)
        return sent.activity_id if sent else None

    async def get(self, conversation_id: str) -> ConversationRecord | None:
        return await get_reference(self._session, conversation_id)

    async def save(self, record: ConversationRecord, *, now: datetime, move_address: bool = True) -> None:
        await save_reference(self._session, record, now=now, move_address=move_address)

    async def mark_welcomed(self, conversation_id: str, *, now: datetime) -> bool:
        return await mark_welcomed(self._session, conversation_id, now=now)

    async def claim_activity(self, activity_id: str, conversation_id: str, *, now: datetime) -> bool:
        return await claim_activity(self._session, activity_id, conversation_id, now=now)

    async def prune_processed(self, *, older_than: datetime) -> int:
        return await prune_processed(self._session, older_than=older_than)


def _record(row: ConversationReferenceRow) -> ConversationRecord:
    return ConversationRecord(
        conversation_id=row.conversation_id,
        conversation_type=row.conversation_type,
        service_url=row.service_url,
        reference=row.reference,
        channel_id=row.channel_id,
        team_id=row.team_id,
        tenant_id=row.tenant_id,
        user_teams_id=row.user_teams_id,
        user_aad_id=row.user_aad_id,
        welcomed_at=row.welcomed_at,
    )


class ChannelAddresses:
    """Channel references for delivery handlers, which run outside any unit of work."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def reference(self, channel_id: str) -> dict[str, Any] | None:
        """The channel's stored reference, or None while circlebot is not installed in its team."""
        async with self._database.read_session() as session:
            record = await channel_conversation(session, channel_id)
            return record.reference if record else None
