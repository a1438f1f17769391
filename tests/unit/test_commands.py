"""bot.commands: registering, parsing and suggesting chat commands."""

from __future__ import annotations

import pytest
from botbuilder.core import TurnContext

from bot.commands import (
    ALL_SCOPES,
    GROUP_CHAT,
    PERSONAL,
    SHARED_SCOPES,
    TEAM,
    Command,
    CommandArgs,
    CommandRegistry,
    normalise_command_text,
    scope_of,
)


async def nothing(_turn_context: TurnContext, _args: CommandArgs) -> None:
    return None


def registry() -> CommandRegistry:
    commands = CommandRegistry()
    commands.register(Command("help", "help [command]", "Show what I can do", ALL_SCOPES, nothing))
    commands.register(Command("incident", "incident P1 <title>", "Declare an incident", SHARED_SCOPES, nothing))
    commands.register(Command("oncall", "oncall", "Who is on call", ALL_SCOPES, nothing))
    return commands


def test_parse_splits_the_command_word_from_its_arguments() -> None:
    command, args = registry().parse("Incident P1 payments API\nreturns 500s", TEAM)

    assert command is not None and command.name == "incident"
    assert args == CommandArgs(name="incident", text="P1 payments API\nreturns 500s", scope=TEAM)
    assert args.words == ["P1", "payments", "API", "returns", "500s"]


def test_a_command_outside_its_scopes_is_not_parsed_as_one() -> None:
    command, args = registry().parse("incident P1 db", PERSONAL)

    assert command is None
    assert args.name == "incident"


def test_available_lists_the_scope_commands_in_registration_order() -> None:
    assert [c.name for c in registry().available(TEAM)] == ["help", "incident", "oncall"]
    assert [c.name for c in registry().available(PERSONAL)] == ["help", "oncall"]


def test_a_typo_is_answered_with_the_closest_command_and_its_usage() -> None:
    suggestion = registry().suggest("oncal", GROUP_CHAT)

    assert suggestion.closest is not None and suggestion.closest.name == "oncall"
    assert suggestion.message == "I don't know `oncal`. Did you mean `oncall`? Usage: `oncall`"


def test_nothing_close_points_to_help() -> None:
    assert registry().suggest("zzz", TEAM).message == "I don't know `zzz`. Type `help` to see what I can do here."


def test_registering_a_name_twice_is_a_wiring_mistake() -> None:
    commands = registry()

    with pytest.raises(ValueError, match="already registered"):
        commands.register(Command("help", "help", "again", ALL_SCOPES, nothing))


@pytest.mark.parametrize(
    ("name", "usage", "scopes", "complaint"),
    [
        ("Incident", "Incident", ALL_SCOPES, "one lower-case word"),
        ("on call", "on call", ALL_SCOPES, "one lower-case word"),
        ("oncall", "who is on call", ALL_SCOPES, "must start with its name"),
        ("oncall", "oncall", frozenset({"channel"}), "scopes of 'oncall'"),
        ("oncall", "oncall", frozenset(), "scopes of 'oncall'"),
    ],
)
def test_a_badly_declared_command_is_refused(name: str, usage: str, scopes: frozenset[str], complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        Command(name, usage, "summary", scopes, nothing)


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [("/help", "help"), ("  / help me ", "help me"), ("help", "help"), ("", ""), (None, "")],
)
def test_a_leading_slash_and_outer_spaces_are_dropped(typed: str | None, normalised: str) -> None:
    assert normalise_command_text(typed) == normalised


@pytest.mark.parametrize(
    ("conversation_type", "scope"),
    [("channel", TEAM), ("groupChat", GROUP_CHAT), ("personal", PERSONAL), (None, PERSONAL)],
)
def test_teams_conversation_types_map_to_manifest_scopes(conversation_type: str | None, scope: str) -> None:
    assert scope_of(conversation_type) == scope
