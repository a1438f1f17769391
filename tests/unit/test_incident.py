"""The incident lifecycle, as the handbook's "Incidents" section describes it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.circle import Severity
from domain.incidents.model import (
    MAX_TITLE_LENGTH,
    Incident,
    IncidentError,
    IncidentStatus,
    Source,
    parse_incident_key,
    parse_severity,
    parse_status,
)

T0 = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


def declared(**overrides: object) -> Incident:
    options: dict[str, object] = {
        "number": 7, "circle": "demo", "title": "Checkout API returns 500", "severity": Severity.P2,
        "declared_by": "Ada", "at": T0, "commander": "bob",
    }  # fmt: skip
    options.update(overrides)
    return Incident.declare(**options)  # type: ignore[arg-type]


def test_declaring_records_who_and_the_commander_in_the_timeline() -> None:
    incident = declared()
    assert incident.key == "INC-7"
    assert incident.status is IncidentStatus.DECLARED
    # The rota picked the commander: that step is the bot's, not Ada's.
    assert [(e.actor, e.kind, e.text) for e in incident.timeline] == [
        ("Ada", "declared", "P2 declared by Ada: Checkout API returns 500"),
        ("circlebot", "assigned", "Commander: bob (on call)"),
    ]
    assert [e.name for e in incident.pop_events()] == ["declared", "assigned"]
    assert incident.pop_events() == []


def test_alert_sourced_incident_says_monitoring_declared_it() -> None:
    incident = declared(source=Source.ALERT, declared_by="alertmanager")
    assert incident.timeline[0].text.startswith("P2 declared by monitoring")


@pytest.mark.parametrize("title", ["", "   ", "x" * (MAX_TITLE_LENGTH + 1)])
def test_empty_or_overlong_title_is_refused_with_usage(title: str) -> None:
    with pytest.raises(IncidentError, match="title"):
        declared(title=title)


def test_acknowledge_once_then_work_through_the_phases() -> None:
    incident = declared()
    incident.acknowledge("Bob", T0 + timedelta(minutes=2))
    with pytest.raises(IncidentError, match="already acknowledged by Bob"):
        incident.acknowledge("Carla", T0 + timedelta(minutes=3))
    for status in (IncidentStatus.INVESTIGATING, IncidentStatus.IDENTIFIED, IncidentStatus.MONITORING):
        incident.move_to(status, "Bob", T0 + timedelta(minutes=5))
    assert incident.status is IncidentStatus.MONITORING
    assert incident.timeline[-1].text == "Status: monitoring"


def test_phases_only_move_forward_and_the_error_lists_what_is_possible() -> None:
    incident = declared()
    incident.move_to(IncidentStatus.IDENTIFIED, "Bob", T0, "bad deploy v2.3")
    with pytest.raises(IncidentError, match="it can move on to: monitoring"):
        incident.move_to(IncidentStatus.INVESTIGATING, "Bob", T0)
    assert incident.timeline[-1].text == "Status: identified — bad deploy v2.3"


def test_working_on_an_unacknowledged_incident_acknowledges_it() -> None:
    incident = declared()
    incident.move_to(IncidentStatus.INVESTIGATING, "Bob", T0 + timedelta(minutes=1))
    assert incident.acknowledged_by == "Bob"


def test_resolve_and_close_have_their_own_commands() -> None:
    incident = declared()
    with pytest.raises(IncidentError, match="/incident resolve INC-7"):
        incident.move_to(IncidentStatus.RESOLVED, "Bob", T0)
    with pytest.raises(IncidentError, match="resolve INC-7 before closing"):
        incident.close("Bob", T0)


def test_resolve_needs_a_summary_then_closes_and_stays_closed() -> None:
    incident = declared()
    with pytest.raises(IncidentError, match="say how it was resolved"):
        incident.resolve("Bob", T0, summary="  ")
    incident.resolve("Bob", T0 + timedelta(hours=1), summary="rolled back", root_cause="bad config", data_loss=True)
    assert (incident.status, incident.root_cause, incident.data_loss) == (IncidentStatus.RESOLVED, "bad config", True)
    incident.close("Bob", T0 + timedelta(hours=2))
    for action in (
        lambda: incident.acknowledge("x", T0),
        lambda: incident.add_note("x", T0, "late note"),
        lambda: incident.reopen("x", T0, "again"),
        lambda: incident.change_severity(Severity.P1, "x", T0),
    ):
        with pytest.raises(IncidentError):
            action()


def test_reopen_path_from_resolved_back_to_investigating() -> None:
    incident = declared()
    incident.resolve("Bob", T0, summary="restarted")
    incident.reopen("Carla", T0 + timedelta(minutes=10), "errors are back")
    assert incident.status is IncidentStatus.INVESTIGATING
    assert incident.resolved_at is None
    assert incident.timeline[-1].text == "Reopened: errors are back"


def test_severity_and_commander_changes_are_recorded_and_no_ops_refused() -> None:
    incident = declared()
    incident.change_severity(Severity.P1, "Ada", T0)
    incident.assign("carla", "Ada", T0)
    assert [e.text for e in incident.timeline[-2:]] == ["Severity P2 → P1", "Commander: carla"]
    with pytest.raises(IncidentError, match="already P1"):
        incident.change_severity(Severity.P1, "Ada", T0)
    with pytest.raises(IncidentError, match="already commands"):
        incident.assign("carla", "Ada", T0)


def test_postmortem_decision_needs_resolution_and_a_reason_when_declined() -> None:
    incident = declared()
    with pytest.raises(IncidentError, match="once INC-7 is resolved"):
        incident.decide_postmortem("Ada", T0, start=True)
    incident.resolve("Bob", T0, summary="fixed")
    with pytest.raises(IncidentError, match="say why"):
        incident.decide_postmortem("Ada", T0, start=False)
    incident.decide_postmortem("Ada", T0, start=False, reason="known issue, see INC-3")
    assert incident.postmortem_decision == "not_needed"
    with pytest.raises(IncidentError, match="already taken"):
        incident.decide_postmortem("Ada", T0, start=True)


def test_parsers_accept_what_people_type_and_explain_the_rest() -> None:
    assert parse_severity("p1") is Severity.P1
    assert parse_status(" Identified ") is IncidentStatus.IDENTIFIED
    assert parse_incident_key("inc-42") == 42
    assert parse_incident_key("payments") is None
    with pytest.raises(IncidentError, match="like INC-7"):
        parse_incident_key("INC-x")  # looks like an id: say what to write, do not act on another incident
    assert [parse_severity(word) for word in ("sev1", "SEV2", "sev-3", "P4")] == list(Severity)
    for wrong in ("P9", "sev0", "P", "critical"):
        with pytest.raises(IncidentError, match="severity is P1–P4"):
            parse_severity(wrong)
    with pytest.raises(IncidentError, match="investigating, identified, monitoring"):
        parse_status("fixed")
