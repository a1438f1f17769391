"""Outbox handlers that post, update and start Teams messages, effectively once.

How "once" is kept, and where it cannot be. The Bot Connector has no idempotency header, so the
only proof that a message was posted is the activity id in Teams' answer. We write that id to
`sent_message` (keyed by the outbox key) the moment the answer arrives, in the transaction that
marks the outbox row delivered (see `Delivered`), and every attempt looks there first: a retry
after that commit (a revived row, another relay whose lease ran out) posts nothing new.

What remains is the answer lost in flight: the request reached Teams, then the connection or the
read timed out. Then we cannot know whether the message exists. We resend, accepting a possible
duplicate, because for an incident bot a lost page is worse than a doubled one ("never lost"
wins). The window is kept small: connecting fails fast and is safe to retry (nothing was sent),
reading waits generously so a slow success is still recorded, and the id is written before
anything else. Updates need none of this: a PUT of the same content is naturally idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

import aiohttp
from sqlmodel.ext.asyncio.session import AsyncSession

from adapters.outbox_relay import Delivered, OutboxRelay, PermanentFailure, RetryLater, parse_payload
from bot.bot_connector import DEFAULT_TIMEOUT, BotConnector, token_source
from bot.conversation_target import ConversationTarget, InvalidConversationTarget
from bot.messenger import TEAMS_SEND, TEAMS_START_THREAD, TEAMS_UPDATE, SendMessage, StartThread, UpdateMessage
from bot.rate_limit import RateLimited, TeamsRateLimiter
from domain.clock import Clock
from storage import sent_messages
from storage.conversations import ChannelAddresses
from storage.database import Database
from storage.outbox import OutboxMessage
from storage.sent_messages import SentMessage, SentMessageStore

log = logging.getLogger(__name__)

_Answer = TypeVar("_Answer")

# A message refused by the rate limiter comes back this long before its kept slot (the relay
# polls every second), and waits the rest in the limiter.
COME_BACK_EARLY = timedelta(seconds=1.5)

# How often a message for a channel circlebot is not installed in yet looks for its address
# (the installation itself wakes it at once: bot/activity_handler.py).
AWAIT_INSTALL_EVERY = timedelta(seconds=30)


class TeamsDelivery:
    """The three handlers, sharing one connector, one sent-message log and one rate limiter."""

    def __init__(
        self,
        connector: BotConnector,
        sent: SentMessageStore,
        limiter: TeamsRateLimiter,
        clock: Clock,
        channels: ChannelAddresses,
    ) -> None:
        self._connector = connector
        self._sent = sent
        self._limiter = limiter
        self._clock = clock
        self._channels = channels

    async def deliver_send(self, message: OutboxMessage) -> dict[str, Any] | Delivered:
        """Post a message (into a thread if asked), unless an earlier attempt already did."""
        if posted := await self._sent.lookup(message.idempotency_key):
            return _result(posted, already_posted=True)
        request = parse_payload(SendMessage.from_payload, message)
        target, activity = await self._read(message, request.target, request.activity)
        conversation_id = target.conversation_id
        if request.in_thread:
            conversation_id = await self._thread_of(request.in_thread)
        answer = await self._in_slot(
            message,
            conversation_id,
            target.tenant_id,
            lambda: self._connector.send_to_conversation(
                target.service_url, conversation_id, _addressed(activity, target, conversation_id)
            ),
        )
        return await self._remember(message, conversation_id, answer.get("id"), thread_conversation_id=None)

    async def deliver_update(self, message: OutboxMessage) -> Delivered:
        """Replace the activity posted under the payload's `original_key`."""
        request = parse_payload(UpdateMessage.from_payload, message)
        target, activity = await self._read(message, request.target, request.activity)
        original_key = request.original_key
        original = await self._sent.lookup(original_key)
        if original is None:
            # Its send is queued ahead of us on the same ordering key, or dead: wait for a revive.
            raise RetryLater(f"the message {original_key!r} to update has not been posted yet")
        await self._in_slot(
            message,
            original.conversation_id,
            target.tenant_id,
            lambda: self._connector.update_activity(
                target.service_url,
                original.conversation_id,
                original.activity_id,
                _addressed(activity, target, original.conversation_id),
            ),
        )
        edited_at = self._clock.now()

        async def note_the_edit(session: AsyncSession) -> None:
            await sent_messages.mark_updated(session, original_key, now=edited_at)

        return Delivered(_result(original, already_posted=False), note_the_edit)

    async def deliver_start_thread(self, message: OutboxMessage) -> dict[str, Any] | Delivered:
        """Create a channel thread (POST /v3/conversations, as TeamsInfo.send_message_to_teams_channel)."""
        if posted := await self._sent.lookup(message.idempotency_key):
            return _result(posted, already_posted=True)
        request = parse_payload(StartThread.from_payload, message)
        target, activity = await self._read(message, request.target, request.activity)
        channel_id = target.teams_channel_id
        channel_data: dict[str, Any] = {"channel": {"id": channel_id}}
        parameters: dict[str, Any] = {"isGroup": True, "channelData": channel_data, "activity": activity}
        if target.tenant_id:
            channel_data["tenant"] = {"id": target.tenant_id}
            parameters["tenantId"] = target.tenant_id
        if target.bot_id:
            parameters["bot"] = {"id": target.bot_id}
        answer = await self._in_slot(
            message,
            channel_id,
            target.tenant_id,
            lambda: self._connector.create_conversation(target.service_url, parameters),
        )
        activity_id = answer.get("activityId")
        thread_id = answer.get("id") or (f"{channel_id};messageid={activity_id}" if activity_id else None)
        if not thread_id:
            raise PermanentFailure(f"Teams created a thread in {channel_id} but returned no id: {answer!r}")
        return await self._remember(message, thread_id, activity_id, thread_conversation_id=thread_id)

    async def close(self) -> None:
        await self._connector.close()

    async def _read(
        self, message: OutboxMessage, target: dict[str, Any], activity: dict[str, Any]
    ) -> tuple[ConversationTarget, dict[str, Any]]:
        """The payload's target, with its address once circlebot is installed in the channel's team."""
        try:
            conversation = ConversationTarget.from_dict(target)
        except InvalidConversationTarget as error:
            raise PermanentFailure(f"malformed {message.kind} payload: {error}") from error
        if conversation.awaiting_install:
            channel_id = conversation.teams_channel_id
            reference = await self._channels.reference(channel_id)
            if reference is None:
                # Not a failure: the message waits, as long as it takes (the oldest pending row
                # shows on /metrics and `circlebot outbox list`); the installation wakes it.
                raise RetryLater(
                    awaiting_install(channel_id),
                    retry_after=AWAIT_INSTALL_EVERY,
                    counts=False,
                    waiting_for=installation_in(channel_id),
                )
            try:
                conversation = ConversationTarget.from_dict(reference).in_conversation(conversation.conversation_id)
            except InvalidConversationTarget as error:
                raise PermanentFailure(f"the stored reference of {channel_id} is unusable: {error}") from error
        return conversation, dict(activity)

    async def _thread_of(self, thread_key: str) -> str:
        thread = await self._sent.lookup(thread_key)
        if thread is None or not thread.thread_conversation_id:
            # The start_thread row shares our ordering key, so it is either not done or dead.
            raise RetryLater(f"the thread {thread_key!r} has not been started yet")
        return thread.thread_conversation_id

    async def _in_slot(
        self,
        message: OutboxMessage,
        conversation_id: str,
        tenant_id: str | None,
        request: Callable[[], Awaitable[_Answer]],
    ) -> _Answer:
        """Make the request once the rate limits allow it (its answer frees the slot in time)."""
        try:
            async with self._limiter.slot(
                conversation_id=conversation_id, tenant_id=tenant_id, booking=message.idempotency_key
            ):
                return await request()
        except RateLimited as limited:
            # Waiting longer would hold a relay slot: come back a little before the slot kept for
            # this message. Our own pacing, not a failure: it uses none of the row's attempts (a
            # storm's cards wait minutes for the channel's 60 posts per 30 s).
            back_in = max(0.0, limited.delay - COME_BACK_EARLY.total_seconds())
            raise RetryLater(str(limited), retry_after=timedelta(seconds=back_in), counts=False) from None

    async def _remember(
        self,
        message: OutboxMessage,
        conversation_id: str,
        activity_id: str | None,
        *,
        thread_conversation_id: str | None,
    ) -> dict[str, Any] | Delivered:
        if not activity_id:
            # Posted, but Teams gave no id to update it by: do not post it again.
            log.warning(
                "Teams accepted %s but returned no activity id",
                message.kind,
                extra={"key": message.idempotency_key},
            )
            return {"conversation_id": conversation_id, "activity_id": None}
        sent_at = self._clock.now()

        async def record(session: AsyncSession) -> None:
            await sent_messages.record(
                session,
                key=message.idempotency_key,
                conversation_id=conversation_id,
                activity_id=activity_id,
                thread_conversation_id=thread_conversation_id,
                now=sent_at,
            )

        # Committed with the row's "delivered" mark, the moment the relay has the answer.
        return Delivered({"conversation_id": conversation_id, "activity_id": activity_id}, record)


