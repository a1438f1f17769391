"""Teams messages the bot has posted, by outbox key, so a retry updates instead of posting twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.database import Database
from storage.dialect_insert import upsert_insert
from storage.types import UtcDateTime


class SentMessageRow(SQLModel, table=True):
    __tablename__ = "sent_message"

    key: str = Field(primary_key=True, max_length=255)
    # Teams conversation ids of threads and group chats run well past 100 characters.
    conversation_id: str = Field(sa_column=Column(Text, nullable=False))
    activity_id: str = Field(max_length=255)
    thread_conversation_id: str | None = Field(default=None, sa_column=Column(Text))
    sent_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    updated_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))


@dataclass(frozen=True)
class SentMessage:
    """A posted activity: where it lives, its id, and the thread it opened (if it started one)."""

    key: str
    conversation_id: str
    activity_id: str
    thread_conversation_id: str | None
    sent_at: datetime
    updated_at: datetime | None


def _to_sent_message(row: SentMessageRow) -> SentMessage:
    return SentMessage(
        key=row.key,
        conversation_id=row.conversation_id,
        activity_id=row.activity_id,
        thread_conversation_id=row.thread_conversation_id,
        sent_at=row.sent_at,
        updated_at=row.updated_at,
    )


async def lookup(session: AsyncSession, key: str) -> SentMessage | None:
    """The message posted under outbox key `key`, or None if it has not been posted (yet)."""
    row = (await session.exec(select(SentMessageRow).where(SentMessageRow.key == key))).first()
    return _to_sent_message(row) if row else None


async def record(
    session: AsyncSession,
    *,
    key: str,
    conversation_id: str,
    activity_id: str,
    now: datetime,
    thread_conversation_id: str | None = None,
) -> None:
    """Remember a posted activity; recording the same key again keeps the first record."""
    statement = (
        upsert_insert(session)(SentMessageRow)
        .values(
            key=key,
            conversation_id=conversation_id,
            activity_id=activity_id,
            thread_conversation_id=thread_conversation_id,
            sent_at=now,
        )
        .on_conflict_do_nothing(index_elements=["key"])
    )
    await session.exec(statement)


async def mark_updated(session: AsyncSession, key: str, *, now: datetime) -> None:
    """Note that the activity posted under `key` was edited in place."""
    row = await session.get(SentMessageRow, key)
    if row is not None:
        row.updated_at = now
        session.add(row)


class SentMessageStore:
    """Lookups of the sent-message log for delivery handlers, which run outside any unit of work.

    Handlers do not write here themselves: the relay commits their record with the outbox row's
    "delivered" mark (adapters/outbox_relay.Delivered).
    """

    def __init__(self, database: Database) -> None:
        self._database = database

    async def lookup(self, key: str) -> SentMessage | None:
        """The message posted under `key`, or None."""
        # A read session: on SQLite it does not queue behind the writers (the record it looks for
        # was committed by an earlier attempt before that attempt reported success).
        async with self._database.read_session() as session:
            return await lookup(session, key)
