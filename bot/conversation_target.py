"""Where a proactive message goes: the parts of a Bot Framework ConversationReference we need."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# A reply inside a channel thread is addressed to "<channel id>;messageid=<root activity id>".
_THREAD_SUFFIX = ";messageid="


class InvalidConversationTarget(ValueError):
    """A stored conversation reference lacks what a proactive message needs."""


@dataclass(frozen=True)
class ConversationTarget:
    """A conversation (channel, thread, group or personal chat) the bot can post into."""

    service_url: str
    conversation_id: str
    tenant_id: str | None = None
    channel_id: str = "msteams"
    bot_id: str | None = None
    bot_name: str | None = None
    is_group: bool | None = None
    conversation_type: str | None = None
    # A channel of a team circlebot is not installed in yet: no address to post to until it is;
    # delivery looks the address up and waits for it (bot/teams_delivery.py).
    awaiting_install: bool = False

    @classmethod
    def channel_awaiting_install(cls, channel_id: str) -> ConversationTarget:
        """The channel `channel_id`, addressed once circlebot is installed in its team."""
        return cls(service_url="", conversation_id=channel_id, is_group=True, conversation_type="channel",
                   awaiting_install=True)  # fmt: skip

    def __post_init__(self) -> None:
        if self.awaiting_install and not self.service_url:
            pass  # the address comes with the installation
        elif not self.service_url.startswith(("http://", "https://")):
            raise InvalidConversationTarget(
                f"serviceUrl must be an http(s) URL from a received activity, got {self.service_url!r}"
            )
        if not self.conversation_id:
            raise InvalidConversationTarget("conversation.id is empty: store the reference of a received activity")

    @property
    def teams_channel_id(self) -> str:
        """The Teams channel id ("19:…@thread.tacv2"), without any thread suffix."""
        return self.conversation_id.split(_THREAD_SUFFIX, 1)[0]

    def in_conversation(self, conversation_id: str) -> ConversationTarget:
        """The same bot and tenant, addressed to another conversation (a thread of this channel)."""
        return ConversationTarget(
            service_url=self.service_url,
            conversation_id=conversation_id,
            tenant_id=self.tenant_id,
            channel_id=self.channel_id,
            bot_id=self.bot_id,
            bot_name=self.bot_name,
            is_group=self.is_group,
            conversation_type=self.conversation_type,
            awaiting_install=self.awaiting_install,
        )

    def to_dict(self) -> dict[str, Any]:
        """The serialized ConversationReference shape (camelCase), as botbuilder writes it."""
        conversation: dict[str, Any] = {"id": self.conversation_id}
        if self.tenant_id:
            conversation["tenantId"] = self.tenant_id
        if self.is_group is not None:
            conversation["isGroup"] = self.is_group
        if self.conversation_type:
            conversation["conversationType"] = self.conversation_type
        reference: dict[str, Any] = {
            "serviceUrl": self.service_url,
            "channelId": self.channel_id,
            "conversation": conversation,
        }
        if self.bot_id:
            reference["bot"] = {"id": self.bot_id, **({"name": self.bot_name} if self.bot_name else {})}
        if self.awaiting_install:
            reference["awaitingInstall"] = True
        return reference

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConversationTarget:
        """Read a serialized ConversationReference (camelCase or botbuilder's snake_case attributes)."""
        if not isinstance(data, dict):
            raise InvalidConversationTarget(f"a conversation reference is a JSON object, got {type(data).__name__}")
        conversation = data.get("conversation") or {}
        bot = data.get("bot") or {}
        if not isinstance(conversation, dict) or not isinstance(bot, dict):
            raise InvalidConversationTarget("conversation and bot must be JSON objects in a conversation reference")
        service_url = data.get("serviceUrl") or data.get("service_url")
        awaiting_install = data.get("awaitingInstall") is True
        if not service_url and not awaiting_install:
            raise InvalidConversationTarget(
                "the conversation reference has no serviceUrl: store it from a received activity"
            )
        return cls(
            service_url=str(service_url or "").rstrip("/"),
            conversation_id=str(conversation.get("id") or ""),
            tenant_id=conversation.get("tenantId") or conversation.get("tenant_id") or data.get("tenantId"),
            channel_id=str(data.get("channelId") or data.get("channel_id") or "msteams"),
            bot_id=bot.get("id"),
            bot_name=bot.get("name"),
            is_group=conversation.get("isGroup", conversation.get("is_group")),
            conversation_type=conversation.get("conversationType") or conversation.get("conversation_type"),
            awaiting_install=awaiting_install,
        )