def awaiting_install(channel_id: str) -> str:
    """Why a message for `channel_id` waits, for people: the outbox row's last error until the installation."""
    return f"circlebot is not installed in the team of channel {channel_id} yet: the message is posted once it is"


def installation_in(channel_id: str) -> str:
    """What a message for `channel_id` waits for, for the outbox: the first post the bot hears there wakes it."""
    return f"install:{channel_id}"


def register_teams_handlers(relay: OutboxRelay, delivery: TeamsDelivery) -> None:
    """Make the relay deliver teams.send, teams.update and teams.start_thread rows."""
    relay.register(TEAMS_SEND, delivery.deliver_send)
    relay.register(TEAMS_UPDATE, delivery.deliver_update)
    relay.register(TEAMS_START_THREAD, delivery.deliver_start_thread)


def build_teams_delivery(
    database: Database,
    clock: Clock,
    *,
    app_id: str,
    app_password: str,
    app_type: str = "MultiTenant",
    app_tenant_id: str = "",
    limiter: TeamsRateLimiter | None = None,
    timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
) -> TeamsDelivery:
    """The production wiring: anonymous without an app id, botbuilder credentials otherwise."""
    tokens = token_source(app_id=app_id, app_password=app_password, app_type=app_type, app_tenant_id=app_tenant_id)
    return TeamsDelivery(
        BotConnector(tokens, clock, timeout=timeout),
        SentMessageStore(database),
        limiter or TeamsRateLimiter(),
        clock,
        ChannelAddresses(database),
    )


def _addressed(activity: dict[str, Any], target: ConversationTarget, conversation_id: str) -> dict[str, Any]:
    """The activity with its conversation and sender filled in, as continue_conversation would."""
    addressed = {"conversation": {"id": conversation_id}, **activity}
    if target.bot_id and "from" not in activity:
        addressed["from"] = {"id": target.bot_id, **({"name": target.bot_name} if target.bot_name else {})}
    return addressed


def _result(posted: SentMessage, *, already_posted: bool) -> dict[str, Any]:
    result: dict[str, Any] = {"conversation_id": posted.conversation_id, "activity_id": posted.activity_id}
    if already_posted:
        result["already_posted"] = True
    return result
