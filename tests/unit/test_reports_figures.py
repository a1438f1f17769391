"""Report figures against values computed by hand (README "Reports: definitions")."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from adapters.circles_file import load_circles
from domain.circle import Circle, EscalationStep, Severity
from domain.incidents.model import Source
from domain.reports.facts import ActionFacts, HandoverFacts, IncidentFacts, PostmortemFacts
from domain.reports.load import BUSINESS, OFF_HOURS, SLEEP, oncall_load
from domain.reports.metrics import incident_figures
from domain.reports.period import calendar_month
from domain.reports.postmortems import open_actions_at, postmortem_figures
from domain.reports.report import build_report, working_hours
from tests.conftest import EXAMPLE_CIRCLES

NOVEMBER = calendar_month(2026, 11, "Europe/Rome")
NOW = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def circle() -> Circle:
    """The example circle (Rome, Elena in New York), escalating to Luca, then the Team Leader."""
    example = load_circles(EXAMPLE_CIRCLES).circles[0]
    return dataclasses.replace(example, escalation=(EscalationStep("luca"), EscalationStep("team_leader")))


def facts(number: int, declared: str, **fields: object) -> IncidentFacts:
    values: dict[str, object] = {
        "number": number, "circle": "demo", "title": f"incident {number}", "severity": Severity.P1,
        "source": Source.MANUAL, "service": None, "declared_at": utc(declared), "acknowledged_at": None,
        "resolved_at": None, "commander": "marco",
    }  # fmt: skip
    values.update(fields)
    return IncidentFacts(**values)  # type: ignore[arg-type]


# P1: ack 5m, resolve 4h, updates every 30m; P2: ack 15m, resolve 8h, updates every 1h.
NOVEMBER_INCIDENTS = [
    facts(
        1, "2026-11-10T02:00", acknowledged_at=utc("2026-11-10T02:03"), resolved_at=utc("2026-11-10T03:00"),
        business_impact=True, stakeholder_updates=(utc("2026-11-10T02:20"), utc("2026-11-10T02:58")),
        postmortem_decision="start",
    ),
    facts(
        2, "2026-11-12T10:00", source=Source.ALERT, acknowledged_at=utc("2026-11-12T10:12"),
        resolved_at=utc("2026-11-12T15:00"), escalations=(utc("2026-11-12T10:05"), utc("2026-11-12T10:10")),
    ),
    facts(
        3, "2026-11-20T08:00", severity=Severity.P2, source=Source.ALERT, acknowledged_at=utc("2026-11-20T08:05"),
        business_impact=True,
    ),
    facts(4, "2026-10-30T12:00", acknowledged_at=utc("2026-10-30T12:01"), resolved_at=utc("2026-10-30T12:30")),
]  # fmt: skip


def test_incidents_declared_in_the_month_are_counted_by_source_and_severity(circle: Circle) -> None:
    figures = incident_figures(NOVEMBER_INCIDENTS, circle.sla, NOVEMBER.current, NOW)
    assert (figures.total, figures.manual, figures.from_alerts) == (3, 1, 2)
    assert figures.by_severity == {Severity.P1: 2, Severity.P2: 1}


def test_mtta_and_mttr_are_means_from_declaration(circle: Circle) -> None:
    figures = incident_figures(NOVEMBER_INCIDENTS, circle.sla, NOVEMBER.current, NOW)
    assert figures.mtta == timedelta(minutes=20) / 3  # (3 + 12 + 5) minutes / 3
    assert figures.mttr == timedelta(minutes=180)  # (60 + 300) / 2; INC-3 is still open
    assert (figures.acknowledged, figures.resolved) == (3, 2)


def test_sla_counts_met_and_breached_per_clock_and_sums_the_minutes_in_breach(circle: Circle) -> None:
    figures = incident_figures(NOVEMBER_INCIDENTS, circle.sla, NOVEMBER.current, NOW)
    ack, resolve = figures.sla["acknowledge"], figures.sla["resolve"]
    assert (ack.met, ack.breached, ack.pending, ack.breach_minutes) == (2, 1, 0, 7)  # INC-2 acked 7m late
    # INC-2 resolved 1h after its 4h; INC-3 (P2, 8h) is still open 9h after declaration.
    assert (resolve.met, resolve.breached, resolve.pending, resolve.breach_minutes) == (1, 2, 0, 120)
    assert figures.breach_minutes == 127
    worst = [(b.key, b.clock, b.minutes, b.ongoing) for b in figures.worst_breaches]
    assert worst == [
        ("INC-2", "resolve", 60, False),
        ("INC-3", "resolve", 60, True),
        ("INC-2", "acknowledge", 7, False),
    ]


def test_an_open_incident_within_its_deadline_is_pending(circle: Circle) -> None:
    early = NOW.replace(hour=8, minute=10)
    figures = incident_figures(NOVEMBER_INCIDENTS[2:3], circle.sla, NOVEMBER.current, early)
    assert (figures.sla["resolve"].pending, figures.sla["resolve"].breached) == (1, 0)


def test_escalations_count_the_incidents_that_reached_each_step(circle: Circle) -> None:
    figures = incident_figures(NOVEMBER_INCIDENTS, circle.sla, NOVEMBER.current, NOW, escalation_steps=3)
    assert figures.escalations_per_step == (1, 1, 0)


def test_stakeholder_updates_are_on_time_within_the_cadence_and_a_silent_cadence_is_missed(circle: Circle) -> None:
    figures = incident_figures(NOVEMBER_INCIDENTS, circle.sla, NOVEMBER.current, NOW)
    # INC-1: 20m after declaring (on time), 38m after that (late); INC-3: 9h without one (missed).
    assert (figures.stakeholder_on_time, figures.stakeholder_late, figures.stakeholder_missed) == (1, 1, 1)


def test_the_previous_month_has_its_own_figures(circle: Circle) -> None:
    figures = incident_figures(NOVEMBER_INCIDENTS, circle.sla, NOVEMBER.previous, NOW)
    assert (figures.total, figures.mtta, figures.mttr) == (1, timedelta(minutes=1), timedelta(minutes=30))


LOAD_INCIDENTS = [
    # 02:00Z is Tuesday 03:00 in Rome but Monday 21:00 in New York, where Elena lives.
    facts(10, "2026-11-10T02:00", commander="elena", resolved_at=utc("2026-11-10T03:30")),
    # Marco: Tuesday 06:30 to 09:30 in Rome; escalated to Luca at 06:35 and to Giulia at 06:45.
    facts(
        11, "2026-11-10T05:30", commander="marco", resolved_at=utc("2026-11-10T08:30"),
        escalations=(utc("2026-11-10T05:35"), utc("2026-11-10T05:45")),
    ),
]  # fmt: skip


def test_load_is_split_in_each_persons_own_time_zone(circle: Circle) -> None:
    load = {p.handle: p for p in oncall_load(LOAD_INCIDENTS, [], circle, working_hours(circle), NOVEMBER.current, NOW)}
    elena, marco = load["elena"], load["marco"]
    assert elena.minutes == {BUSINESS: 0, OFF_HOURS: 90, SLEEP: 0}
    assert elena.pages == {BUSINESS: 0, OFF_HOURS: 1, SLEEP: 0}
    assert elena.pages_by_hour[21] == 1
    assert marco.minutes == {BUSINESS: 30, OFF_HOURS: 120, SLEEP: 30}
    assert [marco.minutes_by_hour[h] for h in (6, 7, 8, 9)] == [30, 60, 60, 30]
    assert marco.pages == {BUSINESS: 0, OFF_HOURS: 0, SLEEP: 1}


def test_escalation_steps_page_the_person_each_step_names(circle: Circle) -> None:
    load = {p.handle: p for p in oncall_load(LOAD_INCIDENTS, [], circle, working_hours(circle), NOVEMBER.current, NOW)}
    assert load["luca"].pages[SLEEP] == 1 and load["luca"].pages_by_hour[6] == 1
    assert load["giulia"].pages[SLEEP] == 1
    assert load["sara"].is_idle


def test_the_night_of_the_dst_change_counts_its_repeated_hour_twice(circle: Circle) -> None:
    """25 Oct 2026 in Rome: 03:00 CEST becomes 02:00 CET, so 00:30Z-02:30Z is 02:30 CEST to 03:30 CET."""
    october = calendar_month(2026, 10, "Europe/Rome").current
    night = [facts(20, "2026-10-25T00:30", commander="sara", resolved_at=utc("2026-10-25T02:30"))]
    sara = next(p for p in oncall_load(night, [], circle, working_hours(circle), october, NOW) if p.handle == "sara")
    assert sara.minutes[SLEEP] == 120
    assert (sara.minutes_by_hour[2], sara.minutes_by_hour[3]) == (90, 30)


def test_business_hours_follow_the_circle_setting_on_quarter_hours(circle: Circle) -> None:
    circle = dataclasses.replace(
        circle, report=dataclasses.replace(circle.report, business_start=datetime(1, 1, 1, 8, 45).time())
    )
    load = oncall_load(LOAD_INCIDENTS[1:], [], circle, working_hours(circle), NOVEMBER.current, NOW)
    marco = next(p for p in load if p.handle == "marco")
    assert marco.minutes == {BUSINESS: 45, OFF_HOURS: 105, SLEEP: 30}


def test_handover_acceptance_latency_is_the_mean_delay_after_the_shift_began(circle: Circle) -> None:
    handovers = [
        HandoverFacts("demo", "luca", utc("2026-11-16T08:00"), utc("2026-11-16T08:20")),
        HandoverFacts("demo", "luca", utc("2026-11-02T08:00"), utc("2026-11-02T08:10")),
        HandoverFacts("demo", "sara", utc("2026-11-09T08:00"), None),
        HandoverFacts("demo", "sara", utc("2026-11-23T08:00"), None),  # not yet begun
    ]
    load = {p.handle: p for p in oncall_load([], handovers, circle, working_hours(circle), NOVEMBER.current, NOW)}
    assert (load["luca"].handovers, load["luca"].handovers_accepted) == (2, 2)
    assert load["luca"].acceptance_latency == timedelta(minutes=15)
    assert (load["sara"].handovers, load["sara"].handovers_accepted, load["sara"].acceptance_latency) == (1, 0, None)


ACTIONS = [
    ActionFacts(1, 1, "marco", utc("2026-11-11T10:00"), date(2026, 11, 15), None),
    ActionFacts(1, 2, "luca", utc("2026-11-11T10:00"), date(2026, 11, 25), None),
    ActionFacts(1, 3, "sara", utc("2026-11-11T10:00"), date(2026, 11, 25), utc("2026-11-14T09:00")),
]


def test_postmortems_count_triggers_decisions_and_overdue_actions(circle: Circle) -> None:
    postmortems = [PostmortemFacts(1, "demo", "draft", utc("2026-11-11T09:00"), None)]
    figures = postmortem_figures(
        NOVEMBER_INCIDENTS, postmortems, ACTIONS, circle.postmortem, NOVEMBER.current, today=date(2026, 11, 20)
    )
    # INC-1 (declared by a person, business impact) fired triggers; INC-2 (an alert) none; INC-3 is open.
    assert (figures.triggered, figures.decided_start, figures.decided_not_needed) == (1, 1, 0)
    assert (figures.started, figures.closed) == (1, 0)
    assert (figures.open_actions, figures.overdue_actions) == (2, 1)


def test_recurring_alerts_trigger_a_postmortem(circle: Circle) -> None:
    alerts = [
        facts(n, f"2026-11-0{n}T10:00", source=Source.ALERT, service="checkout", resolved_at=utc(f"2026-11-0{n}T11:00"))
        for n in (1, 2, 3)
    ]
    figures = postmortem_figures(alerts, [], [], circle.postmortem, NOVEMBER.current, today=date(2026, 11, 20))
    assert figures.triggered == 1  # the third within 30 days


def test_the_action_burn_down_counts_open_actions_at_each_moment() -> None:
    moments = [utc("2026-11-10T00:00"), utc("2026-11-12T00:00"), utc("2026-11-15T00:00")]
    assert open_actions_at(ACTIONS, moments) == [0, 3, 2]


def test_the_report_names_who_carried_the_most_night_load(circle: Circle) -> None:
    report = build_report(circle, NOVEMBER, incidents=LOAD_INCIDENTS, postmortems=[], actions=[], handovers=[], now=NOW)
    assert report.night_carrier is not None and report.night_carrier.handle == "marco"
    assert report.current.total == 2 and report.previous.total == 0


def test_a_half_hour_zone_splits_at_its_own_local_hours(circle: Circle) -> None:
    """Asia/Kolkata is UTC+05:30: 01:00Z-02:00Z is 06:30-07:30 there, half sleep, half off-hours."""
    circle = dataclasses.replace(
        circle, members=tuple(dataclasses.replace(m, time_zone="Asia/Kolkata") if m.handle == "sara" else m
                              for m in circle.members)
    )  # fmt: skip
    night = [facts(30, "2026-11-10T01:00", commander="sara", resolved_at=utc("2026-11-10T02:00"))]
    sara = next(p for p in oncall_load(night, [], circle, working_hours(circle), NOVEMBER.current, NOW)
                if p.handle == "sara")  # fmt: skip
    assert sara.minutes == {BUSINESS: 0, OFF_HOURS: 30, SLEEP: 30}
    assert (sara.minutes_by_hour[6], sara.minutes_by_hour[7]) == (30, 30)


def test_an_incident_left_open_for_days_counts_every_hour_of_every_day(circle: Circle) -> None:
    """Sunday 22 Nov 23:00 (Rome) to Wednesday 25 Nov 23:00: two whole working days and two partial ones."""
    open_long = [facts(40, "2026-11-22T22:00", commander="marco", resolved_at=utc("2026-11-25T22:00"))]
    week = calendar_month(2026, 11, "Europe/Rome").current
    marco = next(p for p in oncall_load(open_long, [], circle, working_hours(circle), week, NOW.replace(day=28))
                 if p.handle == "marco")  # fmt: skip
    # Sun 23-24 off-hours 60; Mon, Tue whole: sleep 7h, business 9h, off-hours 8h each; Wed 00-23: 7h, 9h, 7h.
    assert marco.minutes == {SLEEP: 3 * 420, BUSINESS: 3 * 540, OFF_HOURS: 60 + 2 * 480 + 420}
    assert marco.minutes_by_hour[23] == 60 * 3 and marco.minutes_by_hour[0] == 60 * 3
    assert sum(marco.minutes_by_hour) == 72 * 60
