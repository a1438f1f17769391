"""What a Teams user sees from the front door: help, suggestions, the welcome, and nothing twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botbuilder.core import TurnContext
from prometheus_client import generate_latest
from sqlmodel import select

from adapters.runtime import RUNTIME
from bot.commands import PERSONAL, SHARED_SCOPES, Command, CommandArgs
from bot.messenger import Messenger
from bot.teams_notifier import TeamsNotifier
from bot.wiring import BOT
from storage import conversations
from tests.support.activities import (
    BOT_ID,
    CHANNEL_ID,
    PERSONAL_CONVERSATION_ID,
    TEAM_ID,
    TENANT_ID,
    USER_AAD_ID,
    USER_ID,
    bot_added_to_team,
    channel_message,
    group_chat_message,
    installed_in_team,
    installed_personally,
    personal_message,
)
from tests.support.bot_app import BotClient, post_activity, runtime_of
from tests.support.fake_connector import FakeConnector


def register_team_only_command(client: BotClient) -> None:
    async def declare(turn_context: TurnContext, args: CommandArgs) -> None:
        await turn_context.send_activity(f"declared: {args.text}")

    client.app[BOT].commands.register(
        Command("rehearse", "rehearse <scenario>", "Rehearse an incident scenario", SHARED_SCOPES, declare)
    )


def fact_titles(card: dict[str, Any]) -> list[str]:
    fact_sets = [element for element in card["body"] if element["type"] == "FactSet"]
    return [fact["title"] for fact in fact_sets[0]["facts"]]


# --- help ----------------------------------------------------------------------------------------


async def test_help_with_the_bot_mentioned_in_a_channel_lists_the_team_commands(
    client: BotClient, connector: FakeConnector
) -> None:
    register_team_only_command(client)

    response = await post_activity(client, channel_message("help", connector.service_url))

    assert response.status == 200
    [reply] = connector.sent
    [card] = reply.cards
    titles = fact_titles(card)
    assert titles[:2] == ["/help [command]", "/cancel"]
    # Teams would take <scenario> for an HTML tag and drop it: placeholders are drawn in angle quotes.
    assert "/rehearse \u2039scenario\u203a" in titles
    assert reply.reply_to_id is not None  # answered in the thread of the message


async def test_the_channel_help_says_to_mention_the_bot_and_shows_one_example_per_sub_command(
    client: BotClient, connector: FakeConnector
) -> None:
    await post_activity(client, channel_message("help", connector.service_url))

    [card] = connector.cards()
    texts = [e["text"] for e in card["body"] if e["type"] == "TextBlock"]
    assert texts[1].startswith("In a channel, @mention me (type @circlebot and pick me from the list) or start with /")
    examples = texts[texts.index("Examples") + 1]
    for sub in ("ack", "status", "note", "assign", "severity", "impact", "update", "resolve", "reopen", "close"):
        assert f"- /incident {sub} INC-7" in examples, sub
    assert "- /incident P1 Checkout API returns 500" in examples
    assert "- /oncall override @Sara tomorrow 18:00 09:00 dentist" in examples


@pytest.mark.parametrize("text", ["help", "/help", "HELP", "  /Help  "])
async def test_help_in_a_personal_chat_lists_only_personal_commands(
    client: BotClient, connector: FakeConnector, text: str
) -> None:
    register_team_only_command(client)

    await post_activity(client, personal_message(text, connector.service_url))

    [card] = connector.cards()
    titles = fact_titles(card)
    assert titles[:2] == ["/help [command]", "/cancel"]
    assert "/rehearse \u2039scenario\u203a" not in titles
    assert not any(title.startswith("/incident") for title in titles)


async def test_the_bot_mention_alone_shows_help(client: BotClient, connector: FakeConnector) -> None:
    await post_activity(client, channel_message("", connector.service_url))

    [card] = connector.cards()
    assert "/help [command]" in fact_titles(card)


async def test_help_with_a_command_name_gives_its_usage(client: BotClient, connector: FakeConnector) -> None:
    register_team_only_command(client)

    await post_activity(client, group_chat_message("help rehearse", connector.service_url))

    assert connector.texts() == ["`/rehearse \u2039scenario\u203a`: Rehearse an incident scenario"]


# --- unknown commands ----------------------------------------------------------------------------


async def test_an_unknown_command_gets_the_closest_command_and_its_usage(
    client: BotClient, connector: FakeConnector
) -> None:
    register_team_only_command(client)

    await post_activity(client, channel_message("/rehaerse failover", connector.service_url))

    assert connector.texts() == [
        "I don't know `rehaerse`. Did you mean `rehearse`? Usage: `rehearse \u2039scenario\u203a`"
    ]


async def test_gibberish_points_to_help(client: BotClient, connector: FakeConnector) -> None:
    await post_activity(client, personal_message("xyzzy", connector.service_url))

    assert connector.texts() == ["I don't know `xyzzy`. Type `help` to see what I can do here."]


async def test_a_team_command_in_a_personal_chat_says_where_it_works(
    client: BotClient, connector: FakeConnector
) -> None:
    register_team_only_command(client)

    await post_activity(client, personal_message("rehearse failover", connector.service_url))

    assert connector.texts() == ["`rehearse` works in a group chat or in a team channel, not in a personal chat."]


async def test_a_command_gets_its_arguments_without_the_mention(client: BotClient, connector: FakeConnector) -> None:
    register_team_only_command(client)

    await post_activity(client, channel_message("rehearse payments API failover", connector.service_url))

    assert connector.texts() == ["declared: payments API failover"]


# --- redelivery ----------------------------------------------------------------------------------


async def test_a_redelivered_activity_is_answered_once(client: BotClient, connector: FakeConnector) -> None:
    activity = personal_message("help", connector.service_url)

    first = await post_activity(client, activity)
    again = await post_activity(client, activity)

    assert (first.status, again.status) == (200, 200)
    assert len(connector.sent) == 1


async def test_the_same_activity_id_in_another_conversation_is_not_a_redelivery(
    client: BotClient, connector: FakeConnector
) -> None:
    await post_activity(client, personal_message("help", connector.service_url, id="same-id"))
    await post_activity(client, group_chat_message("help", connector.service_url, id="same-id"))

    assert len(connector.sent) == 2


# --- conversation references ---------------------------------------------------------------------


async def test_a_channel_message_stores_the_team_channel_and_tenant(
    client: BotClient, connector: FakeConnector
) -> None:
    await post_activity(client, channel_message("help", connector.service_url))

    async with client.app[RUNTIME].database.session() as session:
        record = await conversations.channel_conversation(session, CHANNEL_ID)
    assert record is not None
    assert (record.team_id, record.channel_id, record.tenant_id) == (TEAM_ID, CHANNEL_ID, TENANT_ID)
    assert record.service_url == connector.service_url
    assert record.reference["conversation"]["id"] == record.conversation_id
    assert record.reference["bot"]["id"] == BOT_ID


async def test_a_personal_chat_is_found_by_teams_user_id_and_by_aad_id(
    client: BotClient, connector: FakeConnector
) -> None:
    await post_activity(client, personal_message("hello", connector.service_url))

    async with client.app[RUNTIME].database.session() as session:
        by_teams_id = await conversations.personal_conversation(session, teams_user_id=USER_ID)
        by_aad_id = await conversations.personal_conversation(session, aad_id=USER_AAD_ID)
    assert by_teams_id is not None and by_aad_id is not None
    assert by_teams_id.conversation_id == by_aad_id.conversation_id == PERSONAL_CONVERSATION_ID
    assert by_teams_id.conversation_type == PERSONAL
    assert by_teams_id.reference["user"]["aadObjectId"] == USER_AAD_ID


async def test_installation_stores_the_reference_before_anyone_speaks(
    client: BotClient, connector: FakeConnector
) -> None:
    await post_activity(client, installed_in_team(connector.service_url))

    async with client.app[RUNTIME].database.session() as session:
        record = await conversations.get_reference(session, CHANNEL_ID)
    assert record is not None
    assert record.team_id == TEAM_ID


# --- welcome -------------------------------------------------------------------------------------


async def test_installing_in_a_team_posts_the_welcome_card_once(client: BotClient, connector: FakeConnector) -> None:
    # Teams sends both events on installation, and may redeliver or reinstall later.
    await post_activity(client, installed_in_team(connector.service_url))
    await post_activity(client, bot_added_to_team(connector.service_url))
    await post_activity(client, installed_in_team(connector.service_url))

    [welcome] = connector.sent
    assert welcome.conversation_id == CHANNEL_ID
    [card] = welcome.cards
    assert card["body"][0]["text"] == "Hi, I'm circlebot"
    assert card["actions"] == [{"type": "Action.Execute", "title": "Show commands", "verb": "help"}]


async def test_installing_personally_greets_in_the_personal_chat(client: BotClient, connector: FakeConnector) -> None:
    await post_activity(client, installed_personally(connector.service_url))
    await post_activity(client, installed_personally(connector.service_url))

    [welcome] = connector.sent
    assert welcome.conversation_id == PERSONAL_CONVERSATION_ID
    assert "our chat" in welcome.cards[0]["body"][1]["text"]


# --- failures ------------------------------------------------------------------------------------


async def test_a_failing_command_apologises_with_a_reference_and_no_stack_trace(
    client: BotClient, connector: FakeConnector
) -> None:
    async def broken(_turn_context: TurnContext, _args: CommandArgs) -> None:
        raise RuntimeError("database password is hunter2")

    client.app[BOT].commands.register(Command("broken", "broken", "always fails", SHARED_SCOPES, broken))
    activity = channel_message("broken", connector.service_url)

    response = await post_activity(client, activity)

    assert response.status == 200
    assert connector.texts() == [f"Sorry, something went wrong on my side; it has been logged (ref {activity['id']})."]


async def test_turns_are_counted_by_activity_type(client: BotClient, connector: FakeConnector) -> None:
    await post_activity(client, personal_message("help", connector.service_url))
    await post_activity(client, installed_personally(connector.service_url))

    exposition = generate_latest(client.app[RUNTIME].metrics.registry).decode()
    assert 'circlebot_turns_total{type="message"} 1.0' in exposition
    assert 'circlebot_turns_total{type="installationUpdate"} 1.0' in exposition


async def test_posts_in_a_channel_store_one_address_for_the_channel_not_a_row_per_post(
    client: BotClient, connector: FakeConnector
) -> None:
    # Every new post is its own thread conversation; with the channel-message permission the bot
    # hears them all, so a row per post would grow without end.
    for user in range(3):
        poster = {"id": f"29:poster-{user}", "name": f"Poster {user}", "aadObjectId": f"aad-poster-{user}"}
        await post_activity(client, channel_message("help", connector.service_url, **{"from": poster}))
    await post_activity(client, channel_message("thanks", connector.service_url, mention_bot=False))

    async with runtime_of(client).database.read_session() as session:
        rows = (await session.exec(select(conversations.ConversationReferenceRow))).all()
    assert [(row.conversation_id, row.channel_id, row.user_teams_id) for row in rows] == [
        (CHANNEL_ID, CHANNEL_ID, None)
    ]
    assert rows[0].reference["conversation"]["id"] == CHANNEL_ID
    assert "user" not in rows[0].reference and "activityId" not in rows[0].reference


@pytest.mark.parametrize(
    "arrival",
    [
        pytest.param(installed_in_team, id="installed"),
        # No installation event: the bot learns the channel's address from a post in one of its threads.
        pytest.param(lambda service_url: channel_message("help", service_url), id="someone-posts"),
    ],
)
async def test_a_message_queued_for_the_channel_before_the_bot_knew_it_goes_once_the_bot_does(
    client: BotClient, connector: FakeConnector, arrival: Callable[[str], dict[str, Any]]
) -> None:
    # The first start-up catches up a shift change before anyone has installed the app in the team.
    runtime = runtime_of(client)
    teams = TeamsNotifier(Messenger(), runtime.clock)
    async with runtime.uow() as uow:
        channel = await teams.channel(uow, CHANNEL_ID)
        teams.send(uow, channel, "Handover: Sara is on call", "teams:handover:test")
        await uow.commit()
    await runtime.relay.drain()
    assert connector.sent == []

    await post_activity(client, arrival(connector.service_url))  # the clock does not move
    await runtime.relay.drain()

    assert "Handover: Sara is on call" in [sent.text for sent in connector.sent if sent.conversation_id == CHANNEL_ID]
