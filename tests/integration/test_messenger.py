"""Proactive Teams messages through the outbox, against a local connector that throttles and fails."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import create_engine
from sqlmodel import select

import storage.tables
from adapters.outbox_relay import Delivered, OutboxRelay
from bot.bot_connector import BotConnector
from bot.cards import CARD_CONTENT_TYPE, text_card
from bot.conversation_target import ConversationTarget
from bot.messenger import Messenger
from bot.rate_limit import Rate, TeamsRateLimiter
from bot.teams_delivery import (
    AWAIT_INSTALL_EVERY,
    TeamsDelivery,
    build_teams_delivery,
    installation_in,
    register_teams_handlers,
)
from bot.teams_notifier import TeamsNotifier
from domain.clock import FixedClock
from domain.retry_policy import RetryPolicy
from storage import conversations, sent_messages
from storage.conversations import ChannelAddresses
from storage.database import Database
from storage.outbox import DEAD, DONE, PENDING, OutboxMessage, OutboxRow
from storage.sent_messages import SentMessageStore
from storage.unit_of_work import UnitOfWorkFactory
from tests.support.throttling_connector import ThrottlingConnector

CHANNEL = "19:payments-circle@thread.tacv2"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    url = f"sqlite:///{tmp_path / 'circlebot.db'}"
    engine = create_engine(url)
    storage.tables.metadata.create_all(engine)
    engine.dispose()
    db = Database(url)
    yield db
    await db.dispose()


@pytest.fixture
async def teams() -> AsyncIterator[ThrottlingConnector]:
    connector = ThrottlingConnector()
    await connector.start()
    yield connector
    await connector.close()


@dataclass
class Bot:
    """The pieces a feature sees (messenger, units of work) and the ones that deliver (relay)."""

    database: Database
    clock: FixedClock
    uow: UnitOfWorkFactory
    relay: OutboxRelay
    delivery: TeamsDelivery
    messenger: Messenger
    channel: ConversationTarget

    async def send(self, text: str, key: str, **options: Any) -> None:
        async with self.uow() as uow:
            self.messenger.send(uow, conversation=self.channel, activity={"text": text}, key=key, **options)
            await uow.commit()

    async def drain(self) -> int:
        return await self.relay.drain()

    async def outbox(self) -> list[OutboxRow]:
        async with self.database.session() as session:
            return list((await session.exec(select(OutboxRow).order_by(OutboxRow.id))).all())  # type: ignore[arg-type]

    async def lookup(self, key: str) -> sent_messages.SentMessage | None:
        async with self.database.session() as session:
            return await sent_messages.lookup(session, key)


@pytest.fixture
async def bot(database: Database, clock: FixedClock, teams: ThrottlingConnector) -> AsyncIterator[Bot]:
    delivery = build_teams_delivery(
        database,
        clock,
        app_id="",
        app_password="",
        limiter=TeamsRateLimiter(),
        # A short read timeout makes the "answer never comes" case quick to reach.
        timeout=aiohttp.ClientTimeout(sock_connect=1.0, sock_read=0.5),
    )
    # Tiny backoff, so that whatever delay a test sees is the connector's Retry-After.
    policy = RetryPolicy(max_attempts=5, base=timedelta(milliseconds=10))
    relay = OutboxRelay(database, {}, clock, policy=policy, delivery_timeout=timedelta(seconds=5))
    register_teams_handlers(relay, delivery)
    channel = ConversationTarget.from_dict(
        {
            "serviceUrl": teams.url,
            "channelId": "msteams",
            "conversation": {
                "id": CHANNEL,
                "tenantId": TENANT,
                "isGroup": True,
                "conversationType": "channel",
            },
            "bot": {"id": "28:circlebot", "name": "circlebot"},
        }
    )
    yield Bot(database, clock, UnitOfWorkFactory(database, clock), relay, delivery, Messenger(), channel)
    await delivery.close()


async def test_a_message_is_posted_once_and_its_activity_id_kept_for_later_updates(
    bot: Bot, teams: ThrottlingConnector
) -> None:
    await bot.send("INC-42 declared: payments API 500s", key="teams:INC-42:declared")
    await bot.send("INC-42 declared: payments API 500s", key="teams:INC-42:declared")  # same key: kept once

    assert await bot.drain() == 1

    assert teams.texts(CHANNEL) == ["INC-42 declared: payments API 500s"]
    posted = teams.conversations[CHANNEL][0]
    assert posted.activity["from"] == {"id": "28:circlebot", "name": "circlebot"}
    recorded = await bot.lookup("teams:INC-42:declared")
    assert recorded is not None and recorded.activity_id == posted.activity_id
    assert [row.status for row in await bot.outbox()] == [DONE]


async def test_a_message_in_a_rolled_back_unit_of_work_is_never_posted(bot: Bot, teams: ThrottlingConnector) -> None:
    async with bot.uow() as uow:
        bot.messenger.send(uow, conversation=bot.channel, activity="never", key="teams:rolled-back")
        # no commit

    assert await bot.drain() == 0
    assert teams.conversations == {}


async def test_a_throttled_message_waits_for_retry_after_and_arrives_exactly_once(
    bot: Bot, teams: ThrottlingConnector
) -> None:
    teams.throttle(2, retry_after="1")
    await bot.send("INC-7 escalated to secondary", key="teams:INC-7:escalated")

    await bot.drain()  # 429
    [row] = await bot.outbox()
    assert row.status == PENDING and row.next_attempt_at == bot.clock.now() + timedelta(seconds=1)
    assert await bot.drain() == 0  # not due before Retry-After

    bot.clock.advance(timedelta(seconds=1))
    await bot.drain()  # 429 again
    bot.clock.advance(timedelta(seconds=1))
    await bot.drain()

    assert teams.texts(CHANNEL) == ["INC-7 escalated to secondary"]
    assert [status for _, _, status in teams.requests] == [429, 429, 201]
    assert [row.status for row in await bot.outbox()] == [DONE]


async def test_an_http_date_retry_after_is_honoured_too(bot: Bot, teams: ThrottlingConnector) -> None:
    teams.throttle(1, retry_after="Fri, 27 Nov 2026 03:00:30 GMT")  # the fixed clock reads 03:00:00
    await bot.send("standup summary", key="teams:standup:2026-11-27")

    await bot.drain()

    [row] = await bot.outbox()
    assert row.next_attempt_at == bot.clock.now() + timedelta(seconds=30)


async def test_service_unavailable_is_retried(bot: Bot, teams: ThrottlingConnector) -> None:
    teams.fail(1, status=503)
    teams.fail(1, status=502)
    await bot.send("handover: Alice → Bob", key="teams:handover:42")

    for _ in range(3):
        await bot.drain()
        bot.clock.advance(timedelta(seconds=1))

    assert teams.texts(CHANNEL) == ["handover: Alice → Bob"]
    assert [status for _, _, status in teams.requests] == [503, 502, 201]


async def test_a_conversation_the_bot_was_removed_from_is_given_up_at_once_with_the_reason(
    bot: Bot, teams: ThrottlingConnector
) -> None:
    teams.fail(1, status=403)
    await bot.send("hello?", key="teams:removed")

    await bot.drain()

    [row] = await bot.outbox()
    assert row.status == DEAD
    assert row.last_error is not None and "403" in row.last_error and "removed" in row.last_error


async def test_a_retry_after_the_activity_id_was_recorded_posts_nothing_new(
    bot: Bot, teams: ThrottlingConnector
) -> None:
    # A second attempt at a row already delivered: a relay whose lease ran out while the first
    # one was committing, or `circlebot outbox retry` of a delivered row.
    await bot.send("INC-9 acknowledged by Alice", key="teams:INC-9:ack")
    [row] = await bot.outbox()
    message = OutboxMessage(row.id or 0, row.kind, row.payload, row.idempotency_key, attempt=1)

    first = await bot.delivery.deliver_send(message)
    assert isinstance(first, Delivered)
    async with bot.database.session() as session:  # what the relay commits with the row's done mark
        await first.record(session)
        await session.commit()
    again = await bot.delivery.deliver_send(message)

    assert again == {**(first.result or {}), "already_posted": True}
    assert teams.texts(CHANNEL) == ["INC-9 acknowledged by Alice"]


async def test_the_activity_id_is_kept_in_the_same_commit_that_marks_the_row_delivered(
    bot: Bot, teams: ThrottlingConnector
) -> None:
    await bot.send("INC-10 resolved", key="teams:INC-10:resolved")

    await bot.drain()

    [row] = await bot.outbox()
    recorded = await bot.lookup("teams:INC-10:resolved")
    assert row.status == DONE and recorded is not None
    assert recorded.activity_id == teams.conversations[CHANNEL][0].activity_id == (row.result or {})["activity_id"]


async def test_a_send_whose_answer_is_lost_is_posted_again_rather_than_lost(
    bot: Bot, teams: ThrottlingConnector
) -> None:
    # Teams posted it but the answer never came: we cannot tell, and a lost page is worse
    # than a doubled one (see bot/teams_delivery.py). This pins down that choice.
    teams.hang_after_posting()
    await bot.send("INC-11 P1: checkout down", key="teams:INC-11:declared")

    await bot.drain()
    [row] = await bot.outbox()
    assert row.status == PENDING and row.last_error is not None and "outcome unknown" in row.last_error
    bot.clock.advance(timedelta(seconds=1))
    await bot.drain()

    assert teams.texts(CHANNEL) == ["INC-11 P1: checkout down"] * 2
    recorded = await bot.lookup("teams:INC-11:declared")
    assert recorded is not None and recorded.activity_id == teams.conversations[CHANNEL][1].activity_id


async def test_an_update_replaces_the_posted_card_in_place(bot: Bot, teams: ThrottlingConnector) -> None:
    card = {"contentType": CARD_CONTENT_TYPE, "content": text_card("INC-5 open")}
    async with bot.uow() as uow:
        bot.messenger.send(
            uow,
            conversation=bot.channel,
            activity={"text": "INC-5 open", "attachments": [card]},
            key="teams:INC-5",
        )
        # Same transaction: the update still goes after the send, on the conversation's ordering key.
        bot.messenger.update(uow, target=bot.channel, key_of_original="teams:INC-5", activity={"text": "INC-5 acked"})
        await uow.commit()
    async with bot.uow() as uow:
        bot.messenger.update(uow, target=bot.channel, key_of_original="teams:INC-5", activity="INC-5 resolved")
        await uow.commit()

    await bot.drain()

    [posted] = teams.conversations[CHANNEL]
    assert posted.activity["text"] == "INC-5 resolved" and posted.activity["id"] == posted.activity_id
    assert posted.updates == 2
    assert [method for method, _, _ in teams.requests] == ["POST", "PUT", "PUT"]
    recorded = await bot.lookup("teams:INC-5")
    assert recorded is not None and recorded.updated_at == bot.clock.now()


async def test_a_thread_is_started_once_and_replies_follow_it_in_order_even_through_throttling(
    bot: Bot, teams: ThrottlingConnector
) -> None:
    async with bot.uow() as uow:
        bot.messenger.start_thread(uow, channel_target=bot.channel, activity="INC-77 P2 declared", key="teams:INC-77")
        await uow.commit()
    async with bot.uow() as uow:
        for step in ("investigating", "mitigated", "resolved"):
            bot.messenger.send(
                uow,
                conversation=bot.channel,
                activity=step,
                key=f"teams:INC-77:{step}",
                in_thread="teams:INC-77",
            )
        await uow.commit()
    teams.answer_normally(2)  # the thread and the first reply go through…
    teams.throttle(1)  # …then "mitigated" is throttled: "resolved" must not overtake it

    for _ in range(4):
        await bot.drain()
        bot.clock.advance(timedelta(seconds=1))

    thread = await bot.lookup("teams:INC-77")
    assert thread is not None and thread.thread_conversation_id == f"{CHANNEL};messageid={thread.activity_id}"
    assert teams.threads_created == 1
    assert teams.texts(thread.thread_conversation_id) == [
        "INC-77 P2 declared",
        "investigating",
        "mitigated",
        "resolved",
    ]
    assert CHANNEL not in teams.conversations  # nothing went to the channel's top level
    assert {row.status for row in await bot.outbox()} == {DONE}


async def test_a_reply_to_a_thread_not_started_yet_waits_for_it(bot: Bot, teams: ThrottlingConnector) -> None:
    await bot.send("orphan", key="teams:orphan", in_thread="teams:no-such-thread")

    await bot.drain()

    [row] = await bot.outbox()
    assert row.status == PENDING and "has not been started yet" in (row.last_error or "")
    assert teams.conversations == {}


async def test_a_burst_of_20_messages_to_one_thread_arrives_in_order_never_more_than_7_in_a_second(
    bot: Bot, teams: ThrottlingConnector
) -> None:
    async with bot.uow() as uow:
        for n in range(20):
            bot.messenger.send(uow, conversation=bot.channel, activity=f"update {n}", key=f"teams:burst:{n}")
        await uow.commit()

    await bot.drain()  # real monotonic time: the limiter makes this take about two seconds

    assert teams.texts(CHANNEL) == [f"update {n}" for n in range(20)]
    arrivals = [posted.received_at for posted in teams.conversations[CHANNEL]]
    busiest = max(sum(1 for t in arrivals if start <= t < start + 1.0) for start in arrivals)
    assert busiest <= 7


class RotatingTokens:
    """Hands out a token Teams has already revoked until asked for a fresh one."""

    def __init__(self) -> None:
        self.refreshes = 0

    async def token(self, *, refresh: bool = False) -> str | None:
        self.refreshes += refresh
        return f"token-{self.refreshes}"


async def test_a_rejected_token_is_refreshed_once_and_the_message_still_arrives_once(
    database: Database, clock: FixedClock, teams: ThrottlingConnector, bot: Bot
) -> None:
    tokens = RotatingTokens()
    delivery = TeamsDelivery(
        BotConnector(tokens, clock), SentMessageStore(database), TeamsRateLimiter(), clock, ChannelAddresses(database)
    )
    register_teams_handlers(bot.relay, delivery)
    teams.fail(1, status=401)
    await bot.send("INC-3 assigned to Bob", key="teams:INC-3:assigned")

    await bot.drain()
    await delivery.close()

    assert teams.texts(CHANNEL) == ["INC-3 assigned to Bob"]
    assert teams.authorizations == ["Bearer token-0", "Bearer token-1"]
    assert tokens.refreshes == 1


async def test_a_post_to_a_channel_circlebot_is_not_installed_in_yet_waits_and_goes_once_it_is(
    bot: Bot, teams: ThrottlingConnector
) -> None:
    # A shift change caught up at the very first start-up, before anyone installed the app.
    notifier = TeamsNotifier(bot.messenger, bot.clock)
    async with bot.uow() as uow:
        channel = await notifier.channel(uow, CHANNEL)
        notifier.start_thread(uow, channel, {"text": "Handover: Bob is on call"}, "teams:handover:1")
        notifier.send(
            uow, channel, {"text": "Bob, you are on call"}, "teams:handover:1:reply", in_thread="teams:handover:1"
        )
        await uow.commit()

    for _ in range(3):  # an hour of looking for the address uses up none of the rows' attempts
        await bot.drain()
        bot.clock.advance(timedelta(minutes=20))
    first = (await bot.outbox())[0]
    assert first.status == PENDING and first.attempts == 0 and teams.threads_created == 0
    assert "not installed in the team of channel" in (first.last_error or "")
    assert first.waiting_for == installation_in(CHANNEL)  # what the installation's first post wakes

    async with bot.uow() as uow:  # the app is installed: Teams sends conversationUpdate, we keep its address
        reference = {**bot.channel.to_dict(), "conversation": {"id": CHANNEL, "tenantId": TENANT, "isGroup": True,
                                                                "conversationType": "channel"}}  # fmt: skip
        record = conversations.ConversationRecord(CHANNEL, conversations.CHANNEL, teams.url, reference,
                                                  channel_id=CHANNEL, team_id="team-1", tenant_id=TENANT)  # fmt: skip
        await conversations.save_reference(uow.session, record, now=bot.clock.now())
        await uow.commit()
    bot.clock.advance(AWAIT_INSTALL_EVERY)
    await bot.drain()

    assert teams.threads_created == 1
    [thread_id] = [conversation for conversation in teams.conversations if conversation != CHANNEL]
    assert teams.texts(thread_id) == ["Handover: Bob is on call", "Bob, you are on call"]
    assert [row.status for row in await bot.outbox()] == [DONE, DONE]


async def test_a_message_held_back_by_the_rate_limit_uses_none_of_its_attempts(
    database: Database, clock: FixedClock, teams: ThrottlingConnector, bot: Bot
) -> None:
    # A storm: more cards for one channel than Teams takes in a second. Waiting for the limit
    # is our own pacing; counted as failures, a long storm would park cards as dead.
    delivery = build_teams_delivery(
        database, clock, app_id="", app_password="", limiter=TeamsRateLimiter(max_wait=0, tenant_rates=(Rate(50, 1.0),))
    )
    register_teams_handlers(bot.relay, delivery)
    for n in range(8):
        await bot.send(f"INC-{n} declared", key=f"teams:INC-{n}:declared")

    await bot.drain()
    await delivery.close()

    rows = await bot.outbox()
    assert [row.status for row in rows] == [DONE] * 7 + [PENDING]
    assert rows[7].attempts == 0 and "rate limit" in (rows[7].last_error or "")
