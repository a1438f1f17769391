"""Group commit: one write per batch, each caller its own answer, errors to the batch's callers only."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from storage import group_commit
from storage.group_commit import GroupCommit


async def test_what_is_put_while_a_batch_is_written_goes_in_the_next_batch_and_each_gets_its_answer() -> None:
    batches: list[list[int]] = []
    first_batch_written = asyncio.Event()

    async def write(batch: Sequence[int]) -> list[int]:
        batches.append(list(batch))
        if len(batches) == 1:
            await first_batch_written.wait()
        return [n * 10 for n in batch]

    group: GroupCommit[int, int] = GroupCommit(write, name="test")
    first = asyncio.create_task(group.put(1))
    await asyncio.sleep(0)  # the first batch is being written
    rest = [asyncio.create_task(group.put(n)) for n in (2, 3, 4)]
    await asyncio.sleep(0)
    first_batch_written.set()

    assert await first == 10
    assert await asyncio.gather(*rest) == [20, 30, 40]
    assert batches == [[1], [2, 3, 4]]


async def test_a_failed_batch_fails_its_callers_and_the_next_batch_is_written(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(group_commit, "MAX_BATCH", 2)
    batches: list[list[str]] = []

    async def write(batch: Sequence[str]) -> list[str]:
        batches.append(list(batch))
        if "poison" in batch:
            raise OSError("disk I/O error")
        return [item.upper() for item in batch]

    group: GroupCommit[str, str] = GroupCommit(write, name="test")
    outcomes = await asyncio.gather(*(group.put(item) for item in ("a", "poison", "b", "c")), return_exceptions=True)

    assert batches == [["a", "poison"], ["b", "c"]]  # at most MAX_BATCH per write
    assert [type(o) for o in outcomes[:2]] == [OSError, OSError]
    assert outcomes[2:] == ["B", "C"]
    assert await group.put("d") == "D"
