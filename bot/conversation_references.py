"""What we store about a conversation, read from an incoming Teams activity."""

from __future__ import annotations

from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from storage.conversations import CHANNEL, PERSONAL, ConversationRecord


def conversation_record(activity: Activity) -> ConversationRecord | None:
    """The reference to store for `activity`'s conversation; None when it lacks an address."""
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
    user = activity.from_property
    return ConversationRecord(
        conversation_id=conversation.id,
        conversation_type=conversation_type,
        service_url=activity.service_url,
        reference=TurnContext.get_conversation_reference(activity).serialize(),
        channel_id=channel_id,
        team_id=team.get("id"),
        tenant_id=conversation.tenant_id or tenant.get("id"),
        user_teams_id=user.id if user else None,
        user_aad_id=user.aad_object_id if user else None,
    )


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
