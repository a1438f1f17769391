"""The `report:` block of circles.yaml and members' own time zones: defaults, inheritance, line-accurate errors."""

from __future__ import annotations

import textwrap
from datetime import time

import pytest

from adapters.circles_file import CirclesFileError, parse_circles
from tests.support.circles import as_stored
from tests.unit.test_circles_file import VALID, line_of


def errors_of(text: str) -> list[str]:
    with pytest.raises(CirclesFileError) as raised:
        parse_circles(textwrap.dedent(text), "circles.yaml")
    return raised.value.errors


def test_without_a_report_block_the_weekly_report_goes_out_on_monday_at_nine() -> None:
    circle = parse_circles(VALID, "circles.yaml").circles[0]
    report = circle.report
    assert (report.weekly_day, report.weekly_at, report.weekly_enabled) == (0, time(9), True)
    assert (report.business_start, report.business_end) == (time(9), time(18))


def test_a_circle_sets_its_weekly_day_time_and_business_hours_and_they_survive_storage() -> None:
    text = VALID + '    report: {weekly: {day: fri, time: "16:30"}, business_hours: "08:30-17:15"}\n'
    config = parse_circles(text, "circles.yaml")
    circle = config.circles[0]
    assert (circle.report.weekly_day, circle.report.weekly_at) == (4, time(16, 30))
    assert (circle.report.business_start, circle.report.business_end) == (time(8, 30), time(17, 15))
    assert as_stored(config.specs[0]) == circle


def test_defaults_give_every_circle_the_same_report_settings() -> None:
    text = VALID.replace("defaults:\n", "defaults:\n  report: {weekly: {enabled: false}}\n", 1)
    assert parse_circles(text, "circles.yaml").circles[0].report.weekly_enabled is False


def test_a_member_may_live_in_another_time_zone() -> None:
    text = VALID.replace("{handle: bob, name: Bob Example,", "{handle: bob, name: Bob Example, time_zone: Asia/Tokyo,")
    config = parse_circles(text, "circles.yaml")
    circle = config.circles[0]
    assert circle.member("bob") is not None and circle.member("bob").time_zone == "Asia/Tokyo"  # type: ignore[union-attr]
    assert as_stored(config.specs[0]) == circle


def test_bad_report_settings_are_reported_on_their_line() -> None:
    text = VALID + '    report:\n      weekly: {day: someday, time: "9"}\n      business_hours: "18:00-09:00"\n'
    assert errors_of(text) == [
        f"circles.yaml:{line_of(text, 'someday')}: circles[0].report.weekly.day: 'someday' is not a weekday; "
        "use one of mon, tue, wed, thu, fri, sat, sun",
        f"circles.yaml:{line_of(text, 'someday')}: circles[0].report.weekly.time: '9' is not a time of day; "
        'write it as HH:MM in quotes, like "09:30"',
        f"circles.yaml:{line_of(text, 'business_hours')}: circles[0].report.business_hours: "
        "'18:00-09:00': business hours must end after they start, within one day",
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"9-18"', 'is not a range of hours; write it as "HH:MM-HH:MM" on quarter hours, like "09:00-18:00"'),
        ('"09:10-18:00"', "business hours start and end on a quarter hour (:00, :15, :30, :45)"),
    ],
)
def test_business_hours_are_a_range_on_quarter_hours(value: str, message: str) -> None:
    text = VALID + f"    report: {{business_hours: {value}}}\n"
    (error,) = errors_of(text)
    assert error.startswith(f"circles.yaml:{line_of(text, 'business_hours')}: circles[0].report.business_hours: ")
    assert message in error


def test_an_unknown_member_time_zone_is_an_error() -> None:
    text = VALID.replace("{handle: bob, name: Bob Example,", "{handle: bob, name: Bob Example, time_zone: Moon/Base,")
    assert errors_of(text) == [
        f"circles.yaml:{line_of(text, 'Moon/Base')}: circles[0].members[1].time_zone: "
        "'Moon/Base' is not an IANA time zone; write it like Europe/Rome or UTC"
    ]
