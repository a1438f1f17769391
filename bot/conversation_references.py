"""What we store about a conversation, read from an incoming Teams activity."""

from __future__ import annotations

from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from bot.schema_codec import reference_to_json
from storage.conversations import CHANNEL, PERSONAL, ConversationRecord

# Parts of a serialised ConversationReference that say who wrote the message being answered, not
# where the conversation is: a channel's address is the same whoever posted in it.
_OF_THE_MESSAGE = ("activityId",)
_OF_THE_POSTER = ("activityId", "user", "locale")


def conversation_record(activity: Activity) -> ConversationRecord | None:
    """The reference to store for `activity`'s conversation; None when it lacks an address.

    A message in a channel is stored as the channel's own reference: every new post in a channel
    arrives in a conversation of its own ("<channel id>;messageid=<post id>"), and storing each
    would write a row per post (every post, with the channel-message permission) while a thread
    is addressed from the channel's reference anyway (bot/conversation_target.py).
    """
    conversation = activity.conversation
    if conversation is None or not conversation.id or not activity.service_url:
        return None
    channel_data: dict[str, Any] = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    team, channel, tenant = (_object(channel_data.get(key)) for key in ("team", "channel", "tenant"))
    conversation_type = conversation.conversation_type or (CHANNEL if team else PERSONAL)
    channel_id = channel.get("id")
    if not channel_id and conversation_type == CHANNEL:
        # A thread's conversation id is "<channel id>;messageid=<root>".
        channel_id = conversation.id.split(";", 1)[0]
    reference = reference_to_json(TurnContext.get_conversation_reference(activity))
    tenant_id = conversation.tenant_id or tenant.get("id")
    if conversation_type == CHANNEL and channel_id:
        reference = {key: value for key, value in reference.items() if key not in _OF_THE_POSTER}
        reference["conversation"] = {**_object(reference.get("conversation")), "id": channel_id}
        return ConversationRecord(
            conversation_id=channel_id,
            conversation_type=CHANNEL,
            service_url=activity.service_url,
            reference=reference,
            channel_id=channel_id,
            team_id=team.get("id"),
            tenant_id=tenant_id,
        )
    user = activity.from_property
    return ConversationRecord(
        conversation_id=conversation.id,
        conversation_type=conversation_type,
        service_url=activity.service_url,
        reference={key: value for key, value in reference.items() if key not in _OF_THE_MESSAGE},
        channel_id=channel_id,
        team_id=team.get("id"),
        tenant_id=tenant_id,
        user_teams_id=user.id if user else None,
        user_aad_id=user.aad_object_id if user else None,
    )


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
