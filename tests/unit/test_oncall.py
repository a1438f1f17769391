"""On-call rules with a fixed clock: who is on, chat times, overrides and swaps, shift changes, handovers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from adapters.circles_file import load_circles
from domain.circle import Circle
from domain.oncall.handover import Handover
from domain.oncall.model import (
    change_at,
    plan_override,
    plan_swap,
    shift_changes,
    turns_between,
    who_is_on_call,
)
from domain.oncall.moments import OnCallError, parse_moment, parse_period
from domain.rota import Layer, Override, on_call_at

EXAMPLE = Path(__file__).resolve().parents[2] / "circles.example.yaml"
ROME = ZoneInfo("Europe/Rome")
NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # Friday 04:00 in Rome; luca is primary this week
NEXT_MONDAY = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 in Rome: sara takes over


@pytest.fixture
def circle() -> Circle:
    return load_circles(EXAMPLE).circles[0]


def rome(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ROME).astimezone(UTC)


def with_overrides(circle: Circle, *overrides: Override) -> Circle:
    return replace(circle, rota=replace(circle.rota, overrides=(*circle.rota.overrides, *overrides)))


# --- times typed in chat --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["2026-12-01", "18:00"], "2026-12-01 18:00"),
        (["2026-12-01T18:00"], "2026-12-01 18:00"),
        (["tomorrow", "18:00"], "2026-11-28 18:00"),
        (["today", "7:30"], "2026-11-27 07:30"),
        (["18:00"], "2026-11-27 18:00"),
        (["mon", "09:00"], "2026-11-30 09:00"),
        (["2026-12-01"], "2026-12-01 00:00"),
    ],
)
def test_times_are_read_in_the_circles_time_zone(words: list[str], expected: str) -> None:
    assert parse_moment(words, ROME, NOW).at == rome(expected)


def test_an_end_time_before_the_start_means_the_next_morning() -> None:
    start, end, rest = parse_period(["tomorrow", "18:00", "09:00", "dentist"], ROME, NOW)

    assert (start, end, rest) == (rome("2026-11-28 18:00"), rome("2026-11-29 09:00"), ["dentist"])


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["18h"], "`18h` is not a time"),
        (["tomorrow"], "`tomorrow` needs a time after it"),
        (["2026-13-01", "10:00"], "`2026-13-01` is not a date"),
        (["18:00"], "an end time is missing"),
    ],
)
def test_a_bad_time_says_how_to_write_it(words: list[str], message: str) -> None:
    with pytest.raises(OnCallError, match=message):
        parse_period(words, ROME, NOW)


# --- who is on call -------------------------------------------------------------------------------


def test_who_is_on_call_names_primary_and_secondary_until_the_next_handover(circle: Circle) -> None:
    primary, secondary = who_is_on_call(circle.rota, NOW)

    assert (primary.current and primary.current.member, primary.current and primary.current.end) == (
        "luca",
        NEXT_MONDAY,
    )
    assert primary.next is not None and (primary.next.member, primary.next.start) == ("sara", NEXT_MONDAY)
    assert secondary.current is not None and secondary.current.member == "paolo"
    assert secondary.next is not None and secondary.next.member == "elena"


def test_overlapping_overrides_the_newest_wins_and_the_rotation_resumes_after(circle: Circle) -> None:
    evening = Override("sara", rome("2026-11-27 18:00"), rome("2026-11-28 09:00"), Layer.PRIMARY)
    later = Override("marco", rome("2026-11-27 22:00"), rome("2026-11-28 02:00"), Layer.PRIMARY)
    rota = with_overrides(circle, evening, later).rota

    def primary(at: str) -> str | None:
        shift = on_call_at(rota, rome(at)).primary
        return shift.member if shift else None

    assert [primary(t) for t in ("2026-11-27 17:59", "2026-11-27 18:00", "2026-11-27 23:00", "2026-11-28 03:00")] == [
        "luca", "sara", "marco", "sara",
    ]  # fmt: skip
    assert primary("2026-11-28 09:00") == "luca"


def test_an_override_inside_ones_own_turn_is_not_a_handover(circle: Circle) -> None:
    mine = Override("luca", rome("2026-11-28 10:00"), rome("2026-11-28 12:00"), Layer.PRIMARY, "planned")
    rota = with_overrides(circle, mine).rota

    [turn] = [t for t in turns_between(rota, NOW, NOW + timedelta(days=2), Layer.PRIMARY)]
    assert (turn.member, turn.end) == ("luca", NEXT_MONDAY)
    assert [c.at for c in shift_changes(rota, NOW, NEXT_MONDAY)] == []


def test_shift_changes_are_at_local_handover_time_on_both_sides_of_dst(circle: Circle) -> None:
    spring = shift_changes(circle.rota, rome("2027-03-20 00:00"), rome("2027-04-06 00:00"))
    primary = [c for c in spring if c.layer is Layer.PRIMARY]

    assert [c.at.astimezone(ROME).strftime("%a %H:%M") for c in primary] == ["Mon 09:00", "Mon 09:00", "Mon 09:00"]
    assert [c.at.hour for c in primary] == [8, 7, 7]  # UTC: CET before 28 March, CEST after
    assert all(c.outgoing and c.outgoing != c.incoming for c in primary)


def test_change_at_confirms_a_planned_handover_only_while_the_rota_still_has_it(circle: Circle) -> None:
    assert change_at(circle.rota, Layer.PRIMARY, NEXT_MONDAY) is not None
    keeps_luca = Override("luca", NEXT_MONDAY - timedelta(hours=1), NEXT_MONDAY + timedelta(days=1), Layer.PRIMARY)

    assert change_at(with_overrides(circle, keeps_luca).rota, Layer.PRIMARY, NEXT_MONDAY) is None


# --- who may override -----------------------------------------------------------------------------


def test_the_team_leader_may_override_anyone(circle: Circle) -> None:
    override = plan_override(
        circle,
        caller=circle.member("giulia"),
        covering=circle.member("sara"),  # type: ignore[arg-type]
        layer=Layer.PRIMARY,
        start=rome("2026-11-27 18:00"),
        end=rome("2026-11-28 09:00"),
        now=NOW,
        reason="luca at a wedding",
    )

    assert (override.member, override.created_by, override.reason) == ("sara", "giulia", "luca at a wedding")


def test_the_person_being_covered_may_override_their_own_turn(circle: Circle) -> None:
    override = plan_override(
        circle,
        caller=circle.member("luca"),
        covering=circle.member("marco"),  # type: ignore[arg-type]
        layer=Layer.PRIMARY,
        start=rome("2026-11-27 18:00"),
        end=rome("2026-11-28 09:00"),
        now=NOW,
    )

    assert override.member == "marco"


def test_someone_else_may_not_override_and_is_told_who_may(circle: Circle) -> None:
    with pytest.raises(OnCallError, match=r"only the Team Leader \(Giulia Rossi\) or the person being covered"):
        plan_override(
            circle,
            caller=circle.member("marco"),
            covering=circle.member("marco"),  # type: ignore[arg-type]
            layer=Layer.PRIMARY,
            start=rome("2026-11-27 18:00"),
            end=rome("2026-11-28 09:00"),
            now=NOW,
        )


def test_an_override_reaching_into_the_past_starts_now_and_one_in_the_past_is_refused(circle: Circle) -> None:
    leader, sara = circle.member("giulia"), circle.member("sara")
    assert sara is not None
    started = plan_override(circle, caller=leader, covering=sara, layer=Layer.PRIMARY,
                            start=NOW - timedelta(hours=2), end=NOW + timedelta(hours=2), now=NOW)  # fmt: skip
    assert started.start == NOW
    with pytest.raises(OnCallError, match="must end in the future"):
        plan_override(circle, caller=leader, covering=sara, layer=Layer.PRIMARY,
                      start=NOW - timedelta(hours=2), end=NOW - timedelta(hours=1), now=NOW)  # fmt: skip


def test_a_swap_exchanges_the_next_turns_of_two_people(circle: Circle) -> None:
    luca, sara = circle.member("luca"), circle.member("sara")
    assert luca is not None and sara is not None

    sara_covers, luca_covers = plan_swap(circle, caller=luca, first=luca, second=sara, layer=Layer.PRIMARY, now=NOW)

    assert (sara_covers.member, sara_covers.start, sara_covers.end) == ("sara", NOW, NEXT_MONDAY)
    assert (luca_covers.member, luca_covers.start, luca_covers.end) == ("luca", NEXT_MONDAY, rome("2026-12-07 09:00"))
    swapped = with_overrides(circle, sara_covers, luca_covers).rota
    assert [s.member for s in turns_between(swapped, NOW, rome("2026-12-07 09:00"), Layer.PRIMARY)] == ["sara", "luca"]


def test_only_the_two_people_or_the_team_leader_may_swap(circle: Circle) -> None:
    marco, luca, sara = circle.member("marco"), circle.member("luca"), circle.member("sara")
    assert marco is not None and luca is not None and sara is not None
    with pytest.raises(OnCallError, match="only the Team Leader or one of the two"):
        plan_swap(circle, caller=marco, first=luca, second=sara, layer=Layer.PRIMARY, now=NOW)


# --- the handover itself --------------------------------------------------------------------------


def a_handover() -> Handover:
    return Handover("demo", Layer.PRIMARY, NEXT_MONDAY, NEXT_MONDAY + timedelta(days=7),
                    NEXT_MONDAY - timedelta(days=7), "luca", "sara", created_at=NEXT_MONDAY, id=1)  # fmt: skip


def test_only_the_outgoing_writes_notes_and_only_the_incoming_accepts() -> None:
    handover = a_handover()

    with pytest.raises(OnCallError, match="only the outgoing on-call writes"):
        handover.add_notes("sara", NEXT_MONDAY, "hello")
    with pytest.raises(OnCallError, match="only the incoming on-call can accept"):
        handover.accept("luca", NEXT_MONDAY)
    handover.add_notes("luca", NEXT_MONDAY, "  db-2 disk at 85 %  ")
    handover.accept("sara", NEXT_MONDAY + timedelta(minutes=3))

    assert (handover.notes, handover.accepted_by, handover.is_pending) == ("db-2 disk at 85 %", "sara", False)
    with pytest.raises(OnCallError, match="already accepted"):
        handover.accept("sara", NEXT_MONDAY + timedelta(minutes=4))
