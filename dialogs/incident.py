"""Installs the incident feature: the `/incident` command, its card buttons, and thread recording."""

from __future__ import annotations

from botbuilder.core import TurnContext

from bot.commands import SHARED_SCOPES, Command
from bot.wiring import BotComponents
from dialogs.incident_actions import IncidentActions
from dialogs.incident_commands import EXAMPLES, IncidentCommands
from dialogs.incident_desk import IncidentDesk, actor
from domain import incident_service as service


def install_incidents(bot: BotComponents, desk: IncidentDesk) -> IncidentCommands:
    """Register `/incident`, the incident card verbs, and the incident-thread recorder."""
    commands = IncidentCommands(desk)
    bot.commands.register(
        Command(
            "incident",
            "incident [P1-P4 <title>] | ack | status | note | assign | severity | impact | update | resolve | "
            "reopen | close | show | list",
            "Declare an incident (form, or at once with a severity and title) and work it",
            SHARED_SCOPES,
            commands.handle,
            EXAMPLES,
        )
    )
    IncidentActions(desk, commands).register(bot.card_actions)

    async def record_thread_message(turn_context: TurnContext, text: str) -> None:
        # Ordinary messages in an incident's thread are part of its story (the timeline).
        if not text.strip():
            return
        here = await desk.incident_here(turn_context)
        if here is None or not here[0].is_open:
            return
        incident, circle = here
        await desk.run(service.add_note, incident.number, actor(turn_context, circle), text, kind="thread")

    bot.bot.add_channel_listener(record_thread_message)
    return commands
