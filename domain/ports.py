"""The ports the use cases talk to. Storage and adapters implement them; tests use fakes."""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import Any, Protocol


class OutboxWriter(Protocol):
    def add(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        idempotency_key: str,
        ordering_key: str | None = None,
        not_before: datetime | None = None,
    ) -> None:
        """Queue an external write in the current transaction.

        `idempotency_key` is unique: queueing the same key twice keeps the first row.
        Rows with the same `ordering_key` are delivered one at a time, oldest first.
        """
        ...


class TimerScheduler(Protocol):
    async def schedule(self, kind: str, key: str, due_at: datetime, payload: dict[str, Any]) -> bool:
        """Arm (or move) the pending timer `key`; False when it has already fired."""
        ...

    async def cancel(self, key: str) -> bool:
        """Disarm the pending timer `key`; False when there was none."""
        ...


class UnitOfWork(Protocol):
    """One transaction: everything written through it commits together or not at all."""

    outbox: OutboxWriter
    timers: TimerScheduler

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...
