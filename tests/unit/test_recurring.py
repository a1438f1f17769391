"""Saying that a run is late: the shared phrase every feature uses after a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.recurring import late_note, lateness

ROME = ZoneInfo("Europe/Rome")
NINE = datetime(2026, 12, 7, 9, 0, tzinfo=ROME)


def test_a_run_within_a_minute_of_its_time_is_on_time() -> None:
    assert lateness(NINE, NINE + timedelta(seconds=40)) is None
    assert late_note("handover", NINE, NINE + timedelta(seconds=40), ROME) is None


def test_a_run_seven_minutes_late_says_when_it_was_due_and_sent() -> None:
    assert lateness(NINE, NINE + timedelta(minutes=7)) == timedelta(minutes=7)
    assert late_note("handover", NINE.astimezone(UTC), NINE + timedelta(minutes=7), ROME) == (
        "the 09:00 handover, sent at 09:07 CET after a restart"
    )


def test_a_run_sent_on_a_later_day_names_the_day_it_was_due() -> None:
    assert late_note("gap report", NINE, NINE + timedelta(hours=20), ROME) == (
        "the 09:00 gap report of Mon 7 Dec, sent at 05:00 CET after a restart"
    )
