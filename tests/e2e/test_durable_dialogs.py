"""A conversation started on one replica continues on another: dialog state lives in the database."""

from __future__ import annotations

from pathlib import Path

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.dialogs import DialogTurnResult, PromptOptions, TextPrompt, WaterfallDialog, WaterfallStepContext

from bot.commands import ALL_SCOPES, Command, CommandArgs
from bot.wiring import BOT
from tests.support.activities import personal_message
from tests.support.bot_app import BotClient, bot_client, post_activity
from tests.support.fake_connector import FakeConnector

SURVEY = "survey"
TEXT_PROMPT = "survey.text"


async def ask_name(step: WaterfallStepContext) -> DialogTurnResult:
    return await step.prompt(TEXT_PROMPT, PromptOptions(prompt=MessageFactory.text("Who is on call?")))


async def ask_service(step: WaterfallStepContext) -> DialogTurnResult:
    step.values["name"] = step.result
    return await step.prompt(TEXT_PROMPT, PromptOptions(prompt=MessageFactory.text("Which service is down?")))


async def confirm(step: WaterfallStepContext) -> DialogTurnResult:
    await step.context.send_activity(f"Paging {step.values['name']} about {step.result}.")
    return await step.end_dialog()


def install_survey(client: BotClient) -> None:
    """What a feature does at wiring time, on every replica: add the dialog and a command starting it."""
    components = client.app[BOT]
    components.dialogs.add(WaterfallDialog(SURVEY, [ask_name, ask_service, confirm]))
    components.dialogs.add(TextPrompt(TEXT_PROMPT))

    async def start(turn_context: TurnContext, _args: CommandArgs) -> None:
        await components.dialogs.begin(turn_context, SURVEY)

    components.commands.register(Command("page", "page", "Page someone", ALL_SCOPES, start))


async def test_a_dialog_started_on_one_replica_continues_on_another(tmp_path: Path) -> None:
    shared_database = f"sqlite:///{tmp_path / 'shared.db'}"
    async with (
        FakeConnector() as connector,
        bot_client(shared_database) as replica_a,
        bot_client(shared_database) as replica_b,
    ):
        install_survey(replica_a)
        install_survey(replica_b)

        await post_activity(replica_a, personal_message("page", connector.service_url))
        await post_activity(replica_b, personal_message("Ada", connector.service_url))
        await post_activity(replica_a, personal_message("payments API", connector.service_url))

    assert connector.texts() == ["Who is on call?", "Which service is down?", "Paging Ada about payments API."]


async def test_cancel_ends_the_dialog_waiting_for_an_answer(tmp_path: Path) -> None:
    async with FakeConnector() as connector, bot_client(f"sqlite:///{tmp_path / 'bot.db'}") as client:
        install_survey(client)

        await post_activity(client, personal_message("page", connector.service_url))
        await post_activity(client, personal_message("cancel", connector.service_url))
        await post_activity(client, personal_message("Ada", connector.service_url))

    assert connector.texts() == [
        "Who is on call?",
        "Cancelled.",
        "I don't know `ada`. Type `help` to see what I can do here.",
    ]


async def test_a_command_typed_during_a_dialog_runs_and_the_dialog_still_waits(tmp_path: Path) -> None:
    # Commands come before dialogs: `help` answers with the help card, and the question stays open.
    async with FakeConnector() as connector, bot_client(f"sqlite:///{tmp_path / 'bot.db'}") as client:
        install_survey(client)

        await post_activity(client, personal_message("page", connector.service_url))
        await post_activity(client, personal_message("help", connector.service_url))
        await post_activity(client, personal_message("Ada", connector.service_url))

    assert connector.texts() == ["Who is on call?", "Which service is down?"]
    assert len(connector.cards()) == 1  # the help card, between the two questions
