"""Chat commands: what users can type, in which scope, and the function that answers each.

Features register their commands from the composition root:

    registry.register(Command("oncall", "oncall", "Who is on call now and next", ALL_SCOPES, show_oncall))

and the help card, the unknown-command suggestions and dispatch all come from the registry.
"""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from botbuilder.core import TurnContext

TEAM, GROUP_CHAT, PERSONAL = "team", "groupChat", "personal"
ALL_SCOPES = frozenset({TEAM, GROUP_CHAT, PERSONAL})
SHARED_SCOPES = frozenset({TEAM, GROUP_CHAT})

# Teams conversation types, mapped to the manifest's command-list scopes.
_SCOPE_OF_CONVERSATION_TYPE = {"channel": TEAM, "groupChat": GROUP_CHAT, "personal": PERSONAL}
SCOPE_NAMES = {TEAM: "in a team channel", GROUP_CHAT: "in a group chat", PERSONAL: "in a personal chat"}
# How a message reaches the bot: in a channel the bot reads every message (the manifest's RSC
# permission) but answers only those that @mention it or start with "/"; in a group chat Teams
# delivers only the messages that @mention the bot.
HOW_TO_ADDRESS = {
    TEAM: "In a channel, @mention me (type @circlebot and pick me from the list) or start with /: "
    "@circlebot incident P1 Checkout down, or /incident P1 Checkout down. Other channel messages are not "
    "for me (in an incident's thread they go to its timeline).",
    GROUP_CHAT: "In a group chat, @mention me first (type @circlebot and pick me from the list); "
    "the leading / is optional.",
    PERSONAL: "Here, just type the command; the leading / is optional.",
}


@dataclass(frozen=True)
class CommandArgs:
    """What followed the command word, and where it was typed."""

    name: str
    text: str = ""
    scope: str = PERSONAL

    @property
    def words(self) -> list[str]:
        return self.text.split()


CommandHandler = Callable[[TurnContext, CommandArgs], Awaitable[None]]


@dataclass(frozen=True)
class Command:
    """A chat command. `usage` starts with the name ("incident P1 <title>"); `scopes` are manifest scopes."""

    name: str
    usage: str
    summary: str
    scopes: frozenset[str]
    handler: CommandHandler = field(compare=False)
    # One typed example per sub-command, as the help card shows them ("/incident ack INC-7").
    examples: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if not self.name or self.name != self.name.lower() or " " in self.name:
            raise ValueError(f"command names are one lower-case word, got {self.name!r}")
        if not self.usage.startswith(self.name):
            raise ValueError(f"usage of {self.name!r} must start with its name, got {self.usage!r}")
        unknown = set(self.scopes) - ALL_SCOPES
        if unknown or not self.scopes:
            raise ValueError(f"scopes of {self.name!r} must be among {sorted(ALL_SCOPES)}, got {sorted(self.scopes)}")


@dataclass(frozen=True)
class Suggestion:
    """The answer to a command we do not know, or one that does not work here."""

    message: str
    closest: Command | None


class CommandRegistry:
    """The commands the bot understands, in registration order."""

    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}

    def register(self, command: Command) -> Command:
        """Add `command`; registering a name twice is a wiring mistake and raises ValueError."""
        if command.name in self._commands:
            raise ValueError(f"command {command.name!r} is already registered")
        self._commands[command.name] = command
        return command

    def get(self, name: str) -> Command | None:
        return self._commands.get(name.lower())

    def available(self, scope: str) -> list[Command]:
        """Commands usable in `scope`, in registration order."""
        return [command for command in self._commands.values() if scope in command.scopes]

    def parse(self, text: str, scope: str = PERSONAL) -> tuple[Command | None, CommandArgs]:
        """Split normalised text into a known command (or None) and its arguments."""
        words = text.strip().split(maxsplit=1)
        name = words[0].lower().lstrip("/") if words else ""
        rest = words[1].strip() if len(words) > 1 else ""
        command = self._commands.get(name)
        if command is not None and scope not in command.scopes:
            command = None
        return command, CommandArgs(name=name, text=rest, scope=scope)

    def suggest(self, name: str, scope: str) -> Suggestion:
        """Why `name` is not a command here, with the closest command that is."""
        elsewhere = self._commands.get(name)
        if elsewhere is not None:
            places = " or ".join(SCOPE_NAMES[s] for s in sorted(elsewhere.scopes))
            return Suggestion(f"`{name}` works {places}, not {SCOPE_NAMES.get(scope, 'here')}.", None)
        candidates = {command.name: command for command in self.available(scope)}
        close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.5)
        if not close:
            return Suggestion(f"I don't know `{name}`. Type `help` to see what I can do here.", None)
        closest = candidates[close[0]]
        return Suggestion(f"I don't know `{name}`. Did you mean `{closest.name}`? Usage: `{closest.usage}`", closest)


def scope_of(conversation_type: str | None) -> str:
    """The manifest scope of a Teams conversation type; unknown types count as personal."""
    return _SCOPE_OF_CONVERSATION_TYPE.get(conversation_type or "", PERSONAL)


def normalise_command_text(text: str | None) -> str:
    """Text stripped, without a leading "/" (the bot's mention is removed before)."""
    cleaned = (text or "").strip()
    return cleaned[1:].lstrip() if cleaned.startswith("/") else cleaned
