"""Every Adaptive Card a fake Bot Connector receives is checked against Adaptive Card 1.5.

The fakes record each invalid card as it arrives and fail the test when they close, so a card that
Teams would render wrong (or refuse) fails whichever test sent it, not only a hand-picked example.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tests.card_schema import card_errors

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
# Teams refuses a message over ~100 KB, the whole activity measured (bot/cards.py keeps cards below).
TEAMS_MESSAGE_LIMIT_BYTES = 100 * 1024


def adaptive_cards(activity: dict[str, Any]) -> list[dict[str, Any]]:
    """The Adaptive Cards attached to `activity`, in order."""
    return [
        attachment.get("content") or {}
        for attachment in activity.get("attachments") or []
        if attachment.get("contentType") == ADAPTIVE_CARD
    ]


@dataclass
class CardCheck:
    """Collects what is wrong with the cards a fake connector received."""

    problems: list[str] = field(default_factory=list)

    def inspect(self, where: str, activity: dict[str, Any]) -> None:
        if len(json.dumps(activity, ensure_ascii=False).encode()) > TEAMS_MESSAGE_LIMIT_BYTES:
            self.problems.append(f"{where}: the activity is over Teams' {TEAMS_MESSAGE_LIMIT_BYTES} bytes")
        for card in adaptive_cards(activity):
            self.problems.extend(f"{where}: {error}" for error in card_errors(card))

    def raise_if_any(self) -> None:
        if self.problems:
            raise AssertionError("the bot sent invalid Adaptive Cards:\n  " + "\n  ".join(self.problems))
