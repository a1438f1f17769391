"""Stand-up rules: blockers keep their age, incidents excuse and mark people, `/ooo` and dates, the summary."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from adapters.circles_file import load_circles
from domain.circle import Circle, Member, Severity
from domain.incidents.model import Incident
from domain.standups.model import Away, Blocker, Entry, EntryStatus, StandupError, blocker_lines, reconcile_blockers
from domain.standups.rules import commanded_incident, incident_roles, paged_at_night, parse_day, parse_ooo
from domain.standups.summary import build_summary

EXAMPLE = Path(__file__).resolve().parents[2] / "circles.example.yaml"
ROME = ZoneInfo("Europe/Rome")
TUESDAY = date(2026, 12, 1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def demo() -> Circle:
    return load_circles(EXAMPLE).circles[0]


def member(circle: Circle, handle: str) -> Member:
    found = circle.member(handle)
    assert found is not None
    return found


def incident(number: int, severity: Severity, commander: str, at: datetime, *, by: str = "Giulia Rossi") -> Incident:
    return Incident.declare(
        number=number, circle="demo", title="checkout returns 500", severity=severity, declared_by=by, at=at,
        commander=commander, commander_name={"luca": "Luca Ferrari", "marco": "Marco Bianchi"}[commander],
    )  # fmt: skip


# --- blockers --------------------------------------------------------------------------------------


def test_one_blocker_per_line_and_none_means_none() -> None:
    assert blocker_lines("- waiting for DB access\n• VPN down\n\n2. review of MR !12") == [
        "waiting for DB access", "VPN down", "review of MR !12",
    ]  # fmt: skip
    assert blocker_lines("none") == [] and blocker_lines("No.") == [] and blocker_lines("  ") == []


def test_a_blocker_written_again_keeps_its_age_and_one_left_out_or_ticked_is_solved() -> None:
    db = Blocker("demo", "marco", "Waiting for DB access", date(2026, 11, 27), date(2026, 11, 30), id=1)
    vpn = Blocker("demo", "marco", "VPN down", date(2026, 11, 30), date(2026, 11, 30), id=2)
    mr = Blocker("demo", "marco", "MR !12 needs a review", date(2026, 11, 30), date(2026, 11, 30), id=3)

    changes = reconcile_blockers([db, vpn, mr], "waiting for db access.\nVPN down\nnew: staging is full", {2}, TUESDAY)

    assert [b.id for b in changes.repeated] == [1]
    assert (db.first_day, db.last_day, db.solved_on) == (date(2026, 11, 27), TUESDAY, None)
    assert {b.id for b in changes.solved} == {2, 3} and vpn.solved_on == mr.solved_on == TUESDAY
    assert changes.raised == ("new: staging is full",)


def test_editing_the_answer_brings_back_a_blocker_solved_earlier_the_same_day() -> None:
    db = Blocker("demo", "marco", "DB access", date(2026, 11, 30), TUESDAY, id=1, solved_on=TUESDAY)
    changes = reconcile_blockers([db], "DB access", set(), TUESDAY)
    assert changes.repeated == (db,) and db.is_open


def test_an_answer_needs_yesterday_or_today_and_stays_under_the_limit() -> None:
    entry = Entry("demo", TUESDAY, "marco", EntryStatus.PROMPTED)
    with pytest.raises(StandupError, match="at least"):
        entry.answer(yesterday=" ", today="", blockers="x", at=utc(2026, 12, 1, 8, 40))
    with pytest.raises(StandupError, match="2000"):
        entry.answer(yesterday="x" * 2001, today="", blockers="", at=utc(2026, 12, 1, 8, 40))
    entry.answer(yesterday="certs", today="ingress", blockers="", at=utc(2026, 12, 1, 8, 40))
    entry.answer(yesterday="certs", today="ingress and DNS", blockers="", at=utc(2026, 12, 1, 9, 0))
    assert (entry.answered_at, entry.edited_at) == (utc(2026, 12, 1, 8, 40), utc(2026, 12, 1, 9, 0))


# --- incidents -------------------------------------------------------------------------------------


def test_who_commands_an_open_p1_or_p2_is_busy_but_not_for_a_p3(demo: Circle) -> None:
    p3 = incident(6, Severity.P3, "luca", utc(2026, 12, 1, 2, 0))
    p1 = incident(7, Severity.P1, "luca", utc(2026, 12, 1, 3, 0))
    assert commanded_incident(member(demo, "luca"), [p3]) is None
    assert commanded_incident(member(demo, "luca"), [p3, p1]) is p1
    assert commanded_incident(member(demo, "marco"), [p3, p1]) is None


def test_what_a_member_did_on_incidents_and_whether_they_were_paged_at_night(demo: Circle) -> None:
    night = incident(7, Severity.P2, "luca", utc(2026, 12, 1, 2, 10))  # 03:10 in Rome
    night.acknowledge("Luca Ferrari", utc(2026, 12, 1, 2, 15))
    day = incident(8, Severity.P3, "marco", utc(2026, 11, 30, 14, 0), by="Luca Ferrari")
    since, until = utc(2026, 11, 30, 8, 30), utc(2026, 12, 1, 8, 30)

    roles = incident_roles(member(demo, "luca"), [night, day], since, until)

    assert [r.line() for r in roles] == [
        "INC-7 checkout returns 500: commanded, acknowledged",
        "INC-8 checkout returns 500: declared",
    ]
    assert paged_at_night(roles, TUESDAY, ROME)
    marco = incident_roles(member(demo, "marco"), [night, day], since, until)
    assert [r.roles for r in marco] == [("commanded",)]
    assert not paged_at_night(marco, TUESDAY, ROME)  # engaged at 15:00 is a day's work


# --- /ooo and dates --------------------------------------------------------------------------------


def test_ooo_for_days_until_a_date_or_cancel() -> None:
    three = parse_ooo("3d dentist", TUESDAY)
    assert (three.start, three.end, three.reason) == (TUESDAY, date(2026, 12, 3), "dentist")
    assert parse_ooo("until 2026-12-10", TUESDAY).end == date(2026, 12, 10)
    assert parse_ooo("until fri", TUESDAY).end == date(2026, 12, 4)
    assert parse_ooo("2w", TUESDAY).end == TUESDAY + timedelta(days=13)
    assert parse_ooo("cancel", TUESDAY).cancel


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "for how long"),
        ("soon", "don't understand"),
        ("until 2026-11-01", "in the past"),
        ("until x", "not a date"),
    ],
)
def test_ooo_mistakes_say_what_to_type(text: str, says: str) -> None:
    with pytest.raises(StandupError, match=says) as error:
        parse_ooo(text, TUESDAY)
    assert "/ooo" in str(error.value) or "2026-12-10" in str(error.value)


def test_summary_dates() -> None:
    assert parse_day("yesterday", TUESDAY) == date(2026, 11, 30)
    assert parse_day("fri", TUESDAY) == date(2026, 11, 27)
    assert parse_day("2026-11-20", TUESDAY) == date(2026, 11, 20)


# --- the summary -----------------------------------------------------------------------------------


def test_the_summary_leads_with_incidents_and_blockers_and_names_non_answerers_without_mentions(demo: Circle) -> None:
    now = utc(2026, 12, 1, 9, 0)
    p1 = incident(7, Severity.P1, "luca", utc(2026, 12, 1, 2, 10))
    marco = Entry("demo", TUESDAY, "marco", EntryStatus.PROMPTED, prompted_at=utc(2026, 12, 1, 8, 30))
    marco.answer(yesterday="certs", today="ingress", blockers="DB access", at=now)
    entries = [
        marco,
        Entry("demo", TUESDAY, "luca", EntryStatus.ON_INCIDENT, incident="INC-7"),
        Entry("demo", TUESDAY, "sara", EntryStatus.PROMPTED, night_paged=True),
        Entry("demo", TUESDAY, "giulia", EntryStatus.SKIPPED, reason="customer workshop"),
        Entry("demo", TUESDAY, "elena", EntryStatus.UNREACHABLE),
    ]
    blockers = [
        Blocker("demo", "marco", "DB access", date(2026, 11, 27), TUESDAY, id=1),
        Blocker("demo", "marco", "VPN", date(2026, 11, 30), date(2026, 11, 30), id=2),  # not repeated today
    ]
    aways = [Away("demo", "paolo", date(2026, 11, 30), date(2026, 12, 4), "holiday in Sicily")]

    summary = build_summary(
        demo, TUESDAY, entries=entries, aways=aways, blockers=blockers, open_incidents=[p1], now=now, final=False
    )

    assert [line.key for line in summary.incidents] == ["INC-7"]
    assert [(b.member, b.text, b.age) for b in summary.blockers] == [("Marco Bianchi", "DB access", 3)]
    states = {p.handle: p.state for p in summary.people}
    assert states == {
        "marco": "answered", "luca": "on INC-7", "sara": "not answered", "giulia": "skipped",
        "elena": "unreachable", "paolo": "away",
    }  # fmt: skip
    assert summary.people[0].handle == "marco" and summary.people[1].handle == "luca"
    assert summary.progress == "1 of 3 answered"
    assert summary.not_answered == ("Sara Romano", "Elena Ricci")
    assert summary.unreachable == ("Elena Ricci",)
    assert next(p for p in summary.people if p.handle == "sara").note == "paged at night"


def test_members_on_holiday_are_not_expected_and_the_final_summary_counts_who_was_never_asked(demo: Circle) -> None:
    elena_off = date(2026, 12, 7)
    summary = build_summary(
        demo, elena_off, entries=[], aways=[], blockers=[], open_incidents=[], now=utc(2026, 12, 7, 12, 0), final=True
    )
    assert next(p for p in summary.people if p.handle == "elena").state == "holiday"
    assert summary.expected == len(demo.members) - 1 and "Elena Ricci" not in summary.not_answered
    stakeholders = replace(demo, members=demo.members[:2])
    assert (
        build_summary(
            stakeholders,
            TUESDAY,
            entries=[],
            aways=[],
            blockers=[],
            open_incidents=[],
            now=utc(2026, 12, 1, 9),
            final=False,
        ).progress
        == "0 of 2 answered"
    )
