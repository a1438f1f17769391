"""Deep links into Teams, for cards that point at another message (the report at its postmortem's thread).

Format from Microsoft's "Deep link to Teams chat" docs (navigate to a channel conversation):
https://teams.microsoft.com/l/message/<channelId>/<messageId>?tenantId=…&parentMessageId=…; for the first
post of a thread the parent is the message itself. groupId/teamName/channelName/createdTime are optional.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode


def channel_message_link(channel_id: str, message_id: str, *, tenant_id: str | None = None) -> str:
    """A link that opens the thread started by `message_id` in channel `channel_id` ("19:…@thread.tacv2")."""
    query = {"tenantId": tenant_id} if tenant_id else {}
    query["parentMessageId"] = message_id
    return (
        f"https://teams.microsoft.com/l/message/{quote(channel_id, safe='')}/{quote(message_id, safe='')}"
        f"?{urlencode(query)}"
    )
