"""Bot Framework activities as Microsoft Teams sends them (shapes copied from real payloads)."""

from __future__ import annotations

import itertools
from typing import Any

BOT_ID = "28:c0ffee00-0000-0000-0000-000000000b07"
BOT_NAME = "circlebot"
TENANT_ID = "72f988bf-0000-0000-0000-00000000te57"
TEAM_ID = "19:team-payments@thread.tacv2"
CHANNEL_ID = "19:channel-incidents@thread.tacv2"
USER_ID = "29:1ada-lovelace"
USER_AAD_ID = "aad-00000000-0000-0000-0000-0000000000ad"
USER_NAME = "Ada Lovelace"
PERSONAL_CONVERSATION_ID = "a:1personal-chat-with-ada"
GROUP_CHAT_ID = "19:group-chat@thread.v2"

_ids = itertools.count(1_764_000_000_001)


def next_activity_id() -> str:
    return str(next(_ids))


def _base(kind: str, service_url: str, conversation: dict[str, Any], **fields: Any) -> dict[str, Any]:
    activity: dict[str, Any] = {
        "type": kind,
        "id": fields.pop("id", None) or next_activity_id(),
        "timestamp": "2026-11-27T03:00:00.000Z",
        "localTimestamp": "2026-11-27T04:00:00.000+01:00",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": USER_ID, "name": USER_NAME, "aadObjectId": USER_AAD_ID},
        "conversation": conversation,
        "recipient": {"id": BOT_ID, "name": BOT_NAME},
        "locale": "en-US",
    }
    activity.update(fields)
    return activity


def _channel_conversation(thread_root: str | None = None) -> dict[str, Any]:
    conversation_id = f"{CHANNEL_ID};messageid={thread_root}" if thread_root else CHANNEL_ID
    return {"isGroup": True, "conversationType": "channel", "tenantId": TENANT_ID, "id": conversation_id}


def _channel_data() -> dict[str, Any]:
    return {
        "teamsChannelId": CHANNEL_ID,
        "teamsTeamId": TEAM_ID,
        "channel": {"id": CHANNEL_ID},
        "team": {"id": TEAM_ID},
        "tenant": {"id": TENANT_ID},
    }


def _mention() -> dict[str, Any]:
    return {"type": "mention", "text": f"<at>{BOT_NAME}</at>", "mentioned": {"id": BOT_ID, "name": BOT_NAME}}


def channel_message(
    text: str, service_url: str, *, mention_bot: bool = True, in_thread: str | None = None, **fields: Any
) -> dict[str, Any]:
    """A new post in a team channel, or a reply in the thread of post `in_thread`.

    Without the ChannelMessage.Read.Group permission Teams only delivers posts that @mention the bot.
    """
    activity_id = fields.pop("id", None) or next_activity_id()
    entities = [_mention()] if mention_bot else []
    return _base(
        "message",
        service_url,
        _channel_conversation(thread_root=in_thread or activity_id),
        id=activity_id,
        text=f"<at>{BOT_NAME}</at> {text}" if mention_bot else text,
        textFormat="plain",
        entities=[*entities, {"type": "clientInfo", "locale": "en-US", "platform": "Web"}],
        channelData=_channel_data(),
        **fields,
    )


def personal_message(text: str, service_url: str, **fields: Any) -> dict[str, Any]:
    """A message in the 1:1 chat with the bot."""
    conversation = {"conversationType": "personal", "tenantId": TENANT_ID, "id": PERSONAL_CONVERSATION_ID}
    return _base(
        "message",
        service_url,
        conversation,
        text=text,
        textFormat="plain",
        channelData={"tenant": {"id": TENANT_ID}},
        **fields,
    )


def chat_of(user: str) -> str:
    """The id of `user`'s 1:1 chat with the bot (one per person, unlike PERSONAL_CONVERSATION_ID)."""
    return f"a:1personal-chat-with-{user.removeprefix('29:')}"


def personal(kind: str, user: str, service_url: str, **fields: Any) -> dict[str, Any]:
    """An activity of `kind` in `user`'s 1:1 chat with the bot, as Teams sends it."""
    return {
        "type": kind,
        "id": next_activity_id(),
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": user, "name": user},
        "conversation": {"conversationType": "personal", "tenantId": TENANT_ID, "id": chat_of(user)},
        "recipient": {"id": "28:circlebot", "name": "circlebot"},
        "channelData": {"tenant": {"id": TENANT_ID}},
        **fields,
    }


def group_chat_message(text: str, service_url: str, **fields: Any) -> dict[str, Any]:
    """A message in a group chat, mentioning the bot."""
    conversation = {"isGroup": True, "conversationType": "groupChat", "tenantId": TENANT_ID, "id": GROUP_CHAT_ID}
    return _base(
        "message",
        service_url,
        conversation,
        text=f"<at>{BOT_NAME}</at> {text}",
        textFormat="plain",
        entities=[_mention()],
        channelData={"tenant": {"id": TENANT_ID}},
        **fields,
    )


def installed_in_team(service_url: str, **fields: Any) -> dict[str, Any]:
    """installationUpdate(add) when the app is added to a team (arrives in the General channel)."""
    channel_data = _channel_data() | {"settings": {"selectedChannel": {"id": CHANNEL_ID}}, "source": None}
    return _base(
        "installationUpdate", service_url, _channel_conversation(), action="add", channelData=channel_data, **fields
    )


def installed_personally(service_url: str, **fields: Any) -> dict[str, Any]:
    """installationUpdate(add) when a user adds the app for themselves."""
    conversation = {"conversationType": "personal", "tenantId": TENANT_ID, "id": PERSONAL_CONVERSATION_ID}
    return _base(
        "installationUpdate",
        service_url,
        conversation,
        action="add",
        channelData={"tenant": {"id": TENANT_ID}, "source": None},
        **fields,
    )


def bot_added_to_team(service_url: str, **fields: Any) -> dict[str, Any]:
    """conversationUpdate with the bot among membersAdded, which Teams sends with installationUpdate."""
    channel_data = _channel_data() | {"eventType": "teamMemberAdded"}
    return _base(
        "conversationUpdate",
        service_url,
        _channel_conversation(),
        membersAdded=[{"id": BOT_ID}],
        channelData=channel_data,
        **fields,
    )


def card_action(verb: str, service_url: str, data: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """The `adaptiveCard/action` invoke Teams sends when an Action.Execute button is clicked in a channel."""
    return _base(
        "invoke",
        service_url,
        _channel_conversation(thread_root="1764000000000"),
        name="adaptiveCard/action",
        value={"action": {"type": "Action.Execute", "verb": verb, "data": data or {}}, "trigger": "manual"},
        channelData=_channel_data(),
        **fields,
    )
