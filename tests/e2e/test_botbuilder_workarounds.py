"""Each botbuilder 4.17.1 defect we work around, shown through /api/messages on the real app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from botbuilder.core import BotAdapter, TurnContext

from bot import teams_info
from bot.commands import ALL_SCOPES, Command, CommandArgs
from bot.wiring import BOT
from tests.support.activities import TEAM_ID, card_action, channel_message, personal_message
from tests.support.bot_app import BotClient, bot_client, post_activity
from tests.support.fake_connector import FakeConnector

APP_ID = "00000000-0000-0000-0000-000000000001"


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[BotClient]:
    async with bot_client(f"sqlite:///{tmp_path / 'bot.db'}") as test_client:
        yield test_client


@pytest.fixture
async def authenticated_client(tmp_path: Path) -> AsyncIterator[BotClient]:
    """The app with a Microsoft app id: every request must carry a valid Bot Framework token."""
    async with bot_client(
        f"sqlite:///{tmp_path / 'bot.db'}", MicrosoftAppId=APP_ID, MicrosoftAppPassword="not-a-real-secret"
    ) as test_client:
        yield test_client


# --- invoke responses with a body --------------------------------------------------------------


async def test_an_action_execute_click_answers_200_with_the_refreshed_card(
    client: BotClient, connector: FakeConnector
) -> None:
    response = await post_activity(client, card_action("help", connector.service_url))

    assert response.status == 200
    body = await response.json()
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert body["value"]["type"] == "AdaptiveCard"
    assert connector.sent == []  # the card is refreshed in place, nothing is posted


async def test_an_unknown_button_verb_answers_200_with_a_message_for_the_user(
    client: BotClient, connector: FakeConnector
) -> None:
    response = await post_activity(client, card_action("incident.ack.v0", connector.service_url))

    assert response.status == 200
    body = await response.json()
    assert body["type"] == "application/vnd.microsoft.activity.message"
    assert "no longer supported" in body["value"]


# --- authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["Bearer garbage", "Bearer a.b.c", "Basic dXNlcjpwYXNz", "Bearer"])
async def test_a_malformed_authorization_header_is_401_not_500(
    authenticated_client: BotClient, connector: FakeConnector, header: str
) -> None:
    response = await post_activity(
        authenticated_client, personal_message("help", connector.service_url), Authorization=header
    )

    assert response.status == 401
    assert (await response.json()) == {"error": "missing or invalid Bot Framework token"}
    assert connector.sent == []


async def test_a_token_from_an_unknown_issuer_is_401(authenticated_client: BotClient, connector: FakeConnector) -> None:
    forged = jwt.encode(
        {"iss": "https://attacker.example", "aud": APP_ID},
        "a-guessed-secret-that-is-long-enough-for-hs256",
        algorithm="HS256",
    )

    response = await post_activity(
        authenticated_client, personal_message("help", connector.service_url), Authorization=f"Bearer {forged}"
    )

    assert response.status == 401
    assert connector.sent == []


async def test_with_an_app_id_a_request_without_a_token_is_401(
    authenticated_client: BotClient, connector: FakeConnector
) -> None:
    response = await post_activity(authenticated_client, personal_message("help", connector.service_url))

    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_a_garbage_token_is_401_even_in_anonymous_mode(client: BotClient, connector: FakeConnector) -> None:
    response = await post_activity(
        client, personal_message("help", connector.service_url), Authorization="Bearer garbage"
    )

    assert response.status == 401


# --- requests that are not activities ----------------------------------------------------------


async def test_a_body_that_is_not_json_is_415(client: BotClient) -> None:
    response = await client.post("/api/messages", data="type=message", headers={"Content-Type": "text/plain"})

    assert response.status == 415
    assert (await response.json())["error"] == "Content-Type must be application/json"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('{"text": "help"}', "an activity needs a 'type'"),
        ('{"type": ""}', "an activity needs a 'type'"),
        ("[1, 2]", "the body must be a JSON object (a Bot Framework activity)"),
        ("{not json", "the body is not valid JSON"),
        ('{"type": "message", "text": "hi"}', "an activity needs 'serviceUrl' and 'conversation.id'"),
    ],
)
async def test_json_that_is_not_an_activity_is_400_with_the_reason(client: BotClient, body: str, reason: str) -> None:
    response = await client.post("/api/messages", data=body, headers={"Content-Type": "application/json"})

    assert response.status == 400
    assert (await response.json())["error"].startswith(reason)  # JSON errors add the parser's position


async def test_a_body_over_256_kb_is_413(client: BotClient, connector: FakeConnector) -> None:
    activity = personal_message("x" * (300 * 1024), connector.service_url)

    response = await post_activity(client, activity)

    assert response.status == 413
    assert (await response.json()) == {"error": "an activity must be under 256 KB"}
    assert connector.sent == []


# --- connector clients -------------------------------------------------------------------------


async def test_two_turns_share_one_connector_client(client: BotClient, connector: FakeConnector) -> None:
    clients: list[Any] = []

    async def remember_client(turn_context: TurnContext, _args: CommandArgs) -> None:
        clients.append(turn_context.turn_state[BotAdapter.BOT_CONNECTOR_CLIENT_KEY])
        await turn_context.send_activity("noted")

    client.app[BOT].commands.register(Command("probe", "probe", "test probe", ALL_SCOPES, remember_client))

    await post_activity(client, personal_message("probe", connector.service_url))
    await post_activity(client, channel_message("probe", connector.service_url))

    assert len(clients) == 2
    assert clients[0] is clients[1]
    assert client.app[BOT].authentication.connectors.created == 1
    assert connector.texts() == ["noted", "noted"]


# --- TeamsInfo ---------------------------------------------------------------------------------


async def test_team_details_and_channels_are_fetched_without_blocking_the_event_loop(
    client: BotClient, connector: FakeConnector
) -> None:
    # The fake connector answers on this test's event loop: were the blocking client run on the
    # loop, it would wait for an answer the loop could never give.
    async def describe_team(turn_context: TurnContext, _args: CommandArgs) -> None:
        details = await teams_info.get_team_details(turn_context)
        channels = await teams_info.get_team_channels(turn_context)
        names = ", ".join(channel.name or "General" for channel in channels)
        await turn_context.send_activity(f"{details.name} ({details.id}): {names}")

    client.app[BOT].commands.register(Command("team", "team", "test probe", ALL_SCOPES, describe_team))

    await post_activity(client, channel_message("team", connector.service_url))

    assert connector.texts() == [f"SRE payments ({TEAM_ID}): General, incidents"]
    assert len(connector.team_request_threads) == 2


async def test_team_details_outside_a_team_tell_the_user_instead_of_failing(
    client: BotClient, connector: FakeConnector
) -> None:
    async def describe_team(turn_context: TurnContext, _args: CommandArgs) -> None:
        try:
            await teams_info.get_team_details(turn_context)
        except teams_info.NotInATeam as error:
            await turn_context.send_activity(str(error))

    client.app[BOT].commands.register(Command("team", "team", "test probe", ALL_SCOPES, describe_team))

    await post_activity(client, personal_message("team", connector.service_url))

    assert connector.texts() == ["this only works in a team channel (or with a team id)"]
