"""The database engine: one async engine for the app, a sync URL for Alembic."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.util import await_
from sqlmodel.ext.asyncio.session import AsyncSession

# How long a SQLite writer waits for the others in this process, as busy_timeout does across processes.
WRITE_WAIT_SECONDS = 30.0
# Execution option marking the engine of read-only sessions (see Database.read_session).
_READ_ONLY = "circlebot_read_only"


def async_url(url: str) -> str:
    """The SQLAlchemy URL for the async drivers we ship (aiosqlite, psycopg 3)."""
    parsed = make_url(_normalise(url))
    driver = "sqlite+aiosqlite" if parsed.get_backend_name() == "sqlite" else "postgresql+psycopg"
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def sync_url(url: str) -> str:
    """The SQLAlchemy URL for synchronous tools (Alembic): sqlite3 or psycopg 3."""
    parsed = make_url(_normalise(url))
    driver = "sqlite" if parsed.get_backend_name() == "sqlite" else "postgresql+psycopg"
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def _normalise(url: str) -> str:
    return "postgresql://" + url.removeprefix("postgres://") if url.startswith("postgres://") else url


class Database:
    """Owns the engine and hands out sessions; SQLite gets WAL and serialised writers.

    On SQLite, `session()` transactions are writers: they queue in arrival order on an in-process
    gate, then BEGIN IMMEDIATE. `read_session()` transactions are deferred snapshots that never
    wait for writers (WAL); they must not write.
    """

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.sync_url = sync_url(url)
        self.dialect = make_url(self.sync_url).get_backend_name()
        options: dict[str, Any] = {"echo": echo}
        if self.dialect == "sqlite":
            _ensure_parent_folder(self.sync_url)
            options["connect_args"] = {"timeout": 30}
        else:
            options.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(async_url(url), **options)
        self.write_gate = WriteGate()
        if self.dialect == "sqlite":
            _configure_sqlite(self.engine, self.write_gate)
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        # Same pool; the option only tells the SQLite "begin" hook not to take the write gate.
        self._read_sessions = async_sessionmaker(
            self.engine.execution_options(**{_READ_ONLY: True}), class_=AsyncSession, expire_on_commit=False
        )

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    def session(self) -> AsyncSession:
        """A new session; the caller commits or it rolls back on close."""
        return self._sessions()

    def read_session(self) -> AsyncSession:
        """A session for reads only: on SQLite it neither waits for nor blocks writers."""
        return self._read_sessions()

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """A raw connection, for work that must outlive a transaction (advisory locks)."""
        async with self.engine.connect() as connection:
            yield connection

    async def dispose(self) -> None:
        await self.engine.dispose()


def _ensure_parent_folder(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


# True while serving an HTTP request (a turn, a webhook) or delivering Teams messages: someone is
# waiting, so these SQLite writes go before background work's (alert ingestion, Jira and GitLab
# bookkeeping, timers), which set nothing. Tasks started from such a task inherit it.
INTERACTIVE_WRITES: ContextVar[bool] = ContextVar("circlebot_interactive_writes", default=False)
# After this many requests' writes in a row while background work waits, one background write goes.
BACKGROUND_SHARE = 4


class WriteGate:
    """A mutex for one process's SQLite writers, entered in the "begin" hook: FIFO within each of
    two queues, what someone waits for first.

    SQLite lets one writer in at a time; the others sleep in its busy handler (up to 100 ms a
    try, in no order), which made the p99 of a turn over a second. Queuing here instead wakes
    each writer as soon as the previous one commits. A request's write (a turn's claim, an alert
    webhook's commit) and the Teams deliveries' bookkeeping go before queued background writes, so
    an alert storm's ingestion adds at most one background transaction to a person's wait;
    after BACKGROUND_SHARE of those in a row a waiting background write goes, so it is never starved.
    Leaving is synchronous so that the dialect's commit/rollback can release it right after the
    real one.
    """

    def __init__(self) -> None:
        self._held = False
        self._holder: object | None = None
        self._waiters: dict[bool, deque[tuple[asyncio.Future[None], object]]] = {True: deque(), False: deque()}
        self._requests_in_a_row = 0

    @property
    def held(self) -> bool:
        return self._held

    def try_enter(self, holder: object) -> bool:
        """Enter at once if nobody is inside (then nobody is queued either); no waiting."""
        if self._held:
            return False
        self._held, self._holder = True, holder
        return True

    async def enter(self, holder: object, max_wait: float = WRITE_WAIT_SECONDS) -> None:
        """Wait for our turn (FIFO); TimeoutError after `max_wait` seconds."""
        if self.try_enter(holder):
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters[INTERACTIVE_WRITES.get()].append((waiter, holder))
        try:
            async with asyncio.timeout(max_wait):
                await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.leave(holder)  # handed the gate just as we gave up: pass it on
            else:
                waiter.cancel()  # leave() skips it
            raise

    def leave(self, holder: object) -> None:
        """Release the gate if `holder` holds it; the next live waiter gets it directly."""
        if not self._held or self._holder is not holder:
            return
        background_due = self._requests_in_a_row >= BACKGROUND_SHARE
        for interactive in (False, True) if background_due else (True, False):
            queue = self._waiters[interactive]
            while queue:
                waiter, next_holder = queue.popleft()
                if not waiter.done():
                    # Ownership passes on (no barging in between): the queues' order holds under load.
                    self._holder = next_holder
                    self._requests_in_a_row = self._requests_in_a_row + 1 if interactive else 0
                    waiter.set_result(None)
                    return
        self._held, self._holder = False, None
        self._requests_in_a_row = 0


def _configure_sqlite(engine: AsyncEngine, gate: WriteGate) -> None:
    # pysqlite's implicit BEGIN is deferred: two readers that both later write deadlock with
    # "database is locked". BEGIN IMMEDIATE takes the write lock up front, so writers queue instead
    # (on our gate first, see WriteGate); read-only sessions keep a deferred BEGIN.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(_READ_ONLY):
            connection.exec_driver_sql("BEGIN")
            return
        holder = connection.connection.dbapi_connection
        if not gate.try_enter(holder):
            try:
                # We run in SQLAlchemy's greenlet on the event loop, so waiting here is an await.
                await_(gate.enter(holder))
            except TimeoutError:
                raise exc.OperationalError(
                    "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked (in-process writers)")
                ) from None
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            gate.leave(holder)
            raise

    _release_after(engine.sync_engine.dialect, gate)


def _release_after(dialect: Dialect, gate: WriteGate) -> None:
    """Leave the gate once the transaction really ended (SQLAlchemy's commit event fires before)."""

    def wrap(operation: Callable[[Any], None]) -> Callable[[Any], None]:
        def run_then_leave(connection: Any) -> None:
            try:
                operation(connection)
            finally:
                # Called with the pool's proxy (commit, rollback) or the raw connection (close).
                raw = connection.dbapi_connection if isinstance(connection, PoolProxiedConnection) else connection
                gate.leave(raw)

        return run_then_leave

    # Every way a connection's transaction can end: commit, rollback (also on return to the
    # pool), and closing or terminating a connection that was still inside one.
    for name in ("do_commit", "do_rollback", "do_close", "do_terminate"):
        setattr(dialect, name, wrap(getattr(dialect, name)))
