"""Smoke test: a tiny botbuilder echo bot driven through the real Teams emulator (playground)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from botbuilder.core import ActivityHandler, CardFactory, InvokeResponse, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity

from tests.playground.harness import Playground, free_port, skip_reason

pytestmark = [
    pytest.mark.playground,
    pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or ""),
]

CARD = {
    "type": "AdaptiveCard",
    "version": "1.4",
    "body": [{"type": "TextBlock", "text": "v1"}],
    "actions": [{"type": "Action.Execute", "title": "Go", "verb": "go", "data": {"k": 1}}],
}


class _AnonymousConfig:
    """Bot credentials for anonymous (no-auth) local use."""

    APP_ID = ""
    APP_PASSWORD = ""
    APP_TYPE = "MultiTenant"
    APP_TENANTID = ""


class EchoBot(ActivityHandler):
    """Echoes text, sends a card on 'card', and answers Action.Execute with an updated card."""

    def __init__(self) -> None:
        self.received: list[Activity] = []

    async def on_turn(self, turn_context: TurnContext) -> None:
        """Record every incoming activity, then dispatch."""
        self.received.append(turn_context.activity)
        await super().on_turn(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        """Reply 'echo: <text>' (bot mention stripped) or a card for 'card'."""
        text = (TurnContext.remove_recipient_mention(turn_context.activity) or "").strip()
        if text == "card":
            await turn_context.send_activity(MessageFactory.attachment(CardFactory.adaptive_card(CARD)))
        else:
            await turn_context.send_activity(f"echo: {text}")

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        """Answer adaptiveCard/action with a card showing who clicked."""
        if turn_context.activity.name != "adaptiveCard/action":
            return await super().on_invoke_activity(turn_context)
        card = {
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": [{"type": "TextBlock", "text": f"clicked by {turn_context.activity.from_property.id}"}],
        }
        return InvokeResponse(
            status=200, body={"statusCode": 200, "type": "application/vnd.microsoft.card.adaptive", "value": card}
        )


@pytest.fixture
async def echo_bot() -> AsyncIterator[tuple[str, EchoBot]]:
    """Run EchoBot on a free port; yield (messaging endpoint, bot)."""
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(_AnonymousConfig()))
    bot = EchoBot()

    async def messages(request: web.Request) -> web.Response:
        # process_activity instead of adapter.process: the latter turns invoke bodies into a 500
        activity = Activity().deserialize(await request.json())
        auth = request.headers.get("Authorization", "")
        response: Any = await adapter.process_activity(auth, activity, bot.on_turn)
        if response:
            return web.json_response(response.body, status=response.status)
        return web.Response(status=201)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/api/messages", bot
    finally:
        await runner.cleanup()


@pytest.mark.asyncio
async def test_echo_in_team_channel(echo_bot: tuple[str, EchoBot]) -> None:
    """'hello' from user-id-0 in General comes back as 'echo: hello' in the same thread."""
    endpoint, _ = echo_bot
    async with Playground(endpoint) as pg:
        thread = await pg.send_channel_message("hello", user=0)
        assert thread.startswith("team-id;messageid=")
        replies = await pg.wait_for_bot_messages(thread)
        assert replies[0]["text"] == "echo: hello"


@pytest.mark.asyncio
async def test_other_user_install_and_card_action(echo_bot: tuple[str, EchoBot]) -> None:
    """Install, a message as user-id-3, and an Action.Execute invoke all reach the bot."""
    endpoint, bot = echo_bot
    async with Playground(endpoint) as pg:
        await pg.install_bot()
        thread = await pg.send_channel_message("card", user=3)
        [card_msg] = await pg.wait_for_bot_messages(thread)
        assert card_msg["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
        status, body = await pg.invoke_action(thread, card_msg["messageId"], {"k": 1}, verb="go", user=2)
        assert status == 200
        assert body["value"]["body"][0]["text"] == "clicked by user-id-2"
    types = [(a.type, a.from_property.id) for a in bot.received]
    assert ("installationUpdate", "user-id-0") in types
    assert ("conversationUpdate", "user-id-0") in types
    assert ("message", "user-id-3") in types
    assert ("invoke", "user-id-2") in types
