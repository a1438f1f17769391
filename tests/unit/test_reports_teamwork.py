"""Stand-up and activity figures against values computed by hand (README "Reports: definitions").

The example circle: Rome, stand-up 09:30 with a 3-hour window, Tuesday 8 Dec 2026 a holiday, Elena in
New York with Monday 7 Dec off. The week of 7 Dec, read on Friday 11 Dec.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest

from adapters.circles_file import load_circles
from bot.reports.cards import report_card
from domain.circle import Circle
from domain.reports.facts import (
    ActivityFacts,
    AwayFacts,
    BlockerFacts,
    FeedbackFacts,
    StandupEntryFacts,
    TeamworkFacts,
)
from domain.reports.period import Comparison, Period
from domain.reports.report import build_report
from domain.reports.summary import headline, teamwork_lines
from domain.reports.teamwork import MemberTeamwork, teamwork_figures
from tests.card_schema import assert_valid_card
from tests.conftest import EXAMPLE_CIRCLES

# Monday 7 Dec 00:00 to Monday 14 Dec 00:00 in Rome.
WEEK = Period(datetime(2026, 12, 6, 23, tzinfo=UTC), datetime(2026, 12, 13, 23, tzinfo=UTC), "week of 7 Dec 2026")
# Friday 17:00 in Rome, 11:00 in New York: Elena's window (09:30 + 3h New York time) is still open.
NOW = datetime(2026, 12, 11, 16, 0, tzinfo=UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def dec(day: int) -> date:
    return date(2026, 12, day)


@pytest.fixture
def circle() -> Circle:
    return load_circles(EXAMPLE_CIRCLES).circles[0]


def entry(member: str, day: int, status: str, reason: str = "") -> StandupEntryFacts:
    return StandupEntryFacts(member, dec(day), status, reason)


def activity(number: int, owner: str, status: str, **moments: object) -> ActivityFacts:
    values: dict[str, object] = {
        "id": number, "owner": owner, "ref": f"#{number}", "title": f"activity {number}", "status": status,
        "created_at": utc("2026-11-20T08:00"), "started_at": None, "wip_since": None, "status_changed_at": None,
        "last_feedback_at": None, "deadline": None,
    }  # fmt: skip
    values.update(moments)
    return ActivityFacts(**values)  # type: ignore[arg-type]


MARCO_WIP = activity(
    15, "marco", "wip", started_at=utc("2026-12-01T08:00"), wip_since=utc("2026-12-03T10:00"),
    status_changed_at=utc("2026-12-03T10:00"), last_feedback_at=utc("2026-12-10T16:00"), deadline=dec(4),
)  # fmt: skip
# Went WIP at 04:00 in Rome on Wednesday (22:00 Tuesday in New York): feedback is owed from Thursday.
ELENA_WIP = activity(
    9, "elena", "wip", wip_since=utc("2026-12-09T03:00"), status_changed_at=utc("2026-12-09T03:00"),
    # 18:30 in New York on Thursday, but 00:30 on Friday in Rome: Friday's feedback, not Thursday's.
    last_feedback_at=utc("2026-12-10T23:30"),
)  # fmt: skip
LUCA_REVIEW = activity(
    7, "luca", "review", wip_since=utc("2026-12-04T09:00"), status_changed_at=utc("2026-12-09T14:00"),
)  # fmt: skip
SARA_DONE = activity(
    3, "sara", "done", wip_since=utc("2026-11-30T09:00"), last_feedback_at=utc("2026-12-09T10:00"),
    status_changed_at=utc("2026-12-11T09:00"),
)  # fmt: skip
LUCA_LATE = activity(21, "luca", "todo", deadline=dec(1))

FACTS = TeamworkFacts(
    entries=(
        # Marco: answered Monday and Wednesday, not Thursday; Tuesday is a holiday, Friday is not final yet.
        entry("marco", 7, "answered"), entry("marco", 8, "prompted"), entry("marco", 9, "answered"),
        entry("marco", 10, "prompted"), entry("marco", 11, "answered"),
        # Luca: commanding a P1 on Monday, at the dentist on Wednesday (exempt), skipped without a reason on Thursday.
        entry("luca", 7, "on_incident"), entry("luca", 9, "skipped", "dentist"), entry("luca", 10, "skipped"),
        # Sara: answered Monday; `/ooo` for Wednesday and Thursday after Wednesday's prompt.
        entry("sara", 7, "answered"), entry("sara", 9, "prompted"),
        # Elena: Monday is her holiday; answered Wednesday; unreachable on Thursday.
        entry("elena", 7, "prompted"), entry("elena", 9, "answered"), entry("elena", 10, "unreachable"),
    ),
    blockers=(
        BlockerFacts("marco", dec(2), dec(9)),  # solved this week
        BlockerFacts("luca", dec(9), None),  # raised this week
        BlockerFacts("sara", dec(7), dec(10)),  # both
        BlockerFacts("paolo", dec(1), dec(3)),  # neither
    ),
    aways=(AwayFacts("sara", dec(9), dec(10)),),
    activities=(MARCO_WIP, ELENA_WIP, LUCA_REVIEW, SARA_DONE),
    feedback=(
        FeedbackFacts(15, dec(7)), FeedbackFacts(15, dec(10)), FeedbackFacts(7, dec(7)), FeedbackFacts(3, dec(9)),
    ),
    overdue=(MARCO_WIP, LUCA_LATE),
)  # fmt: skip


def test_participation_counts_answers_over_the_prompts_a_member_owed(circle: Circle) -> None:
    figures = teamwork_figures(circle, FACTS, WEEK, NOW)
    # Marco 2/3, Luca 0/1, Sara 1/1, Elena 1/2.
    assert (figures.standups_answered, figures.standups_expected) == (4, 7)
    assert (figures.blockers_raised, figures.blockers_solved) == (2, 2)


@pytest.mark.parametrize(
    ("now", "marco", "total"),
    [
        # 17:00 UTC: Rome's window closed at 11:30 UTC, but Elena's (09:30 New York + 3h) at 17:30 UTC.
        (utc("2026-12-11T17:00"), (2, 3), (4, 7)),
        (utc("2026-12-11T17:30"), (3, 4), (5, 8)),
    ],
)
def test_a_day_counts_once_its_last_window_has_closed_even_in_another_zone(
    circle: Circle, now: datetime, marco: tuple[int, int], total: tuple[int, int]
) -> None:
    figures = teamwork_figures(circle, FACTS, WEEK, now)
    row = next(m for m in figures.members if m.handle == "marco")
    assert (row.standups_answered, row.standups_expected) == marco
    assert (figures.standups_answered, figures.standups_expected) == total


def test_feedback_compliance_counts_finished_working_days_with_an_activity_in_progress(circle: Circle) -> None:
    figures = teamwork_figures(circle, FACTS, WEEK, NOW)
    rows = {m.handle: m for m in figures.members}
    # Marco: Mon, Wed, Thu in WIP (Tue a holiday, Fri not over), feedback Mon and Thu.
    assert (rows["marco"].feedback_days, rows["marco"].wip_days) == (2, 3)
    # Elena: WIP from Wednesday (Rome), owed Thursday; her feedback fell on Friday in Rome.
    assert (rows["elena"].feedback_days, rows["elena"].wip_days) == (0, 1)
    # Luca: in review from Wednesday, so only Monday was owed, and given.
    assert (rows["luca"].feedback_days, rows["luca"].wip_days) == (1, 1)
    # Sara: done; her spell ends the day after her last feedback (Wed); away Wed, so Monday alone, missed.
    assert (rows["sara"].feedback_days, rows["sara"].wip_days) == (0, 1)
    assert (figures.feedback_days, figures.wip_days) == (3, 6)
    assert figures.feedback_compliance == 0.5


def test_wip_age_and_overdue_activities_per_member(circle: Circle) -> None:
    figures = teamwork_figures(circle, FACTS, WEEK, NOW)
    assert figures.overdue_activities == 2
    assert figures.members == (
        MemberTeamwork("marco", "Marco Bianchi", 2, 3, 2, 3, "#15", 10, 1),
        MemberTeamwork("luca", _name(circle, "luca"), 0, 1, 1, 1, None, None, 1),
        MemberTeamwork("sara", _name(circle, "sara"), 1, 1, 0, 1, None, None, 0),
        MemberTeamwork("elena", _name(circle, "elena"), 1, 2, 0, 1, "#9", 2, 0),
    )


def test_the_card_says_it_in_compact_lines(circle: Circle) -> None:
    report = build_report(
        circle, _comparison(), incidents=[], postmortems=[], actions=[], handovers=[], now=NOW, teamwork=FACTS
    )
    lines = dict(teamwork_lines(report.teamwork))
    assert lines == {
        "Stand-ups": "57% (4/7) answered · blockers 2 raised, 2 solved",
        "Activity feedback": "50% (3/6) of WIP days",
        "WIP age": f"Marco Bianchi #15 10 days · {_name(circle, 'elena')} #9 2 days",
        "Overdue activities": "2",
    }
    assert_valid_card(report_card(report, "https://bot.example.com/tabs/dashboard?t=x"))


def test_each_rate_and_count_shows_the_previous_periods_where_it_had_any(circle: Circle) -> None:
    # The week before (30 Nov - 4 Dec): Marco answered one stand-up of two; no activity was in progress.
    before = TeamworkFacts(entries=(entry("marco", 1, "answered"), entry("marco", 2, "prompted")))
    report = build_report(
        circle, _comparison(), incidents=[], postmortems=[], actions=[], handovers=[], now=NOW, teamwork=FACTS,
        previous_teamwork=before,
    )  # fmt: skip
    lines = dict(teamwork_lines(report.teamwork, report.previous_teamwork))

    assert lines["Stand-ups"] == "57% (4/7) answered (before: 50% (1/2)) · blockers 2 raised, 2 solved"
    assert lines["Activity feedback"] == "50% (3/6) of WIP days"  # no WIP days before: nothing to compare
    assert lines["Overdue activities"] == "2 (before: 0)"
    assert dict(headline(report))["Stand-ups"] == lines["Stand-ups"]  # the card's lines
    assert_valid_card(report_card(report))


def test_a_circle_without_stand_up_or_activities_says_so_without_inventing_figures(circle: Circle) -> None:
    quiet = teamwork_figures(_without_standup(circle), TeamworkFacts(), WEEK, NOW)
    assert dict(teamwork_lines(quiet)) == {"Activity feedback": "no WIP days", "Overdue activities": "0"}


def _name(circle: Circle, handle: str) -> str:
    member = circle.member(handle)
    assert member is not None
    return member.display_name


def _comparison() -> Comparison:
    before = Period(datetime(2026, 11, 29, 23, tzinfo=UTC), WEEK.start, "week of 30 Nov 2026")
    return Comparison(WEEK, before)


def _without_standup(circle: Circle) -> Circle:
    return dataclasses.replace(circle, standup=None)
