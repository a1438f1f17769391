"""Who and where a turn is: the channel it happens in, and the circle member who sent it."""

from __future__ import annotations

from botbuilder.core import TurnContext
from botbuilder.core.teams import teams_get_channel_id

from domain.circle import Circle, Member


def channel_of(turn_context: TurnContext) -> str | None:
    """The Teams channel id of the turn, without any thread suffix."""
    activity = turn_context.activity
    channel_id = teams_get_channel_id(activity) if isinstance(activity.channel_data, dict) else None
    if channel_id:
        return str(channel_id)
    conversation = activity.conversation
    if conversation and conversation.conversation_type == "channel" and conversation.id:
        return str(conversation.id).split(";", 1)[0]
    return None


def member_of(turn_context: TurnContext, circle: Circle | None) -> Member | None:
    """The member of `circle` who sent this turn, by Teams user id or Entra object id."""
    user = turn_context.activity.from_property
    if circle is None or user is None:
        return None
    return (circle.member_by_teams_id(user.id) if user.id else None) or (
        circle.member_by_aad_id(user.aad_object_id) if user.aad_object_id else None
    )
