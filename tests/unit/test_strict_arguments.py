"""Every command argument is parsed strictly, and a bad one gets a clear answer (#11 finding 9).

Before: `INC-²` passed `isdigit()` and crashed `int()`; `INC-2147483648` overflowed the column;
a card whose `incident` was `true` acted on INC-1. Each fell into the turn's apology.
"""

from __future__ import annotations

import pytest

from domain.durations import parse_duration
from domain.incidents.model import IncidentError, incident_number, parse_incident_key
from domain.postmortems.model import parse_action_key


@pytest.mark.parametrize("text", ["INC-7", "inc-7", " INC-7 ", "INC-999999999"])
def test_an_incident_id_is_inc_and_up_to_nine_ascii_digits(text: str) -> None:
    assert parse_incident_key(text) == int(text.strip()[4:])


@pytest.mark.parametrize("text", ["INC-²", "INC-٣", "INC-2147483648", "INC-", "INC-x", "INC-0", "INC-7;drop"])
def test_what_looks_like_an_incident_id_but_is_not_says_what_to_write(text: str) -> None:
    with pytest.raises(IncidentError, match="is not an incident id; write INC- and its number, like INC-7"):
        parse_incident_key(text)


@pytest.mark.parametrize("text", ["", "payments", "7", "acknowledge"])
def test_words_that_are_no_incident_id_are_none(text: str) -> None:
    assert parse_incident_key(text) is None


@pytest.mark.parametrize(
    ("value", "number"),
    [
        (7, 7),
        ("7", 7),
        ("INC-7", 7),
        (True, None),
        (2**40, None),
        (0, None),
        (-3, None),
        (7.0, None),
        ({"n": 7}, None),
        ([7], None),
        (None, None),
        ("²", None),
        ("INC-²", None),
    ],
)
def test_an_incident_in_card_data_is_a_number_in_range_or_nothing(value: object, number: int | None) -> None:
    assert incident_number(value) == number


@pytest.mark.parametrize(("text", "number"), [("A2", 2), ("a12", 12), ("A²", None), ("A99999", None), ("A", None)])
def test_an_action_id_is_a_and_a_few_ascii_digits(text: str, number: int | None) -> None:
    assert parse_action_key(text) == number


@pytest.mark.parametrize("text", ["9999999w", "²m", "1e9s"])
def test_an_absurd_or_exotic_duration_is_refused_with_how_to_write_one(text: str) -> None:
    with pytest.raises(ValueError, match="write a number and a unit"):
        parse_duration(text)
