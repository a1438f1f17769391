"""The `standup:` block, member time zones and holidays in circles.yaml: defaults, merging, FILE:LINE errors."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from adapters.circles_file import CirclesFileError, parse_circles
from storage.unit_of_work import UnitOfWorkFactory
from tests.unit.test_circles_file import VALID, line_of


def with_standup(standup: str, defaults: str = "", member_extra: str = "") -> str:
    text = VALID.replace("    jira: {project: PAY}\n", f"    jira: {{project: PAY}}\n{standup}")
    if defaults:
        text = text.replace("defaults:\n", f"defaults:\n{defaults}")
    if member_extra:
        text = text.replace("teams_user_id: user-2}", f"teams_user_id: user-2, {member_extra}}}")
    return text


def errors_of(text: str) -> list[str]:
    with pytest.raises(CirclesFileError) as raised:
        parse_circles(text, "circles.yaml")
    return raised.value.errors


def test_a_circle_without_a_standup_block_takes_the_defaults_one_or_has_none() -> None:
    assert parse_circles(with_standup("")).circles[0].standup is None
    inherited = parse_circles(with_standup("", defaults='  standup: {time: "10:00"}\n')).circles[0].standup
    assert inherited is not None and inherited.at == time(10, 0)
    paused = parse_circles(with_standup("    standup: {enabled: false}\n", defaults='  standup: {time: "10:00"}\n'))
    assert paused.circles[0].standup is not None and not paused.circles[0].standup.enabled


def test_an_empty_standup_block_takes_every_default() -> None:
    policy = parse_circles(with_standup("    standup: {}\n")).circles[0].standup
    assert policy is not None
    assert (policy.at, policy.days, policy.window, policy.remind_after) == (
        time(9, 30), (0, 1, 2, 3, 4), timedelta(hours=3), timedelta(hours=1),
    )  # fmt: skip
    assert (policy.questions.yesterday, policy.escalate_blockers_after) == ("What did you do yesterday?", 2)


def test_the_circle_wins_over_defaults_field_by_field_and_holidays_add_up() -> None:
    text = with_standup(
        "    standup: {window: 2h, holidays: [2026-12-24],\n"
        "              questions: {yesterday: Ieri?, today: Oggi?, blockers: Blocchi?}}\n",
        defaults='  standup: {time: "10:15", remind_after: never, holidays: [2026-12-25]}\n',
        member_extra="time_zone: America/New_York, holidays: [2026-12-07]",
    )
    circle = parse_circles(text).circles[0]
    policy = circle.standup
    assert policy is not None
    assert (policy.at, policy.window, policy.remind_after) == (time(10, 15), timedelta(hours=2), None)
    assert policy.holidays == (date(2026, 12, 24), date(2026, 12, 25))
    assert policy.questions.today == "Oggi?"
    bob = circle.member("bob")
    assert bob is not None and (bob.time_zone, bob.holidays) == ("America/New_York", (date(2026, 12, 7),))


async def test_the_stored_circle_reads_back_with_its_stand_up_exactly(uow_factory: UnitOfWorkFactory) -> None:
    text = with_standup(
        "    standup: {remind_after: never, holidays: [2026-12-24]}\n",
        defaults='  standup: {time: "10:15", window: 2h, holidays: [2026-12-25]}\n',
        member_extra="time_zone: America/New_York, holidays: [2026-12-07]",
    )
    config = parse_circles(text)
    async with uow_factory() as uow:
        await uow.circles.apply(config, datetime(2026, 12, 1, tzinfo=UTC))
        await uow.commit()
    async with uow_factory.reader() as uow:
        stored = await uow.circles.get("payments")
    assert stored == config.circles[0]
    assert stored.standup is not None and stored.standup.remind_after is None
    assert stored.standup.holidays == (date(2026, 12, 24), date(2026, 12, 25))


def test_stand_up_mistakes_are_reported_at_their_line() -> None:
    text = with_standup(
        "    standup:\n"
        '      time: "9:30"\n'
        "      window: 30m\n"
        "      remind_after: 1h\n"
        "      holidays: [christmas]\n"
        "      escalate_blockers_after: 0\n",
        member_extra="time_zone: Rome",
    )
    errors = errors_of(text)
    time_line = line_of(text, "9:30")
    assert any(e.startswith(f"circles.yaml:{time_line}: circles[0].standup.time: '9:30' is not a time") for e in errors)
    assert any(e.startswith(f"circles.yaml:{line_of(text, 'holidays: [christmas]')}:") for e in errors)
    assert any("escalate_blockers_after" in e for e in errors)
    assert any(e.startswith(f"circles.yaml:{line_of(text, 'time_zone: Rome')}:") and "IANA" in e for e in errors)


def test_a_reminder_after_the_window_closes_is_an_error_at_the_circles_stand_up() -> None:
    text = with_standup("    standup:\n      remind_after: 2h\n", defaults="  standup: {window: 1h}\n")
    [error] = errors_of(text)
    assert error.startswith(f"circles.yaml:{line_of(text, '    standup:')}: circles[0].standup:")
    assert "(remind_after: 2h) must come before the window closes (window: 1h)" in error
