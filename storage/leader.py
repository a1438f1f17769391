"""Leader election for scheduled jobs: a PostgreSQL advisory lock, held on its own connection."""

from __future__ import annotations

import logging
import zlib

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from storage.database import Database, async_url

log = logging.getLogger(__name__)

# A stable 32-bit key so every replica contends for the same lock.
SCHEDULER_LOCK_KEY = zlib.crc32(b"circlebot.scheduler")


class LeaderElection:
    """Exactly one holder among processes sharing a PostgreSQL database.

    The lock lives as long as its session: if the leader dies, PostgreSQL drops the connection
    and the lock with it, and the next `try_lead()` elsewhere wins. SQLite is one process by
    design, so there the single process always leads.
    """

    def __init__(self, database: Database, key: int = SCHEDULER_LOCK_KEY) -> None:
        self._database = database
        self._key = key
        self._connection: AsyncConnection | None = None
        self._engine: AsyncEngine | None = None
        self.is_leader = not database.is_postgres

    def _lock_engine(self) -> AsyncEngine:
        # Not pooled: a session-level lock on a pooled connection would survive our "close".
        if self._engine is None:
            self._engine = create_async_engine(async_url(self._database.url), poolclass=NullPool)
        return self._engine

    async def try_lead(self) -> bool:
        """Take or confirm leadership; False if another process holds it."""
        if not self._database.is_postgres:
            return True
        if self._connection is not None:
            try:
                await self._connection.execute(text("SELECT 1"))
                return True
            except Exception:
                log.warning("lost the leader connection; stepping down")
                await self._drop_connection()
        connection = await self._lock_engine().connect()
        try:
            got = (await connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key})).scalar()
            await connection.commit()
        except Exception:
            await connection.close()
            raise
        if got:
            self._connection = connection
            if not self.is_leader:
                log.info("this process now leads scheduled jobs")
            self.is_leader = True
        else:
            await connection.close()
            self.is_leader = False
        return self.is_leader

    async def step_down(self) -> None:
        """Release leadership so another process can take it."""
        if self._connection is not None:
            try:
                await self._connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
                await self._connection.commit()
            finally:
                await self._drop_connection()
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
        self.is_leader = not self._database.is_postgres

    async def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        self.is_leader = False
        if connection is not None:
            try:
                await connection.close()
            except Exception:
                log.debug("closing a broken leader connection failed", exc_info=True)
