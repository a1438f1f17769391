"""Card buttons: Action.Execute verbs (refresh the card in place) and Action.Submit forms.

A handler gets the button's data and answers with a card (which replaces the clicked one for
Action.Execute, or is sent for Action.Submit), a short text, or None for a plain acknowledgement.
Invoke handlers must answer within a few seconds: slow work goes to the outbox.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import TurnContext

CardActionResult = dict[str, Any] | str | None
CardActionHandler = Callable[[TurnContext, dict[str, Any]], Awaitable[CardActionResult]]

# Action.Submit has no verb of its own; our forms carry it in their data under this key.
VERB_KEY = "verb"


class CardActionRegistry:
    """Handlers by verb."""

    def __init__(self) -> None:
        self._handlers: dict[str, CardActionHandler] = {}

    def register(self, verb: str, handler: CardActionHandler) -> None:
        """Handle buttons with `verb`; registering a verb twice raises ValueError."""
        if not verb:
            raise ValueError("a card action needs a verb")
        if verb in self._handlers:
            raise ValueError(f"card action {verb!r} is already registered")
        self._handlers[verb] = handler

    def get(self, verb: str) -> CardActionHandler | None:
        return self._handlers.get(verb)
