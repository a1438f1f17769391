"""Proactive Teams messages from anywhere in the app, queued in the caller's unit of work.

Nothing here talks to Teams: each call adds one outbox row, committed (or not) with the state
change that caused it, and bot.teams_delivery posts it later, in order, within Teams' limits.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from bot.conversation_target import ConversationTarget
from domain.outbox_request import OutboxRequest, queue
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


@dataclass(frozen=True)
class SendMessage(OutboxRequest):
    """Post `activity` to `target`, or as a reply in the thread started under key `in_thread`."""

    kind: ClassVar[str] = TEAMS_SEND

    key: str
    target: dict[str, Any]
    activity: dict[str, Any]
    in_thread: str | None = None

    @property
    def idempotency_key(self) -> str:
        return self.key

    @property
    def ordering_key(self) -> str:
        return ordering_key(ConversationTarget.from_dict(self.target), self.in_thread)


@dataclass(frozen=True)
class UpdateMessage(OutboxRequest):
    """Replace the activity posted under `original_key`; queued behind it (same target and thread)."""

    kind: ClassVar[str] = TEAMS_UPDATE

    key: str
    original_key: str
    target: dict[str, Any]
    activity: dict[str, Any]
    in_thread: str | None = None

    @property
    def idempotency_key(self) -> str:
        return self.key

    @property
    def ordering_key(self) -> str:
        return ordering_key(ConversationTarget.from_dict(self.target), self.in_thread)


@dataclass(frozen=True)
class StartThread(OutboxRequest):
    """Open a thread in a channel with `activity` as its first post; replies name `key` as their thread."""

    kind: ClassVar[str] = TEAMS_START_THREAD

    key: str
    target: dict[str, Any]
    activity: dict[str, Any]

    @property
    def idempotency_key(self) -> str:
        return self.key

    @property
    def ordering_key(self) -> str:
        return ordering_key(ConversationTarget.from_dict(self.target), self.key)


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
        target = _target(conversation).to_dict()
        queue(uow.outbox, SendMessage(_key(key), target, _message(activity), in_thread))

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
        update_key = _key(key or f"{key_of_original}:update:{uuid.uuid4().hex}")
        conversation = _target(target).to_dict()
        queue(uow.outbox, UpdateMessage(update_key, _key(key_of_original), conversation, _message(activity), in_thread))

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
        queue(uow.outbox, StartThread(_key(key), _target(channel_target).to_dict(), _message(activity)))


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
