"""The CloudAdapter, with a turn's replies sent through our aiohttp Bot Connector client.

botbuilder sends every reply through msrest's ConnectorClient: the activity is serialised,
deserialised and serialised again, and posted with blocking `requests` in an executor thread,
~17 % of a `help` turn's CPU. bot_connector.BotConnector posts the same JSON with aiohttp on the
event loop. Everything else (TeamsInfo, deletes, turns for skills or sovereign clouds, whose
tokens need another audience) keeps botbuilder's client.
"""

from __future__ import annotations

import asyncio
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes, ResourceResponse
from botframework.connector import Channels
from botframework.connector.auth import AuthenticationConstants, BotFrameworkAuthentication

from bot.bot_connector import BotConnector, model_fields


class TurnAdapter(CloudAdapter):  # type: ignore[misc]
    """CloudAdapter whose send_activities/update_activity go through `connector`."""

    def __init__(self, authentication: BotFrameworkAuthentication, connector: BotConnector) -> None:
        super().__init__(authentication)
        self.connector = connector

    async def send_activities(self, context: TurnContext, activities: list[Activity]) -> list[ResourceResponse]:
        if not self._ours(context):
            responses: list[ResourceResponse] = await super().send_activities(context, activities)
            return responses
        # The same checks and special activity types as CloudAdapterBase.send_activities.
        if activities is None:
            raise TypeError("Expected Activities list but got None instead")
        if len(activities) == 0:
            raise TypeError("Expecting one or more activities, but the list was empty.")
        service_url = context.activity.service_url
        responses = []
        for activity in activities:
            activity.id = None
            response: ResourceResponse | None = ResourceResponse()
            if activity.type == "delay":
                await asyncio.sleep(int((activity.value or 1000) / 1000))
            elif activity.type == ActivityTypes.invoke_response:
                context.turn_state[self._INVOKE_RESPONSE_KEY] = activity
            elif activity.type == ActivityTypes.trace and activity.channel_id != Channels.emulator:
                pass  # traces are for the emulator only
            elif activity.reply_to_id:
                response = _resource(
                    await self.connector.reply_to_activity(
                        service_url, activity.conversation.id, activity.reply_to_id, _json(activity)
                    )
                )
            else:
                response = _resource(
                    await self.connector.send_to_conversation(service_url, activity.conversation.id, _json(activity))
                )
            responses.append(response or ResourceResponse(id=activity.id or ""))
        return responses

    async def update_activity(self, context: TurnContext, activity: Activity) -> ResourceResponse | None:
        if not self._ours(context):
            return await super().update_activity(context, activity)
        if activity is None:
            raise TypeError("Expected Activity but got None instead")
        answer = await self.connector.update_activity(
            context.activity.service_url, activity.conversation.id, activity.id, _json(activity)
        )
        return _resource(answer)

    def _ours(self, context: TurnContext) -> bool:
        if not context:
            raise TypeError("Expected TurnContext but got None instead")
        # Our tokens are for the public Bot Framework channel; other audiences keep botbuilder's client.
        scope = context.turn_state.get(self.BOT_OAUTH_SCOPE_KEY)
        return scope in (None, AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE)


def _json(activity: Activity) -> dict[str, Any]:
    # Nested models are turned into JSON as BotConnector encodes the body (bot_connector.wire_json).
    return model_fields(activity)


def _resource(answer: dict[str, Any]) -> ResourceResponse | None:
    # Teams answers {"id": …}; an empty 2xx answer gives None, as msrest's deserialiser does.
    return ResourceResponse(id=answer.get("id")) if answer else None
