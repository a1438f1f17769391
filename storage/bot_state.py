"""Dialog and user state in our database: a botbuilder `Storage` with optimistic concurrency."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from botbuilder.core import Storage
from jsonpickle import encode
from jsonpickle.unpickler import Unpickler
from sqlalchemy import JSON, Column, delete, update
from sqlmodel import Field, SQLModel, col, select

from storage.database import Database
from storage.dialect_insert import upsert_insert

ANY_ETAG = "*"


class BotStateRow(SQLModel, table=True):
    __tablename__ = "bot_state"

    # botbuilder keys look like "msteams/conversations/<conversation id>/".
    key: str = Field(primary_key=True, max_length=1024)
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    etag: str = Field(max_length=64)


class EtagConflict(KeyError):
    """Someone else wrote this key since we read it; re-read and retry the turn."""


class DatabaseStorage(Storage):  # type: ignore[misc]
    """ConversationState/UserState storage shared by every replica.

    Contract (botbuilder-core's MemoryStorage): a write carrying the `e_tag` it read fails with
    EtagConflict if the stored item changed since; an `e_tag` of "*" or none at all means last write
    wins. Every write gives the item a new etag, set back on the written object so that saving the
    same state twice in one turn does not conflict with itself.
    """

    def __init__(self, database: Database) -> None:
        self._database = database

    async def read(self, keys: Sequence[str]) -> dict[str, Any]:
        if not keys:
            return {}
        # A read-only snapshot: loading a conversation's state need not queue behind writers.
        async with self._database.read_session() as session:
            rows = (await session.exec(select(BotStateRow).where(col(BotStateRow.key).in_(list(keys))))).all()
        return {row.key: _with_etag(_restore(row.document), row.etag) for row in rows}

    async def write(self, changes: Mapping[str, Any]) -> None:
        if changes is None:
            raise ValueError("changes are required when writing")
        if not changes:
            return
        async with self._database.session() as session:
            etags: dict[str, str] = {}
            for key, item in changes.items():
                expected = _etag_of(item)
                if expected == "":
                    raise ValueError(f"bot state {key!r}: empty e_tag")
                new_etag = uuid.uuid4().hex
                document = _flatten(item)
                if expected is None or expected == ANY_ETAG:
                    await _upsert(session, key, document, new_etag)
                elif not await _replace_if_unchanged(session, key, document, expected, new_etag):
                    raise EtagConflict(f"bot state {key!r} changed since it was read (etag {expected})")
                etags[key] = new_etag
            await session.commit()
        for key, item in changes.items():
            _with_etag(item, etags[key])

    async def delete(self, keys: Sequence[str]) -> None:
        if not keys:
            return
        async with self._database.session() as session:
            await session.exec(delete(BotStateRow).where(col(BotStateRow.key).in_(list(keys))))
            await session.commit()


async def _upsert(session: Any, key: str, document: dict[str, Any], etag: str) -> None:
    statement = (
        upsert_insert(session)(BotStateRow)
        .values(key=key, document=document, etag=etag)
        .on_conflict_do_update(index_elements=["key"], set_={"document": document, "etag": etag})
    )
    await session.exec(statement)


async def _replace_if_unchanged(session: Any, key: str, document: dict[str, Any], expected: str, etag: str) -> bool:
    result = await session.exec(
        update(BotStateRow)
        .where(col(BotStateRow.key) == key, col(BotStateRow.etag) == expected)
        .values(document=document, etag=etag)
    )
    if result.rowcount:
        return True
    if await session.get(BotStateRow, key) is not None:
        return False
    # Not stored yet: like MemoryStorage, an etag on a new item is no conflict. A concurrent first
    # write wins the insert, and then ours is the stale one.
    values = upsert_insert(session)(BotStateRow).values(key=key, document=document, etag=etag)
    # psycopg reports rowcount -1 for INSERT; a returned row is the reliable "inserted".
    statement = values.on_conflict_do_nothing(index_elements=["key"]).returning(col(BotStateRow.key))
    return (await session.exec(statement)).first() is not None


def _flatten(item: Any) -> dict[str, Any]:
    # Dialog state holds botbuilder objects (DialogState, Activity); jsonpickle keeps their classes,
    # as botbuilder's own Blob and Cosmos storages do. The etag lives in its own column.
    document: dict[str, Any] = json.loads(encode(item, make_refs=False, unpicklable=True))
    if isinstance(document, dict):
        document.pop("e_tag", None)
    else:
        document = {"py/value": document}
    return document


def _restore(document: dict[str, Any]) -> Any:
    if set(document) == {"py/value"}:
        document = document["py/value"]
    return Unpickler().restore(document, reset=True)


def _etag_of(item: Any) -> str | None:
    value = item.get("e_tag") if isinstance(item, dict) else getattr(item, "e_tag", None)
    return None if value is None else str(value)


def _with_etag(item: Any, etag: str) -> Any:
    if isinstance(item, dict):
        item["e_tag"] = etag
    elif item is not None and hasattr(item, "__dict__"):
        item.e_tag = etag
    return item
