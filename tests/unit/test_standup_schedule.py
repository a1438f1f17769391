"""When the stand-up happens: each member at the circle's time in their zone, across DST, not on holidays."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from adapters.circles_file import load_circles
from domain.circle import Circle, Member, StandupPolicy
from domain.standups.calendar import (
    answer_day,
    clock_time,
    member_window_closes,
    next_standup_day,
    prompt_at,
    standup_days_between,
    window_closes,
    zone_of,
)
from domain.standups.schedule import CLOSE, OPEN, PROMPT, REMIND, StandupSchedule

EXAMPLE = Path(__file__).resolve().parents[2] / "circles.example.yaml"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def demo() -> Circle:
    """The example circle: stand-up 09:30 Mon-Fri in Rome, window 3h, reminder after 1h; Elena lives in New York."""
    return load_circles(EXAMPLE).circles[0]


def with_member(circle: Circle, handle: str, **changes: object) -> Circle:
    members = tuple(replace(m, **changes) if m.handle == handle else m for m in circle.members)  # type: ignore[arg-type]
    return replace(circle, members=members)


def member(circle: Circle, handle: str) -> Member:
    found = circle.member(handle)
    assert found is not None
    return found


def test_the_example_circle_has_the_documented_stand_up(demo: Circle) -> None:
    policy = demo.standup
    assert policy is not None
    assert (policy.at, policy.days, policy.window, policy.remind_after) == (
        time(9, 30), (0, 1, 2, 3, 4), timedelta(hours=3), timedelta(hours=1),
    )  # fmt: skip
    # The defaults' holidays and the circle's own add up.
    assert policy.holidays == (
        date(2026, 12, 8),
        date(2026, 12, 25),
        date(2026, 12, 26),
        date(2027, 1, 1),
        date(2027, 1, 6),
    )
    assert member(demo, "elena").time_zone == "America/New_York"


def test_members_are_asked_at_the_circle_time_in_their_own_zone(demo: Circle) -> None:
    tuesday = date(2026, 12, 1)
    assert prompt_at(demo, member(demo, "marco"), tuesday) == utc(2026, 12, 1, 8, 30)  # 09:30 CET
    assert prompt_at(demo, member(demo, "elena"), tuesday) == utc(2026, 12, 1, 14, 30)  # 09:30 EST


def test_prompt_times_follow_each_zone_across_its_own_dst_change(demo: Circle) -> None:
    demo = with_member(with_member(demo, "sara", time_zone="America/New_York"), "elena", time_zone="Europe/London")
    marco, elena, sara = member(demo, "marco"), member(demo, "elena"), member(demo, "sara")
    # New York moved to summer time on 14 March 2027, Europe on 28 March.
    assert prompt_at(demo, sara, date(2027, 3, 12)) == utc(2027, 3, 12, 14, 30)  # EST
    assert prompt_at(demo, sara, date(2027, 3, 15)) == utc(2027, 3, 15, 13, 30)  # EDT
    assert prompt_at(demo, marco, date(2027, 3, 26)) == utc(2027, 3, 26, 8, 30)  # CET
    assert prompt_at(demo, marco, date(2027, 3, 29)) == utc(2027, 3, 29, 7, 30)  # CEST
    assert prompt_at(demo, elena, date(2027, 3, 26)) == utc(2027, 3, 26, 9, 30)  # GMT
    assert prompt_at(demo, elena, date(2027, 3, 29)) == utc(2027, 3, 29, 8, 30)  # BST
    assert clock_time(prompt_at(demo, marco, date(2027, 3, 29)), zone_of(demo, marco)) == "09:30 CEST"


def test_a_stand_up_time_skipped_by_the_spring_forward_comes_an_hour_later_not_never(demo: Circle) -> None:
    assert demo.standup is not None
    nightly = replace(demo, standup=replace(demo.standup, at=time(2, 30), days=tuple(range(7))))
    # 02:30 does not exist in Rome on 28 March 2027: the prompt comes at 03:30 CEST.
    asked = prompt_at(nightly, member(nightly, "marco"), date(2027, 3, 28))
    assert asked == utc(2027, 3, 28, 1, 30)
    assert clock_time(asked, zone_of(nightly)) == "03:30 CEST"


def test_each_stand_up_day_has_a_summary_the_prompts_and_reminders_per_zone_and_a_close(demo: Circle) -> None:
    runs = list(StandupSchedule().occurrences(demo, utc(2026, 11, 30, 0, 0), utc(2026, 12, 1, 0, 0)))
    assert [o.kind for o in runs] == [PROMPT, REMIND, PROMPT, REMIND, OPEN, CLOSE]
    rome, new_york = (o for o in runs if o.kind == PROMPT)
    # Everyone asked at the same instant is one run; Elena, in New York, is asked six hours later.
    assert (rome.key, rome.due_at) == ("standup:prompt:demo:2026-11-30:0830Z", utc(2026, 11, 30, 8, 30))
    assert rome.payload["members"] == ["giulia", "marco", "luca", "sara", "paolo"]
    assert (new_york.due_at, new_york.payload["members"]) == (utc(2026, 11, 30, 14, 30), ["elena"])
    assert new_york.catch_up_until == utc(2026, 11, 30, 17, 30)  # her window: a late prompt still makes sense
    reminder = next(o for o in runs if o.kind == REMIND)
    assert (reminder.due_at, reminder.payload["members"]) == (utc(2026, 11, 30, 9, 30), rome.payload["members"])
    opened = next(o for o in runs if o.kind == OPEN)
    assert (opened.key, opened.due_at) == ("standup:open:demo:2026-11-30", utc(2026, 11, 30, 8, 30))
    # The card is final three hours after the last prompt (Elena's, in New York).
    close = next(o for o in runs if o.kind == CLOSE)
    assert close.due_at == window_closes(demo, date(2026, 11, 30)) == utc(2026, 11, 30, 17, 30)


def test_no_stand_up_on_weekends_or_circle_holidays_and_none_for_a_member_on_her_holiday(demo: Circle) -> None:
    week = list(StandupSchedule().occurrences(demo, utc(2026, 12, 5, 0, 0), utc(2026, 12, 10, 0, 0)))
    days = {o.payload["day"] for o in week}
    assert days == {"2026-12-07", "2026-12-09"}  # Sat 5, Sun 6 off; Tue 8 is a holiday
    monday = [h for o in week if o.kind == PROMPT and o.payload["day"] == "2026-12-07" for h in o.payload["members"]]
    assert "elena" not in monday and "marco" in monday


def test_planning_overlapping_ranges_names_every_run_the_same_way(demo: Circle) -> None:
    schedule = StandupSchedule()
    first = {(o.key, o.due_at) for o in schedule.occurrences(demo, utc(2026, 11, 30, 0, 0), utc(2026, 12, 2, 0, 0))}
    again = {(o.key, o.due_at) for o in schedule.occurrences(demo, utc(2026, 11, 30, 8, 0), utc(2026, 12, 3, 0, 0))}
    assert first & again and all(key.count(":") >= 3 for key, _ in first)
    assert {k for k, d in first if d >= utc(2026, 11, 30, 8, 0)} <= {k for k, _ in again}
    assert len({k for k, _ in first}) == len(first)


def test_without_reminder_or_when_disabled_nothing_extra_is_planned(demo: Circle) -> None:
    assert demo.standup is not None
    quiet = replace(demo, standup=replace(demo.standup, remind_after=None))
    runs = list(StandupSchedule().occurrences(quiet, utc(2026, 11, 30, 0, 0), utc(2026, 12, 1, 0, 0)))
    assert REMIND not in {o.kind for o in runs}
    paused = replace(demo, standup=replace(demo.standup, enabled=False))
    assert list(StandupSchedule().occurrences(paused, utc(2026, 11, 30, 0, 0), utc(2026, 12, 7, 0, 0))) == []


def test_an_answer_after_the_window_counts_for_the_next_stand_up_day(demo: Circle) -> None:
    marco = member(demo, "marco")
    assert answer_day(demo, marco, utc(2026, 12, 1, 11, 29)) == date(2026, 12, 1)
    assert member_window_closes(demo, marco, date(2026, 12, 1)) == utc(2026, 12, 1, 11, 30)
    assert answer_day(demo, marco, utc(2026, 12, 1, 18, 0)) == date(2026, 12, 2)  # the evening before
    assert answer_day(demo, marco, utc(2026, 12, 4, 19, 0)) == date(2026, 12, 7)  # Friday evening → Monday
    assert answer_day(demo, marco, utc(2026, 12, 7, 19, 0)) == date(2026, 12, 9)  # Tuesday 8 is a holiday


def test_blocker_age_counts_stand_up_days_only(demo: Circle) -> None:
    policy = demo.standup
    assert isinstance(policy, StandupPolicy)
    assert standup_days_between(policy, date(2026, 12, 4), date(2026, 12, 4)) == 1
    assert standup_days_between(policy, date(2026, 12, 4), date(2026, 12, 9)) == 3  # Fri, Mon, (holiday), Wed
    assert next_standup_day(policy, date(2026, 12, 24)) == date(2026, 12, 28)
