"""Proactive Teams messages from anywhere in the app, queued in the caller's unit of work.

Nothing here talks to Teams: each call adds one outbox row, committed (or not) with the state
change that caused it, and bot.teams_delivery posts it later, in order, within Teams' limits.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any, Protocol

from bot.conversation_target import ConversationTarget
from domain.ports import OutboxWriter

TEAMS_SEND = "teams.send"
TEAMS_UPDATE = "teams.update"
TEAMS_START_THREAD = "teams.start_thread"

# Teams rejects bot messages over about 28 KB (text, card and metadata together); failing
# at queue time names the caller, failing at delivery would only park a dead row.
MAX_ACTIVITY_BYTES = 28_000


class WithOutbox(Protocol):
    """Any unit of work: the messenger only needs its outbox."""

    @property
    def outbox(self) -> OutboxWriter: ...


class InvalidActivity(ValueError):
    """The activity cannot be posted as given; the message says what to change."""


class Messenger:
    """Queues send, update and start-thread requests as outbox rows.

    Keys are outbox idempotency keys, unique across the whole outbox, so name them after what
    they announce ("teams:incident:42:card"): queueing a key twice keeps the first message, and
    `storage.sent_messages.lookup(session, key)` finds the posted activity later.
    """

    def send(
        self,
        uow: WithOutbox,
        *,
        conversation: ConversationTarget | dict[str, Any],
        activity: dict[str, Any] | str,
        key: str,
        in_thread: str | None = None,
    ) -> None:
        """Post `activity` to `conversation`, or as a reply in the thread started under key `in_thread`."""
        target = _target(conversation)
        uow.outbox.add(
            TEAMS_SEND,
            {"key": key, "target": target.to_dict(), "activity": _message(activity), "in_thread": in_thread},
            idempotency_key=_key(key),
            ordering_key=ordering_key(target, in_thread),
        )

    def update(
        self,
        uow: WithOutbox,
        *,
        target: ConversationTarget | dict[str, Any],
        key_of_original: str,
        activity: dict[str, Any] | str,
        key: str | None = None,
        in_thread: str | None = None,
    ) -> None:
        """Replace the activity posted under `key_of_original` (e.g. refresh a card in place).

        Pass the same `target`/`in_thread` as the original so the update queues behind it.
        Give `key` to make the update itself idempotent; by default each call is a new update.
        """
        conversation = _target(target)
        update_key = key or f"{key_of_original}:update:{uuid.uuid4().hex}"
        uow.outbox.add(
            TEAMS_UPDATE,
            {
                "key": update_key,
                "original_key": _key(key_of_original),
                "target": conversation.to_dict(),
                "activity": _message(activity),
            },
            idempotency_key=_key(update_key),
            ordering_key=ordering_key(conversation, in_thread),
        )

    def start_thread(
        self,
        uow: WithOutbox,
        *,
        channel_target: ConversationTarget | dict[str, Any],
        activity: dict[str, Any] | str,
        key: str,
    ) -> None:
        """Open a new thread in a Teams channel with `activity` as its first post.

        Later `send(..., in_thread=key)` calls reply in that thread, after it exists.
        """
        target = _target(channel_target)
        uow.outbox.add(
            TEAMS_START_THREAD,
            {"key": key, "target": target.to_dict(), "activity": _message(activity)},
            idempotency_key=_key(key),
            ordering_key=ordering_key(target, key),
        )


def ordering_key(target: ConversationTarget, in_thread: str | None) -> str:
    """Messages to one conversation, or to one thread, are delivered one at a time, in order."""
    name = f"teams:thread:{in_thread}" if in_thread else f"teams:conversation:{target.conversation_id}"
    # The outbox column holds 255 characters; some Teams conversation ids come close.
    if len(name) > 200:
        return "teams:" + hashlib.sha256(name.encode()).hexdigest()
    return name


def _target(conversation: ConversationTarget | dict[str, Any]) -> ConversationTarget:
    return conversation if isinstance(conversation, ConversationTarget) else ConversationTarget.from_dict(conversation)


def _key(key: str) -> str:
    if not key or len(key) > 255:
        raise InvalidActivity(f"a message key needs 1 to 255 characters, got {len(key)}")
    return key


def _message(activity: dict[str, Any] | str) -> dict[str, Any]:
    message = {"type": "message", "text": activity} if isinstance(activity, str) else {"type": "message", **activity}
    if not message.get("text") and not message.get("attachments"):
        raise InvalidActivity("a Teams message needs text or attachments (an Adaptive Card)")
    size = len(json.dumps(message).encode())
    if size > MAX_ACTIVITY_BYTES:
        raise InvalidActivity(
            f"the message is {size} bytes; Teams accepts about {MAX_ACTIVITY_BYTES}: shorten it or link out"
        )
    return message
