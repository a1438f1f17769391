"""When the rota's recurring work falls due, and how late a missed run is still worth doing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from adapters.circles_file import parse_circles
from domain.oncall.schedule import GapReportSchedule, ShiftChangeSchedule, ShiftReminderSchedule

ROME = ZoneInfo("Europe/Rome")
SHORT_SHIFTS = """
circles:
  - name: night
    customer: acme
    project: night
    team_id: t
    channel_id: night-channel
    time_zone: Europe/Rome
    team_leader: ada
    members:
      - {handle: ada, name: Ada Lovelace, teams_user_id: u-ada}
      - {handle: bob, name: Bob Oncall, teams_user_id: u-bob}
    rota:
      shifts:
        - {member: ada, layer: primary, start: "2026-12-07 09:00", end: "2026-12-07 13:00"}
        - {member: bob, layer: primary, start: "2026-12-07 13:00", end: "2026-12-07 17:00"}
    handover: {shift_reminders: [1h]}
    sla:
      P1: {acknowledge: 5m, resolve: 4h, stakeholder_updates: 30m}
      P2: {acknowledge: 15m, resolve: 8h, stakeholder_updates: 1h}
      P3: {acknowledge: 1h, resolve: 3d, stakeholder_updates: never}
      P4: {acknowledge: 4h, resolve: 10d, stakeholder_updates: never}
    jira: {project: NIGHT}
"""


def rome(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ROME).astimezone(UTC)


MONDAY = rome("2026-12-07 00:00")
CIRCLE = parse_circles(SHORT_SHIFTS).circles[0]


def test_a_missed_handover_is_worth_doing_for_twelve_hours_but_never_after_the_turn_ended() -> None:
    runs = list(ShiftChangeSchedule().occurrences(CIRCLE, MONDAY, MONDAY + timedelta(days=1)))

    assert [(run.key, run.due_at, run.catch_up_until) for run in runs] == [
        ("handover:night:primary:2026-12-07T08:00:00+00:00", rome("2026-12-07 09:00"), rome("2026-12-07 13:00")),
        ("handover:night:primary:2026-12-07T12:00:00+00:00", rome("2026-12-07 13:00"), rome("2026-12-07 17:00")),
    ]
    assert runs[1].description == (
        "the primary on-call handover of Mon 7 Dec 13:00 CET from Ada Lovelace to Bob Oncall"
    )
    shorter = ShiftChangeSchedule(grace=timedelta(hours=1)).occurrences(CIRCLE, MONDAY, MONDAY + timedelta(days=1))
    assert [run.catch_up_until for run in shorter] == [rome("2026-12-07 10:00"), rome("2026-12-07 14:00")]


def test_a_shift_reminder_is_only_worth_sending_before_the_shift_starts() -> None:
    runs = list(ShiftReminderSchedule().occurrences(CIRCLE, MONDAY, MONDAY + timedelta(days=1)))

    assert [(run.due_at, run.catch_up_until, run.payload["member"]) for run in runs] == [
        (rome("2026-12-07 08:00"), rome("2026-12-07 09:00"), "ada"),
        (rome("2026-12-07 12:00"), rome("2026-12-07 13:00"), "bob"),
    ]


def test_a_reminder_due_in_the_window_is_found_even_when_its_shift_starts_after_it() -> None:
    runs = ShiftReminderSchedule().occurrences(CIRCLE, rome("2026-12-07 12:00"), rome("2026-12-07 12:30"))

    assert [run.payload["member"] for run in runs] == ["bob"]


def test_the_rota_check_is_on_monday_morning_only() -> None:
    runs = list(GapReportSchedule().occurrences(CIRCLE, rome("2026-12-03 00:00"), rome("2026-12-15 00:00")))

    assert [(run.key, run.due_at) for run in runs] == [
        ("oncall-gaps:night:2026-12-07", rome("2026-12-07 09:00")),
        ("oncall-gaps:night:2026-12-14", rome("2026-12-14 09:00")),
    ]
