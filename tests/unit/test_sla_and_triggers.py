"""SLA clocks and the handbook's postmortem triggers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.circle import PostmortemPolicy, Severity, SlaPolicy
from domain.incidents.model import Incident, Source
from domain.incidents.report import build_report
from domain.incidents.sla import SlaState, acknowledge_clock, describe, humanize, next_stakeholder_update_due
from domain.incidents.triggers import evaluate_triggers
from domain.local_time import zone_named

T0 = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
ROME = zone_named("Europe/Rome")
P1 = SlaPolicy(acknowledge=timedelta(minutes=5), resolve=timedelta(hours=4), stakeholder_update=timedelta(minutes=30))


def incident(**overrides: object) -> Incident:
    options: dict[str, object] = {
        "number": 1, "circle": "demo", "title": "Payments down", "severity": Severity.P1,
        "declared_by": "Ada", "at": T0, "commander": "bob",
    }  # fmt: skip
    options.update(overrides)
    return Incident.declare(**options)  # type: ignore[arg-type]


def test_acknowledge_clock_warns_at_80_percent_and_breaches_at_the_deadline() -> None:
    clock = acknowledge_clock(incident(), P1)
    assert clock.warn_at == T0 + timedelta(minutes=4)
    assert clock.state(T0 + timedelta(minutes=3, seconds=59)) is SlaState.ON_TRACK
    assert clock.state(T0 + timedelta(minutes=4)) is SlaState.AT_RISK
    assert clock.state(T0 + timedelta(minutes=5)) is SlaState.BREACHED
    # 03:00 UTC is 04:00 in Rome in November: the deadline reads in the circle's zone, with its name.
    assert describe(clock, T0 + timedelta(minutes=1), ROME) == "ack by 04:05 CET (in 4m)"
    assert describe(clock, T0 + timedelta(minutes=4), ROME) == "ack by 04:05 CET (in 1m) ⚠"
    assert describe(clock, T0 + timedelta(minutes=7), ROME) == "ack OVERDUE since 04:05 CET (2m)"


def test_time_left_reads_in_whole_minutes_rounded_up() -> None:
    clock = acknowledge_clock(incident(), P1)
    assert describe(clock, T0 + timedelta(seconds=1), ROME) == "ack by 04:05 CET (in 5m)"
    assert describe(clock, T0 + timedelta(minutes=4, seconds=30), ROME) == "ack by 04:05 CET (in <1m) ⚠"


def test_a_deadline_just_passed_never_reads_overdue_by_0s() -> None:
    clock = acknowledge_clock(incident(), P1)
    assert describe(clock, T0 + timedelta(minutes=5), ROME) == "ack OVERDUE since 04:05 CET"
    assert describe(clock, T0 + timedelta(minutes=5, seconds=59), ROME) == "ack OVERDUE since 04:05 CET"


def test_a_stopped_clock_says_met_or_missed_with_the_time_it_took() -> None:
    quick = incident()
    quick.acknowledge("bob", T0 + timedelta(minutes=2))
    assert acknowledge_clock(quick, P1).state(T0 + timedelta(hours=1)) is SlaState.MET
    assert describe(acknowledge_clock(quick, P1), T0, ROME) == "ack met at 04:02 CET (2m)"
    slow = incident()
    slow.acknowledge("bob", T0 + timedelta(minutes=9))
    assert acknowledge_clock(slow, P1).state(T0) is SlaState.MISSED


def test_stakeholder_updates_are_due_only_with_business_impact() -> None:
    assert next_stakeholder_update_due(incident(), P1) is None
    impacted = incident(business_impact=True)
    assert next_stakeholder_update_due(impacted, P1) == T0 + timedelta(minutes=30)
    impacted.record_stakeholder_update("bob", T0 + timedelta(minutes=10), "investigating")
    assert next_stakeholder_update_due(impacted, P1) == T0 + timedelta(minutes=40)
    no_cadence = SlaPolicy(acknowledge=timedelta(hours=1), resolve=timedelta(days=3))
    assert next_stakeholder_update_due(impacted, no_cadence) is None


def test_humanize_keeps_two_units() -> None:
    assert [humanize(timedelta(seconds=s)) for s in (0, 59, 90, 3600, 93784)] == ["0s", "59s", "1m 30s", "1h", "1d 2h"]


POLICY = PostmortemPolicy(recurrence_count=3, recurrence_window=timedelta(days=30))


def test_each_trigger_fires_with_its_reason() -> None:
    manual = incident(business_impact=True, data_loss=True)
    manual.resolve("bob", T0, summary="restored backup", oncall_intervened=True)
    fired = evaluate_triggers(manual, similar_recent=1, policy=POLICY)
    assert [t.name for t in fired] == ["data loss", "on-call intervention", "business impact", "monitoring failure"]
    assert fired[3].reason == "declared by Ada, not by an alert from monitoring"


def test_an_alert_with_no_other_facts_fires_nothing_until_it_recurs() -> None:
    alert = incident(source=Source.ALERT, declared_by="alertmanager", alert_fingerprint="7d2d332feada5c59")
    assert evaluate_triggers(alert, similar_recent=2, policy=POLICY) == []
    [recurring] = evaluate_triggers(alert, similar_recent=3, policy=POLICY)
    assert recurring.name == "recurring event"
    assert recurring.reason == "3 incidents for alert 7d2d332feada5c59 in the last 30 days"


def test_report_measures_time_to_acknowledge_and_resolve_against_the_sla() -> None:
    resolved = incident()
    resolved.acknowledge("bob", T0 + timedelta(minutes=3))
    resolved.resolve("bob", T0 + timedelta(hours=5), summary="failover")
    report = build_report(resolved, P1, [])
    assert (report.time_to_acknowledge, report.time_to_resolve) == (timedelta(minutes=3), timedelta(hours=5))
    assert (report.acknowledge_sla, report.resolve_sla) == (SlaState.MET, SlaState.MISSED)
    assert not report.sla_met
    assert not report.postmortem_suggested
