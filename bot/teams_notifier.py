"""The Teams side every feature's notifier is built on: where to write, what a message looks like.

A feature's notifier (bot/<feature>/notifier.py) implements its domain's notifier port by choosing
words, cards and keys; this core finds the conversation — the circle's channel, or a person's 1:1
chat by Teams user id and then by Entra ID object id (a chat stored by one id is found by the
other) — and queues the message on the caller's unit of work through the Messenger. Nothing is
sent here: every message is an outbox row committed with the state change that caused it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from typing import Any

from bot.cards import card_activity as card_activity  # re-exported: every notifier's card message
from bot.cards import mention_entity, text_card
from bot.conversation_target import ConversationTarget
from bot.messenger import Messenger
from domain.circle import Circle, Member
from domain.clock import Clock
from domain.ports import UnitOfWork

log = logging.getLogger(__name__)

Activity = dict[str, Any] | str

# Outbox keys hold 255 characters; long circle names and ISO times can come close.
_KEY_BUDGET = 200


def message_key(*parts: object) -> str:
    """The outbox key of one Teams message: "teams:" and the parts, joined by ":"; shortened when long.

    Name a message after what it announces (`message_key("incident", 7, "card")`): queueing a
    key twice keeps the first message, and updates refer to the original by its key.
    """
    key = ":".join(["teams", *map(str, parts)])
    return key if len(key) <= _KEY_BUDGET else key[:140] + ":" + hashlib.sha256(key.encode()).hexdigest()[:32]


def digest(text: str) -> str:
    """A short stable fingerprint of a text, for keys of messages that differ only by their words."""
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def mentionable(members: Sequence[Member]) -> list[Member]:
    """The members Teams can notify with an @mention (it needs one of their ids)."""
    return [member for member in members if mention_entity(member) is not None]


def mention_activity(member: Member, text: str) -> Activity:
    """`<at>Name</at> text`, notifying the member; plain "Name: text" when we know no id to mention."""
    entity = mention_entity(member)
    if entity is None:
        return f"{member.display_name}: {text}"
    return {"text": f"{entity['text']} {text}", "entities": [entity]}


class TeamsNotifier:
    """Finds where to write and queues messages; one per app, shared by every feature's notifier."""

    def __init__(self, messenger: Messenger, clock: Clock) -> None:
        self.messenger = messenger
        self.clock = clock

    async def channel(self, uow: UnitOfWork, channel_id: str) -> ConversationTarget:
        """The channel, to post in (new threads) or reply in.

        Before circlebot is installed in the team there is no address yet: the message is queued
        all the same and posted once it is (a shift change caught up at the first start-up).
        """
        reference = await uow.conversations.channel(channel_id)
        if reference is None:
            log.warning(
                "circlebot is not installed in the team of channel %s yet: its messages wait for that",
                channel_id,
                extra={"channel_id": channel_id},
            )
            return ConversationTarget.channel_awaiting_install(channel_id)
        return ConversationTarget.from_dict(reference).in_conversation(channel_id)

    async def personal(self, uow: UnitOfWork, member: Member) -> ConversationTarget | None:
        """The member's 1:1 chat with the bot, by Teams user id, else by Entra ID object id; None if never opened.

        The circles file may know a person by either id, and Teams may have stored the chat under
        the other (a user id that changed with a tenant move, a chat opened before the id was known).
        """
        reference = None
        if member.teams_user_id:
            reference = await uow.conversations.personal(teams_user_id=member.teams_user_id)
        if reference is None and member.aad_object_id:
            reference = await uow.conversations.personal(aad_id=member.aad_object_id)
        return ConversationTarget.from_dict(reference) if reference else None

    async def send_privately(self, uow: UnitOfWork, member: Member, activity: Activity, key: str) -> bool:
        """Queue `activity` in the member's 1:1 chat; False when the bot cannot reach them privately."""
        target = await self.personal(uow, member)
        if target is None:
            log.info("cannot reach %s privately", member.handle, extra={"member": member.handle})
            return False
        self.messenger.send(uow, conversation=target, activity=activity, key=key)
        return True

    async def to_member(
        self, uow: UnitOfWork, circle: Circle, member: Member, activity: dict[str, Any], summary: str, *, key: str
    ) -> None:
        """To the member's 1:1 chat; without one, in the circle's channel with an @mention (never lost)."""
        if await self.send_privately(uow, member, activity, key):
            return
        channel = await self.channel(uow, circle.channel_id)
        mention = f"<at>{member.display_name}</at> {activity.get('text') or summary}"
        card = activity["attachments"][0]["content"] if "attachments" in activity else text_card(summary)
        self.send(uow, channel, card_activity(card, mention, [member]), key)

    async def posted(self, uow: UnitOfWork, key: str) -> bool:
        """True when the message `key` was queued or posted before: refresh it instead of posting again."""
        return await uow.outbox.contains(key) or await uow.conversations.was_posted(key)

    def send(
        self, uow: UnitOfWork, target: ConversationTarget, activity: Activity, key: str, *, in_thread: str | None = None
    ) -> None:
        """Post in `target`, or reply in the thread started under key `in_thread`."""
        self.messenger.send(uow, conversation=target, activity=activity, key=key, in_thread=in_thread)

    def start_thread(self, uow: UnitOfWork, channel: ConversationTarget, activity: Activity, key: str) -> None:
        """Open a thread in `channel`; later messages with `in_thread=key` reply in it."""
        self.messenger.start_thread(uow, channel_target=channel, activity=activity, key=key)

    def update(
        self,
        uow: UnitOfWork,
        target: ConversationTarget,
        key_of_original: str,
        activity: Activity,
        *,
        in_thread: str | None = None,
    ) -> None:
        """Replace the message posted under `key_of_original` (a card refreshed in place)."""
        self.messenger.update(
            uow, target=target, key_of_original=key_of_original, activity=activity, in_thread=in_thread
        )
