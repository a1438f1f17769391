"""storage.conversations: references by conversation, user and channel; seen activities pruned."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from domain.clock import FixedClock
from storage import conversations, migrate
from storage.conversations import CHANNEL, PERSONAL, ConversationRecord
from storage.database import Database

CHANNEL_ID = "19:channel-incidents@thread.tacv2"


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    migrate.upgrade(database_url)
    database = Database(database_url)
    yield database
    await database.dispose()


def channel_record(conversation_id: str) -> ConversationRecord:
    return ConversationRecord(
        conversation_id=conversation_id,
        conversation_type=CHANNEL,
        service_url="https://smba.trafficmanager.net/emea/",
        reference={"conversation": {"id": conversation_id}},
        channel_id=CHANNEL_ID,
        team_id="19:team@thread.tacv2",
        tenant_id="tenant-1",
    )


def personal_record(conversation_id: str, user: str, aad: str) -> ConversationRecord:
    return ConversationRecord(
        conversation_id=conversation_id,
        conversation_type=PERSONAL,
        service_url="https://smba.trafficmanager.net/emea/",
        reference={"conversation": {"id": conversation_id}},
        user_teams_id=user,
        user_aad_id=aad,
    )


async def test_saving_again_refreshes_the_reference_but_keeps_the_welcome(db: Database, clock: FixedClock) -> None:
    async with db.session() as session:
        await conversations.save_reference(session, personal_record("a:1", "29:ada", "aad-ada"), now=clock.now())
        assert await conversations.mark_welcomed(session, "a:1", now=clock.now())
        moved = personal_record("a:1", "29:ada", "aad-ada")
        moved = ConversationRecord(**{**moved.__dict__, "service_url": "https://smba.trafficmanager.net/amer/"})
        await conversations.save_reference(session, moved, now=clock.advance(timedelta(minutes=1)))
        await session.commit()

        record = await conversations.get_reference(session, "a:1")
        assert record is not None
        assert record.service_url == "https://smba.trafficmanager.net/amer/"
        assert record.welcomed_at is not None
        assert not await conversations.mark_welcomed(session, "a:1", now=clock.now())


async def test_a_channel_is_found_by_its_root_conversation_before_its_threads(db: Database, clock: FixedClock) -> None:
    async with db.session() as session:
        await conversations.save_reference(session, channel_record(CHANNEL_ID), now=clock.now())
        thread = f"{CHANNEL_ID};messageid=1764000000001"
        await conversations.save_reference(session, channel_record(thread), now=clock.advance(timedelta(minutes=5)))
        await session.commit()

        record = await conversations.channel_conversation(session, CHANNEL_ID)
        assert record is not None and record.conversation_id == CHANNEL_ID
        assert await conversations.channel_conversation(session, "19:unknown@thread.tacv2") is None


async def test_a_personal_chat_lookup_needs_an_id_and_ignores_channels(db: Database, clock: FixedClock) -> None:
    async with db.session() as session:
        await conversations.save_reference(session, personal_record("a:1", "29:ada", "aad-ada"), now=clock.now())
        await conversations.save_reference(session, channel_record(CHANNEL_ID), now=clock.now())
        await session.commit()

        assert await conversations.personal_conversation(session, teams_user_id="29:grace") is None
        found = await conversations.personal_conversation(session, teams_user_id="29:ada", aad_id="aad-ada")
        assert found is not None and found.conversation_id == "a:1"
        with pytest.raises(ValueError, match="teams_user_id or aad_id"):
            await conversations.personal_conversation(session)


async def test_an_activity_is_claimed_once_and_forgotten_after_a_week(db: Database, clock: FixedClock) -> None:
    async with db.session() as session:
        assert await conversations.claim_activity(session, "1764", "a:1", now=clock.now())
        assert not await conversations.claim_activity(session, "1764", "a:1", now=clock.now())
        await session.commit()

        week_later = clock.advance(timedelta(days=7, seconds=1))
        assert await conversations.prune_processed(session, older_than=week_later - timedelta(days=7)) == 1
        assert await conversations.claim_activity(session, "1764", "a:1", now=week_later)
