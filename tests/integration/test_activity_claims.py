"""Claims committed together: each turn learns whether its activity id is new, exactly once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func
from sqlmodel import select

from storage import activity_claims, conversations
from storage.activity_claims import ActivityClaims
from storage.conversations import ProcessedActivityRow
from storage.database import Database

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


async def test_claims_arriving_together_share_one_transaction_and_each_learns_if_it_was_first(
    database: Database,
) -> None:
    claims = ActivityClaims(database)
    assert await claims.claim("seen-before", "19:channel;messageid=1", now=NOW)
    transactions: list[str] = []
    event.listen(database.engine.sync_engine, "commit", lambda _conn: transactions.append("commit"))

    firsts = await asyncio.gather(
        *(claims.claim(f"a{n}", "19:channel;messageid=1", now=NOW) for n in range(20)),
        claims.claim("seen-before", "19:channel;messageid=1", now=NOW),  # a redelivery
        claims.claim("a3", "19:channel;messageid=1", now=NOW),  # the same id twice at once
        claims.claim("a3", "19:channel;messageid=9", now=NOW),  # the same id in another conversation
    )

    assert firsts == [True] * 20 + [False, False, True]
    # The first claim went alone; those that queued behind it went together.
    assert 1 <= len(transactions) <= 2
    async with database.read_session() as session:
        assert (await session.exec(select(func.count()).select_from(ProcessedActivityRow))).one() == 22


async def test_a_failed_claim_transaction_fails_its_turns_and_the_next_claims_still_work(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    claims = ActivityClaims(database)
    write = conversations.claim_activities

    async def database_gone(*_args: object) -> set[tuple[str, str]]:
        raise OSError("disk I/O error")

    monkeypatch.setattr(activity_claims, "claim_activities", database_gone)
    outcomes = await asyncio.gather(
        claims.claim("lost-1", "c", now=NOW), claims.claim("lost-2", "c", now=NOW), return_exceptions=True
    )
    assert [type(outcome) for outcome in outcomes] == [OSError, OSError]  # the turns fail: Teams redelivers

    monkeypatch.setattr(activity_claims, "claim_activities", write)
    assert await claims.claim("lost-1", "c", now=NOW)
    assert not await claims.claim("lost-1", "c", now=NOW)
