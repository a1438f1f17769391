"""Who is on call: rotations hand over at local wall-clock time; overrides beat shifts beat rotations."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.oncall.model import gap_lines
from domain.rota import (
    Layer,
    Override,
    Rota,
    Rotation,
    Shift,
    ShiftSource,
    gaps_between,
    on_call_at,
    shifts_between,
)

ROME = ZoneInfo("Europe/Rome")
MONDAY = 0


def rome(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ROME)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def weekly(layer: Layer, *members: str, start: date = date(2026, 1, 5)) -> Rotation:
    return Rotation(layer, members, period_days=7, handover_time=time(9), handover_weekday=MONDAY, start=start)


def demo_rota(**extra: object) -> Rota:
    """The example circle: marco, luca, sara weekly primary; paolo, elena weekly secondary."""
    return Rota(
        "Europe/Rome",
        rotations=(weekly(Layer.PRIMARY, "marco", "luca", "sara"), weekly(Layer.SECONDARY, "paolo", "elena")),
        **extra,  # type: ignore[arg-type]
    )


def test_weekly_rotation_takes_turns_in_order_from_the_first_monday() -> None:
    rota = demo_rota()

    turns = [on_call_at(rota, rome(2026, 1, 5, 9) + timedelta(weeks=week)) for week in range(4)]

    assert [t.primary.member for t in turns if t.primary] == ["marco", "luca", "sara", "marco"]
    assert [t.secondary.member for t in turns if t.secondary] == ["paolo", "elena", "paolo", "elena"]


def test_the_outgoing_member_is_on_call_until_the_handover_minute() -> None:
    rota = demo_rota()

    assert on_call_at(rota, rome(2026, 1, 12, 8, 59)).primary.member == "marco"  # type: ignore[union-attr]
    assert on_call_at(rota, rome(2026, 1, 12, 9, 0)).primary.member == "luca"  # type: ignore[union-attr]


def test_handover_stays_at_nine_local_across_the_march_dst_change() -> None:
    # Clocks go forward on Sunday 29 March 2026: the week before ends at 09:00 CEST, not 10:00.
    on_call = on_call_at(demo_rota(), utc(2026, 3, 29, 12))

    assert on_call.primary is not None
    assert on_call.primary.member == "sara"
    assert on_call.primary.start == utc(2026, 3, 23, 8)  # 09:00 CET
    assert on_call.primary.end == utc(2026, 3, 30, 7)  # 09:00 CEST
    assert on_call.primary.end.astimezone(ROME).time() == time(9)
    assert on_call.primary.end - on_call.primary.start == timedelta(days=7) - timedelta(hours=1)


def test_handover_stays_at_nine_local_across_the_october_dst_change() -> None:
    # Clocks go back on Sunday 25 October 2026: that week is one hour longer.
    on_call = on_call_at(demo_rota(), utc(2026, 10, 25, 12))

    assert on_call.primary is not None
    assert on_call.primary.start == utc(2026, 10, 19, 7)  # 09:00 CEST
    assert on_call.primary.end == utc(2026, 10, 26, 8)  # 09:00 CET
    assert on_call.primary.end - on_call.primary.start == timedelta(days=7, hours=1)


def test_daily_rotation_shift_on_the_spring_forward_day_lasts_23_hours() -> None:
    rota = Rota("Europe/Rome", rotations=(Rotation(Layer.PRIMARY, ("anna", "bruno"), period_days=1),))

    shifts = shifts_between(rota, rome(2026, 3, 28, 12), rome(2026, 3, 30, 12), layer=Layer.PRIMARY)

    assert [(s.start, s.end - s.start) for s in shifts] == [
        (utc(2026, 3, 28, 8), timedelta(hours=23)),
        (utc(2026, 3, 29, 7), timedelta(hours=24)),
        (utc(2026, 3, 30, 7), timedelta(hours=24)),
    ]
    assert all(s.start.astimezone(ROME).time() == time(9) for s in shifts)


def test_a_custom_period_of_three_days_counts_from_the_start_date() -> None:
    rota = Rota("UTC", rotations=(Rotation(Layer.PRIMARY, ("anna", "bruno"), period_days=3, start=date(2026, 5, 1)),))

    assert on_call_at(rota, utc(2026, 5, 3, 23)).primary.member == "anna"  # type: ignore[union-attr]
    assert on_call_at(rota, utc(2026, 5, 4, 9)).primary.member == "bruno"  # type: ignore[union-attr]


def test_handover_weekday_moves_the_first_turn_to_that_weekday() -> None:
    rota = Rota("Europe/Rome", rotations=(weekly(Layer.PRIMARY, "marco", "luca", start=date(2026, 1, 1)),))

    assert on_call_at(rota, rome(2026, 1, 2, 12)).primary is None  # Friday before the first Monday
    assert on_call_at(rota, rome(2026, 1, 5, 9)).primary.member == "marco"  # type: ignore[union-attr]


def test_an_explicit_shift_beats_the_rotation_and_the_rotation_resumes_after_it() -> None:
    planned = Shift("elena", rome(2026, 2, 3, 10), rome(2026, 2, 4, 10), Layer.PRIMARY)
    rota = demo_rota(shifts=(planned,))

    during = on_call_at(rota, rome(2026, 2, 3, 15)).primary
    after = on_call_at(rota, rome(2026, 2, 4, 11)).primary

    assert during is not None and (during.member, during.source) == ("elena", ShiftSource.SHIFT)
    assert after is not None
    assert (after.member, after.start, after.end) == ("luca", utc(2026, 2, 4, 9), utc(2026, 2, 9, 8))


def test_an_override_beats_an_explicit_shift_which_beats_the_rotation() -> None:
    planned = Shift("elena", rome(2026, 2, 3, 10), rome(2026, 2, 4, 10), Layer.PRIMARY)
    swap = Override("paolo", rome(2026, 2, 3, 12), rome(2026, 2, 3, 14), Layer.PRIMARY, "dentist", "giulia")
    rota = demo_rota(shifts=(planned,), overrides=(swap,))

    who = {hour: on_call_at(rota, rome(2026, 2, 3, hour)).primary for hour in (9, 11, 13, 15)}

    assert {hour: s.member for hour, s in who.items() if s} == {
        9: "luca",
        11: "elena",
        13: "paolo",
        15: "elena",
    }
    assert who[13] is not None and (who[13].start, who[13].end) == (utc(2026, 2, 3, 11), utc(2026, 2, 3, 13))
    assert who[15] is not None and who[15].end == utc(2026, 2, 4, 9)


def test_the_later_of_two_overlapping_overrides_wins() -> None:
    first = Override("paolo", rome(2026, 2, 3, 10), rome(2026, 2, 3, 16), Layer.PRIMARY)
    second = Override("elena", rome(2026, 2, 3, 12), rome(2026, 2, 3, 14), Layer.PRIMARY)

    window = (rome(2026, 2, 3, 10), rome(2026, 2, 3, 16))
    in_order = shifts_between(demo_rota(overrides=(first, second)), *window, layer=Layer.PRIMARY)
    reversed_ = shifts_between(demo_rota(overrides=(second, first)), *window, layer=Layer.PRIMARY)

    assert [(s.member, s.start.astimezone(ROME).hour, s.end.astimezone(ROME).hour) for s in in_order] == [
        ("paolo", 10, 12),
        ("elena", 12, 14),
        ("paolo", 14, 16),
    ]
    assert [s.member for s in reversed_] == ["paolo"]


def test_the_current_shift_ends_where_a_later_override_begins() -> None:
    # "Until when am I on call?" must see an override that starts after the question is asked.
    swap = Override("sara", rome(2026, 2, 5, 18), rome(2026, 2, 6, 9), Layer.PRIMARY)

    primary = on_call_at(demo_rota(overrides=(swap,)), rome(2026, 2, 2, 10)).primary

    assert primary is not None
    assert (primary.member, primary.end) == ("luca", utc(2026, 2, 5, 17))


def test_overrides_affect_only_their_layer() -> None:
    swap = Override("giulia", rome(2026, 2, 3, 0), rome(2026, 2, 4, 0), Layer.SECONDARY)

    on_call = on_call_at(demo_rota(overrides=(swap,)), rome(2026, 2, 3, 12))

    assert on_call.primary is not None and on_call.primary.member == "luca"
    assert on_call.secondary is not None and on_call.secondary.member == "giulia"


def test_two_weeks_of_schedule_lists_each_turn_once_per_layer() -> None:
    shifts = shifts_between(demo_rota(), rome(2026, 3, 25, 0), rome(2026, 4, 8, 0))

    assert [(s.layer, s.member, s.start.astimezone(ROME).date()) for s in shifts] == [
        (Layer.PRIMARY, "sara", date(2026, 3, 23)),
        (Layer.PRIMARY, "marco", date(2026, 3, 30)),
        (Layer.PRIMARY, "luca", date(2026, 4, 6)),
        (Layer.SECONDARY, "elena", date(2026, 3, 23)),
        (Layer.SECONDARY, "paolo", date(2026, 3, 30)),
        (Layer.SECONDARY, "elena", date(2026, 4, 6)),
    ]


def test_gaps_are_the_times_nobody_is_primary() -> None:
    rota = Rota(
        "Europe/Rome",
        shifts=(
            Shift("anna", rome(2026, 6, 1, 9), rome(2026, 6, 1, 18), Layer.PRIMARY),
            Shift("bruno", rome(2026, 6, 2, 9), rome(2026, 6, 2, 18), Layer.PRIMARY),
            Shift("carla", rome(2026, 6, 1, 0), rome(2026, 6, 3, 0), Layer.SECONDARY),
        ),
    )

    gaps = gaps_between(rota, rome(2026, 6, 1, 0), rome(2026, 6, 3, 0))

    assert gaps == [
        (rome(2026, 6, 1, 0), utc(2026, 6, 1, 7)),
        (utc(2026, 6, 1, 16), utc(2026, 6, 2, 7)),
        (utc(2026, 6, 2, 16), rome(2026, 6, 3, 0)),
    ]


def test_the_gap_report_covers_the_secondary_layer_once_the_rota_staffs_one() -> None:
    primary_only = Rota("Europe/Rome", rotations=(weekly(Layer.PRIMARY, "anna"),))
    with_secondary = Rota(
        "Europe/Rome",
        rotations=primary_only.rotations,
        shifts=(Shift("carla", rome(2026, 6, 2, 9), rome(2026, 6, 3, 9), Layer.SECONDARY),),
    )
    week = (rome(2026, 6, 1, 9), rome(2026, 6, 8, 9))

    assert primary_only.layers == (Layer.PRIMARY,) and gap_lines(primary_only, *week) == []
    assert with_secondary.layers == (Layer.PRIMARY, Layer.SECONDARY)
    assert gap_lines(with_secondary, *week) == [
        "nobody is secondary on call from Mon 1 Jun 09:00 CEST to Tue 2 Jun 09:00 CEST",
        "nobody is secondary on call from Wed 3 Jun 09:00 CEST to Mon 8 Jun 09:00 CEST",
    ]


def test_a_rota_before_its_first_turn_is_one_big_gap() -> None:
    rota = Rota("Europe/Rome", rotations=(weekly(Layer.PRIMARY, "marco", start=date(2026, 3, 2)),))

    assert gaps_between(rota, rome(2026, 2, 23, 0), rome(2026, 3, 9, 0)) == [(rome(2026, 2, 23, 0), utc(2026, 3, 2, 8))]
    assert on_call_at(rota, rome(2026, 2, 27, 12)) == on_call_at(Rota(), utc(2026, 2, 27, 12))


def test_an_empty_rota_has_nobody_on_call() -> None:
    on_call = on_call_at(Rota("Europe/Rome"), utc(2026, 1, 1, 0))

    assert on_call.primary is None and on_call.secondary is None


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        on_call_at(demo_rota(), datetime(2026, 1, 5, 9))
    with pytest.raises(ValueError, match="timezone-aware"):
        Shift("anna", datetime(2026, 1, 5, 9), datetime(2026, 1, 5, 10), Layer.PRIMARY)


def test_a_shift_must_end_after_it_starts() -> None:
    with pytest.raises(ValueError, match="end after it starts"):
        Override("anna", rome(2026, 1, 5, 10), rome(2026, 1, 5, 9), Layer.PRIMARY)
