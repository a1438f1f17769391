"""Reports read what stand-ups and activities stored, on SQLite and PostgreSQL: the rows of the period, no more."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from domain.circle import Circle
from domain.reports.facts import AwayFacts, BlockerFacts, FeedbackFacts, StandupEntryFacts
from domain.reports.service import teamwork_facts
from domain.reports.teamwork import teamwork_figures
from storage.activities.tables import ActivityFeedbackRow, ActivityRow
from storage.database import Database
from storage.reports.reads import SqlReportReads
from storage.standups.tables import StandupAwayRow, StandupBlockerRow, StandupEntryRow
from tests.unit.test_reports_teamwork import NOW, WEEK


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def dec(day: int) -> date:
    return date(2026, 12, day)


def activity_row(number: int, owner: str, status: str, *, circle: str = "demo", **fields: Any) -> ActivityRow:
    values: dict[str, Any] = {
        "circle": circle, "owner": owner, "title": f"activity {number}", "repository": "internal",
        "project": "sre/internal", "marker": f"m-{circle}-{number}", "created_by": owner,
        "created_at": utc("2026-11-20T08:00"), "status": status, "iid": number,
    }  # fmt: skip
    values.update(fields)
    return ActivityRow(**values)


async def test_the_week_reads_its_stand_ups_blockers_time_off_and_activities(
    database: Database, circle: Circle
) -> None:
    async with database.session() as session:
        session.add_all(
            [
                StandupEntryRow(circle="demo", day=dec(7), member="marco", status="answered"),
                StandupEntryRow(circle="demo", day=dec(9), member="luca", status="skipped", reason="dentist"),
                StandupEntryRow(circle="demo", day=dec(10), member="marco", status="prompted"),
                StandupEntryRow(circle="demo", day=dec(4), member="marco", status="answered"),  # the week before
                StandupEntryRow(circle="demo", day=dec(14), member="marco", status="answered"),  # the week after
                StandupEntryRow(circle="other", day=dec(7), member="marco", status="answered"),  # another circle
                StandupBlockerRow(circle="demo", member="marco", text="VPN", first_day=dec(2), last_day=dec(4),
                                  solved_on=dec(9)),
                StandupBlockerRow(circle="demo", member="luca", text="access", first_day=dec(9), last_day=dec(10)),
                StandupBlockerRow(circle="demo", member="sara", text="old", first_day=dec(1), last_day=dec(2),
                                  solved_on=dec(3)),  # solved before the week
                StandupAwayRow(circle="demo", member="sara", start_day=dec(9), end_day=dec(10)),
                StandupAwayRow(circle="demo", member="paolo", start_day=dec(1), end_day=dec(4)),  # before
            ]
        )  # fmt: skip
        marco = activity_row(
            15, "marco", "wip", started_at=utc("2026-12-01T08:00"), wip_since=utc("2026-12-03T10:00"),
            status_changed_at=utc("2026-12-03T10:00"), deadline=dec(4),
        )  # fmt: skip
        luca = activity_row(
            7, "luca", "review", wip_since=utc("2026-12-04T09:00"), status_changed_at=utc("2026-12-09T14:00")
        )
        rows = [
            marco,
            luca,
            # Approved before the week began: neither in progress nor overdue this week.
            activity_row(3, "sara", "done", wip_since=utc("2026-11-23T09:00"),
                         status_changed_at=utc("2026-11-27T09:00"), deadline=dec(1)),
            # Approved after the report was made: still open (and overdue) when it was.
            activity_row(4, "sara", "done", wip_since=utc("2026-11-23T09:00"),
                         status_changed_at=utc("2026-12-12T09:00"), deadline=dec(2)),
            activity_row(21, "luca", "todo", deadline=dec(1)),  # never started, overdue
            activity_row(22, "luca", "todo", deadline=dec(11)),  # due today: not overdue yet
            activity_row(23, "luca", "todo", deadline=dec(1), created_at=utc("2026-12-12T08:00")),  # created later
            activity_row(24, "marco", "wip", circle="other", wip_since=utc("2026-12-03T10:00"), deadline=dec(1)),
        ]  # fmt: skip
        session.add_all(rows)
        await session.flush()
        assert marco.id is not None and luca.id is not None
        session.add_all(
            [
                ActivityFeedbackRow(activity_id=marco.id, day=dec(7), sequence=1, at=utc("2026-12-07T16:00"), text="a"),
                ActivityFeedbackRow(activity_id=marco.id, day=dec(7), sequence=2, at=utc("2026-12-07T17:00"), text="b"),
                ActivityFeedbackRow(activity_id=luca.id, day=dec(7), sequence=1, at=utc("2026-12-07T16:00"), text="c"),
                ActivityFeedbackRow(activity_id=marco.id, day=dec(4), sequence=1, at=utc("2026-12-04T16:00"), text="d"),
                ActivityFeedbackRow(activity_id=rows[-1].id or 0, day=dec(7), sequence=1, at=utc("2026-12-07T16:00"),
                                    text="other circle"),
            ]
        )  # fmt: skip
        await session.commit()

    async with database.read_session() as session:
        facts = await teamwork_facts(SqlReportReads(session), circle, WEEK, NOW)

    assert sorted(facts.entries, key=lambda e: (e.day, e.member)) == [
        StandupEntryFacts("marco", dec(7), "answered", ""),
        StandupEntryFacts("luca", dec(9), "skipped", "dentist"),
        StandupEntryFacts("marco", dec(10), "prompted", ""),
    ]
    assert sorted(facts.blockers, key=lambda b: b.member) == [
        BlockerFacts("luca", dec(9), None),
        BlockerFacts("marco", dec(2), dec(9)),
    ]
    assert facts.aways == (AwayFacts("sara", dec(9), dec(10)),)
    assert sorted(a.ref for a in facts.activities) == ["#15", "#4", "#7"]
    assert sorted(facts.feedback, key=lambda f: f.activity_id) == sorted(
        [FeedbackFacts(marco.id, dec(7)), FeedbackFacts(luca.id, dec(7))], key=lambda f: f.activity_id
    )
    assert sorted(a.ref for a in facts.overdue) == ["#15", "#21", "#4"]

    figures = teamwork_figures(circle, facts, WEEK, NOW)
    # Marco answered Monday, not Thursday; Luca's Wednesday skip had a reason.
    assert (figures.standups_answered, figures.standups_expected) == (1, 2)
    assert (figures.blockers_raised, figures.blockers_solved) == (1, 1)
    assert figures.overdue_activities == 3
    marco_row = next(m for m in figures.members if m.handle == "marco")
    # Mon, Wed, Thu in progress (Tue a holiday); feedback on Monday only (twice, one day).
    assert (marco_row.feedback_days, marco_row.wip_days, marco_row.wip_age_days) == (1, 3, 10)
