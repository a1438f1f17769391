"""Every card the bot can build is a valid Adaptive Card 1.5 that fits in a Teams message.

Examples are discovered: every module of tests/card_examples/ lists `EXAMPLES` (name, zero-argument
builder), so a feature's new cards need no new test here. Cards as actually sent are validated as
well, by the fake Bot Connector in every test (tests/support/card_check.py).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import bot
import dialogs
import tests.card_examples
from bot.cards import (
    CARD_CONTENT_TYPE,
    TEAMS_MESSAGE_BUDGET_BYTES,
    adaptive_card,
    text_block,
    text_card,
    truncate_for_teams,
)
from tests.card_schema import assert_valid_card
from tests.support.fake_connector import FakeConnector

Example = tuple[str, Callable[[], dict[str, Any]]]


def card_examples() -> list[pytest.ParameterSet]:
    examples: list[pytest.ParameterSet] = []
    package = tests.card_examples
    for module_info in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
        module = importlib.import_module(module_info.name)
        for name, build in module.EXAMPLES:
            examples.append(pytest.param(build, id=f"{module_info.name.rsplit('.', 1)[-1]}:{name}"))
    return examples


def test_the_card_builders_are_discovered() -> None:
    ids = [param.id for param in card_examples()]
    assert "core:help_card" in ids
    assert "core:welcome_card (team)" in ids
    assert "oncall:handover_card (pending)" in ids


def test_card_examples_live_in_the_tests_not_in_production_code() -> None:
    offenders = [
        str(path)
        for package in (bot, dialogs)
        for path in Path(package.__path__[0]).rglob("*.py")
        if "CARD_EXAMPLES" in path.read_text(encoding="utf-8")
    ]
    assert offenders == [], "move the examples to tests/card_examples/<feature>.py as EXAMPLES"


async def test_the_fake_connector_fails_the_test_that_sends_an_invalid_card() -> None:
    broken = text_card("INC-42 declared", title="INC-42")
    broken["body"][0]["size"] = "Huge"  # not a TextBlock size in 1.5

    connector = FakeConnector()
    with pytest.raises(AssertionError, match=r"\$\.body\[0\]\.size"):
        async with connector:
            activity = {"type": "message", "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": broken}]}
            async with aiohttp.ClientSession() as session:
                url = f"{connector.service_url}v3/conversations/a:chat/activities"
                async with session.post(url, json=activity) as answer:
                    assert answer.status == 201

    assert len(connector.sent) == 1  # recorded like Teams would, and the test still fails


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
