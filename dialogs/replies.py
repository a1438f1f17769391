"""How dialogs answer: a plain sentence in chat, and card buttons that answer a broken rule in words."""

from __future__ import annotations

from typing import Any

from botbuilder.core import MessageFactory, TurnContext

from bot.card_actions import CardActionHandler, CardActionResult
from bot.cards import readable


async def say(turn_context: TurnContext, text: str) -> None:
    """Send `text` as a plain message to the turn's conversation, its `<placeholders>` kept readable."""
    await turn_context.send_activity(MessageFactory.text(readable(text)))


def sentence(text: str) -> str:
    """`text` with a capital first letter: domain errors are clauses, answers are sentences."""
    return text[:1].upper() + text[1:]


def answering_errors(handler: CardActionHandler, *errors: type[Exception]) -> CardActionHandler:
    """`handler`, but any of `errors` answers as a short sentence, so the clicked card stays as it was.

    Only the given errors: anything else is a bug and propagates to the bot's error handling.
    """
    if not errors:
        raise ValueError("answering_errors needs at least one error type to answer")

    async def guarded(turn_context: TurnContext, data: dict[str, Any]) -> CardActionResult:
        try:
            return await handler(turn_context, data)
        except errors as error:
            return readable(sentence(str(error)))

    return guarded
