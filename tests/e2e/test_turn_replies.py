"""A turn's replies go to the Bot Connector over aiohttp, with botbuilder's semantics kept."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from botbuilder.core import InvokeResponse, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, ActivityTypes
from botframework.connector.auth import AuthenticationConstants
from sqlmodel import select

from adapters.outbox_relay import PermanentFailure
from bot.bot_connector import BotConnector, model_fields, wire_json
from bot.cards import card_message, help_card
from bot.turn_adapter import TurnAdapter
from domain.clock import FixedClock
from storage.conversations import ConversationReferenceRow
from storage.database import Database
from tests.support.activities import PERSONAL_CONVERSATION_ID, personal_message
from tests.support.bot_app import APP_ID, BotClient, post_activity
from tests.support.fake_connector import FakeConnector


@dataclass
class NumberedTokens:
    """What botbuilder's credentials would hand out, numbered so that tests can see which was used."""

    handed_out: int = 0

    async def token(self, *, refresh: bool = False) -> str | None:
        self.handed_out += 1
        return f"token-{self.handed_out - 1}"


class AppIdConfig:
    APP_ID = APP_ID
    APP_PASSWORD = "not-a-real-secret"
    APP_TYPE = "MultiTenant"
    APP_TENANTID = ""


def turn_with_app_id(connector: FakeConnector, tokens: NumberedTokens, clock: FixedClock) -> TurnContext:
    """A turn as TurnAdapter.process_activity sets it up for a message from Teams, with an app id."""
    adapter = TurnAdapter(ConfigurationBotFrameworkAuthentication(AppIdConfig()), BotConnector(tokens, clock))
    incoming = Activity().deserialize(personal_message("help", connector.service_url))
    turn_context = TurnContext(adapter, incoming)
    turn_context.turn_state[adapter.BOT_OAUTH_SCOPE_KEY] = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
    return turn_context


async def test_the_answer_to_help_is_a_reply_to_the_message(client: BotClient, connector: FakeConnector) -> None:
    message = personal_message("help", connector.service_url)

    response = await post_activity(client, message)

    assert response.status == 200
    [reply] = connector.sent
    assert reply.conversation_id == PERSONAL_CONVERSATION_ID
    assert reply.reply_to_id == message["id"]
    assert reply.cards and reply.cards[0]["type"] == "AdaptiveCard"
    assert connector.authorizations == [None]  # anonymous mode: no app id, no token


async def test_with_an_app_id_replies_carry_the_bot_token(connector: FakeConnector, clock: FixedClock) -> None:
    tokens = NumberedTokens()
    turn_context = turn_with_app_id(connector, tokens, clock)

    answer = await turn_context.send_activity("On it.")
    await turn_context.adapter.connector.close()

    assert answer is not None and answer.id == "sent-1"
    assert connector.texts() == ["On it."]
    assert connector.sent[0].reply_to_id == turn_context.activity.id
    assert connector.authorizations == ["Bearer token-0"]


async def test_an_updated_card_is_put_in_place(connector: FakeConnector, clock: FixedClock) -> None:
    turn_context = turn_with_app_id(connector, NumberedTokens(), clock)
    posted = await turn_context.send_activity(card_message(help_card([], how_to_address="there")))
    assert posted is not None
    update = card_message(help_card([], how_to_address="here"))
    update.id = posted.id

    answer = await turn_context.update_activity(update)
    await turn_context.adapter.connector.close()

    assert answer is not None and answer.id == posted.id
    [updated] = connector.updates  # an update, not a new message
    assert updated.activity_id == posted.id
    assert len(connector.sent) == 1
    assert updated.cards[0]["type"] == "AdaptiveCard"


async def test_an_update_of_a_message_teams_never_saw_is_refused(connector: FakeConnector, clock: FixedClock) -> None:
    turn_context = turn_with_app_id(connector, NumberedTokens(), clock)
    update = card_message(help_card([], how_to_address="here"))
    update.id = "sent-41"

    with pytest.raises(PermanentFailure, match="HTTP 404"):
        await turn_context.update_activity(update)
    await turn_context.adapter.connector.close()

    assert connector.updates == []


async def test_invoke_responses_stay_on_the_turn_and_traces_are_dropped(
    connector: FakeConnector, clock: FixedClock
) -> None:
    turn_context = turn_with_app_id(connector, NumberedTokens(), clock)
    invoke_response = Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=200))

    await turn_context.send_activities([invoke_response, Activity(type=ActivityTypes.trace, name="debug")])

    assert connector.sent == []
    stored = turn_context.turn_state[turn_context.adapter._INVOKE_RESPONSE_KEY]
    assert stored.type == ActivityTypes.invoke_response and stored.value.status == 200


def test_replies_are_written_as_botbuilder_writes_them() -> None:
    incoming = Activity().deserialize(personal_message("help", "https://smba.example/teams/"))
    reference = TurnContext.get_conversation_reference(incoming)
    for outgoing in (card_message(help_card([], how_to_address="here")), MessageFactory.text("Cancelled.")):
        reply = TurnContext.apply_conversation_reference(outgoing, reference)

        assert json.loads(json.dumps(model_fields(reply), default=wire_json)) == reply.serialize()


async def test_a_busy_chat_stores_its_reference_once_without_message_ids(
    client: BotClient, connector: FakeConnector, tmp_path: Path
) -> None:
    for _ in range(3):
        await post_activity(client, personal_message("help", connector.service_url))

    database = Database(f"sqlite:///{tmp_path / 'bot.db'}")
    async with database.read_session() as session:
        [row] = (await session.exec(select(ConversationReferenceRow))).all()
    await database.dispose()
    assert "activityId" not in row.reference
    assert row.updated_at == row.created_at  # written by the first message, unchanged since
    assert len(connector.sent) == 3
