"""INSERT … ON CONFLICT, which SQLAlchemy builds per dialect: the `insert` of the session's database."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession


def dialect_of(session: AsyncSession) -> str:
    """ "postgresql" or "sqlite" (an unbound session is taken for SQLite, the default database)."""
    return session.bind.dialect.name if session.bind else "sqlite"


def insert_for(dialect: str) -> Any:
    """The dialect's `insert`, whose statements have on_conflict_do_nothing/do_update."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def upsert_insert(session: AsyncSession) -> Any:
    """`insert_for` the session's database."""
    return insert_for(dialect_of(session))
