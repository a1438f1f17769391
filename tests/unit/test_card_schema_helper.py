"""tests.card_schema.assert_valid_card: the check every card the bot sends goes through."""

from __future__ import annotations

from typing import Any

import pytest

from tests.card_schema import assert_valid_card


def minimal_card(**overrides: Any) -> dict[str, Any]:
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [{"type": "TextBlock", "text": "INC-42 payments API 500s", "wrap": True}],
        "actions": [{"type": "Action.Execute", "title": "Acknowledge", "verb": "incident.ack", "data": {"id": 42}}],
    }
    return card | overrides


def test_accepts_a_minimal_1_5_card_with_an_execute_action() -> None:
    assert_valid_card(minimal_card())


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ([{"type": "TextBlock"}], r"\$\.body\[0\]: 'text' is a required property"),
        ([{"type": "Blink", "text": "hi"}], r"\$\.body\[0\]: unknown or missing 'type' 'Blink'"),
        ([{"type": "TextBlock", "text": "hi", "colour": "red"}], r"'colour' was unexpected"),
        ([{"type": "TextBlock", "text": "hi", "size": "huge"}], r"\$\.body\[0\]\.size: 'huge' is not one of"),
    ],
)
def test_rejects_an_invalid_element_naming_its_path(body: list[dict[str, Any]], complaint: str) -> None:
    with pytest.raises(AssertionError, match=complaint):
        assert_valid_card(minimal_card(body=body))


def test_rejects_an_execute_action_with_a_non_string_verb() -> None:
    card = minimal_card(actions=[{"type": "Action.Execute", "title": "Ack", "verb": 42}])
    with pytest.raises(AssertionError, match=r"\$\.actions\[0\]\.verb: 42 is not of type 'string'"):
        assert_valid_card(card)


def test_rejects_a_card_newer_than_teams_renders() -> None:
    with pytest.raises(AssertionError, match=r"\$\.version: must be one of"):
        assert_valid_card(minimal_card(version="1.6"))
