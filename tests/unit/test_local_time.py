"""One clock: every time a person reads is local to the circle and says which zone (issue #12, point 1)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from domain.local_time import format_date, format_moment, format_time, format_when, zone_label, zone_named

ROME = zone_named("Europe/Rome")


def test_a_winter_time_in_rome_reads_cet() -> None:
    assert format_time(datetime(2026, 12, 1, 14, 16, tzinfo=UTC), ROME) == "15:16 CET"


def test_a_summer_time_in_rome_reads_cest_with_the_summer_offset() -> None:
    assert format_time(datetime(2026, 7, 1, 14, 16, tzinfo=UTC), ROME) == "16:16 CEST"


def test_the_dst_change_night_is_read_on_both_sides() -> None:
    # 29 March 2026: clocks in Rome jump from 02:00 CET to 03:00 CEST at 01:00 UTC.
    assert format_time(datetime(2026, 3, 29, 0, 59, tzinfo=UTC), ROME) == "01:59 CET"
    assert format_time(datetime(2026, 3, 29, 1, 0, tzinfo=UTC), ROME) == "03:00 CEST"


def test_utc_says_utc_and_a_zone_without_letters_says_its_offset() -> None:
    at = datetime(2026, 12, 1, 14, 16, tzinfo=UTC)
    assert format_time(at, zone_named("UTC")) == "14:16 UTC"
    assert zone_label(at, zone_named("America/Sao_Paulo")) == "UTC-03:00"


def test_a_naive_stored_time_is_read_as_utc() -> None:
    assert format_time(datetime(2026, 12, 1, 14, 16), ROME) == "15:16 CET"


def test_dates_have_one_style_and_the_year_only_when_it_is_not_this_one() -> None:
    assert format_date(date(2026, 12, 1), today=date(2026, 11, 30)) == "Tue 1 Dec"
    assert format_date(date(2027, 1, 4), today=date(2026, 12, 30)) == "Mon 4 Jan 2027"
    assert format_date(date(2026, 12, 1)) == "Tue 1 Dec 2026"


def test_a_moment_carries_the_local_day_not_the_utc_day() -> None:
    late = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # already 2 December in Rome
    assert format_moment(late, ROME, now=late) == "Wed 2 Dec 00:30 CET"
    assert format_moment(late, ROME) == "Wed 2 Dec 2026 00:30 CET"


def test_a_live_card_names_the_day_only_when_it_is_not_today() -> None:
    now = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    assert format_when(datetime(2026, 12, 1, 14, 30, tzinfo=UTC), ROME, now) == "15:30 CET"
    assert format_when(datetime(2026, 12, 2, 8, 0, tzinfo=UTC), ROME, now) == "Wed 2 Dec 09:00 CET"


def test_an_unknown_zone_name_falls_back_to_utc_rather_than_failing_a_card() -> None:
    assert zone_named("Mars/Olympus") == zone_named("UTC")
