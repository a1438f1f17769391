"""Every card the bot can build is a valid Adaptive Card 1.5 that fits in a Teams message.

Examples are discovered: any module under bot/ or dialogs/ that defines `CARD_EXAMPLES`
(a list of (name, zero-argument builder)) is checked here, so new cards need no new test.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import bot
import dialogs
from bot.cards import TEAMS_MESSAGE_BUDGET_BYTES, adaptive_card, text_block, truncate_for_teams
from tests.card_schema import assert_valid_card

Example = tuple[str, Callable[[], dict[str, Any]]]


def card_examples() -> list[pytest.ParameterSet]:
    examples: list[pytest.ParameterSet] = []
    for package in (bot, dialogs):
        for module_info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            source = _source_of(module_info)
            # Import only modules that declare examples: unrelated modules stay out of this test.
            if source is None or "CARD_EXAMPLES" not in source:
                continue
            module = importlib.import_module(module_info.name)
            for name, build in getattr(module, "CARD_EXAMPLES", []):
                examples.append(pytest.param(build, id=f"{module_info.name}:{name}"))
    return examples


def _source_of(module_info: pkgutil.ModuleInfo) -> str | None:
    finder_path = getattr(module_info.module_finder, "path", None)
    if finder_path is None or module_info.ispkg:
        return None
    path = Path(finder_path) / f"{module_info.name.rsplit('.', 1)[-1]}.py"
    return path.read_text(encoding="utf-8") if path.exists() else None


def test_the_card_builders_are_discovered() -> None:
    ids = [param.id for param in card_examples()]
    assert "bot.cards:help_card" in ids
    assert "bot.cards:welcome_card (team)" in ids


@pytest.mark.parametrize("build", card_examples())
def test_every_card_example_is_valid_adaptive_card_1_5(build: Callable[[], dict[str, Any]]) -> None:
    card = build()

    assert_valid_card(card)
    assert card["version"] == "1.5"
    assert len(json.dumps(card, ensure_ascii=False).encode()) <= TEAMS_MESSAGE_BUDGET_BYTES


def test_a_long_text_block_is_cut_with_a_note_of_what_was_omitted() -> None:
    long_log = "é" * 120_000  # two bytes each in UTF-8
    card = adaptive_card([text_block("Alert details", weight="Bolder"), text_block(long_log)])

    fitted = truncate_for_teams(card)

    assert len(json.dumps(fitted, ensure_ascii=False).encode()) <= TEAMS_MESSAGE_BUDGET_BYTES
    assert fitted["body"][0]["text"] == "Alert details"
    kept, note = fitted["body"][1]["text"].split("… ")
    assert note == f"(truncated, {120_000 - len(kept)} characters omitted)"
    assert card["body"][1]["text"] == long_log  # the original is left alone


def test_a_card_that_fits_is_returned_unchanged() -> None:
    card = adaptive_card([text_block("INC-42 resolved")])

    assert truncate_for_teams(card) == card


def test_plain_text_is_truncated_too() -> None:
    text = truncate_for_teams("x" * 200_000, budget_bytes=1_000)

    assert len(text.encode()) <= 1_000
    assert text.endswith("characters omitted)")
