"""Group commit: what is put while a batch is being written goes together into the next one.

On SQLite every write transaction waits for the one writer and costs a BEGIN, its statements and a
COMMIT, each a hop to the connection's thread. Work that arrives in bursts and must be committed
before its caller goes on (a turn's activity-id claim, an alert webhook's notification) is written
a batch per transaction instead; each caller still gets its own answer, after the commit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")
K = TypeVar("K", bound=Hashable)

# A batch's rows go in one statement: well within SQLite's 32,766 bound values at a few per row.
MAX_BATCH = 500


class GroupCommit(Generic[T, R]):
    """`await group.put(item)` returns `write(batch)`'s answer for `item`, once the batch is committed.

    `write` gets the items queued since the last batch started (in order, at most MAX_BATCH) and
    returns one answer per item, in the same order. If it raises, every caller of that batch gets
    the error (and may retry: nothing of the batch was committed).
    """

    def __init__(self, write: Callable[[Sequence[T]], Awaitable[Sequence[R]]], name: str) -> None:
        self._write = write
        self._name = name
        self._queued: list[tuple[T, asyncio.Future[R]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def put(self, item: T) -> R:
        answer: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queued.append((item, answer))
        if self._writer is None or self._writer.done():
            # Created from the caller's task: its context (the write gate's priority) carries over.
            self._writer = asyncio.create_task(self._write_queued(), name=self._name)
        return await answer

    async def _write_queued(self) -> None:
        while self._queued:
            batch, self._queued = self._queued[:MAX_BATCH], self._queued[MAX_BATCH:]
            try:
                answers = await self._write([item for item, _ in batch])
            except Exception as error:
                for _, answer in batch:
                    if not answer.done():
                        answer.set_exception(error)
                continue
            for (_, answer), result in zip(batch, answers, strict=True):
                if not answer.done():  # a caller that gave up waiting
                    answer.set_result(result)


def first_of_each(keys: Sequence[K], inserted: set[K]) -> list[bool]:
    """For each item of a batch (by its unique key), whether it was new: a key `inserted` by the
    batch's write counts once, for its first item; the same key again in the batch (a redelivery
    that came at once) and keys already stored are not new."""
    new = []
    remaining = set(inserted)
    for key in keys:
        new.append(key in remaining)
        remaining.discard(key)
    return new
