"""The commands every installation has: `help` and `cancel`, and the welcome card's help button."""

from __future__ import annotations

from typing import Any

from botbuilder.core import MessageFactory, TurnContext

from bot.card_actions import CardActionRegistry
from bot.cards import Card, card_message, help_card, readable
from bot.commands import ALL_SCOPES, HOW_TO_ADDRESS, Command, CommandArgs, CommandRegistry, scope_of
from bot.dialog_runner import DialogRunner


def register_builtin_commands(
    commands: CommandRegistry, card_actions: CardActionRegistry, dialogs: DialogRunner
) -> None:
    """Register `help` (command and button) and `cancel`."""

    def card_for(scope: str) -> Card:
        return help_card(commands.available(scope), how_to_address=HOW_TO_ADDRESS[scope])

    async def show_help(turn_context: TurnContext, args: CommandArgs) -> None:
        if args.words:
            asked = commands.get(args.words[0].lstrip("/"))
            if asked is not None and args.scope in asked.scopes:
                examples = "".join(f"\n- {example}" for example in asked.examples)
                answer = f"`/{asked.usage}`: {asked.summary}" + (f". For example:{examples}" if examples else "")
                await turn_context.send_activity(MessageFactory.text(readable(answer)))
                return
            suggestion = commands.suggest(args.words[0].lower().lstrip("/"), args.scope)
            await turn_context.send_activity(MessageFactory.text(readable(suggestion.message)))
            return
        await turn_context.send_activity(card_message(card_for(args.scope)))

    async def cancel(turn_context: TurnContext, _args: CommandArgs) -> None:
        cancelled = await dialogs.cancel_all(turn_context)
        await turn_context.send_activity(MessageFactory.text("Cancelled." if cancelled else "Nothing to cancel."))

    async def help_button(turn_context: TurnContext, _data: dict[str, Any]) -> Card:
        return card_for(scope_of(turn_context.activity.conversation.conversation_type))

    commands.register(
        Command(
            "help",
            "help [command]",
            "Show what I can do here, or how to use one command",
            ALL_SCOPES,
            show_help,
            examples=("/help incident",),
        )
    )
    commands.register(
        Command("cancel", "cancel", "Stop the question I am waiting for an answer to", ALL_SCOPES, cancel, ("/cancel",))
    )
    card_actions.register("help", help_button)
