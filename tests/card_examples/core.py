"""Examples of the shared cards (bot/cards.py) for tests/unit/test_cards_schema.py."""

from __future__ import annotations

from collections.abc import Callable

from bot.cards import (
    Card,
    adaptive_card,
    execute_action,
    fact_set,
    help_card,
    submit_action,
    text_block,
    text_card,
    truncate_for_teams,
    welcome_card,
)


class _ExampleCommand:
    def __init__(self, name: str, usage: str, summary: str, examples: tuple[str, ...] = ()) -> None:
        self.name, self.usage, self.summary, self.examples = name, usage, summary, examples


def _help_example() -> Card:
    command = _ExampleCommand("incident", "incident P1-P4 <title>", "Declare an incident", ("/incident P1 Disk full",))
    return help_card([command], how_to_address="Just type the command.")


EXAMPLES: list[tuple[str, Callable[[], Card]]] = [
    ("text_card", lambda: text_card("The incident is resolved.", title="INC-42")),
    ("help_card", _help_example),
    ("welcome_card (team)", lambda: welcome_card(in_team=True)),
    ("welcome_card (personal)", lambda: welcome_card(in_team=False)),
    (
        "form with facts and both kinds of buttons",
        lambda: adaptive_card(
            [fact_set([("Severity", "P1"), ("Circle", "payments")]), text_block("details", subtle=True)],
            [execute_action("Acknowledge", "incident.ack", {"id": 42}), submit_action("Send", {"form": "x"})],
        ),
    ),
    ("truncated long card", lambda: truncate_for_teams(text_card("x" * 200_000, title="log excerpt"))),
]
