"""Reading Alertmanager and Grafana webhook bodies (captured fixtures), and what we refuse and why."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.alerts.payloads import (
    ALERTMANAGER,
    GRAFANA,
    AlertPayloadError,
    notification_from_payload,
    notification_to_payload,
    parse_notification,
)
from domain.alerts.model import Alert, AlertGroup, AlertStatus, incident_title, links_of
from domain.circle import AlertPolicy, Severity
from tests.support import alerts


def parse(body: dict[str, Any], sender: str = ALERTMANAGER) -> Any:
    return parse_notification(json.dumps(body).encode(), sender)


def test_alertmanager_v4_firing_notification_is_read_field_by_field() -> None:
    notification = parse(alerts.firing())

    assert notification.receiver == "bot"
    assert notification.status is AlertStatus.FIRING
    assert notification.group_key == '{}:{alertname="HighErrorRate", service="checkout"}'
    [alert] = notification.alerts
    assert alert.fingerprint == "7d2d332feada5c59"
    assert alert.labels["severity"] == "critical"
    assert alert.starts_at == datetime(2026, 11, 28, 20, 21, 59, 607365, tzinfo=UTC)  # nanoseconds cut to µs
    assert alert.ends_at is None  # Go's zero time means "no end"
    assert alert.summary == "Checkout 5xx above 5%"
    assert notification.external_url == "http://vm:19093"


def test_alertmanager_resolved_notification_carries_the_end_time() -> None:
    [alert] = parse(alerts.resolved()).alerts

    assert alert.status is AlertStatus.RESOLVED
    assert alert.ends_at == datetime(2026, 11, 28, 20, 22, 5, tzinfo=UTC)


def test_grafana_notification_is_a_superset_with_dashboard_and_panel_links() -> None:
    notification = parse(alerts.grafana(), GRAFANA)

    first = notification.alerts[0]
    assert first.starts_at == datetime(2026, 11, 27, 1, 55, tzinfo=UTC)  # +01:00 converted to UTC
    assert first.dashboard_url == "https://grafana.example/d/payments-overview"
    assert links_of(notification.alerts) == (
        ("Runbook", "https://runbooks.example/payments/latency"),
        ("Dashboard", "https://grafana.example/d/payments-overview"),
        ("Panel", "https://grafana.example/d/payments-overview?viewPanel=4"),
        ("Alert source", "https://grafana.example/alerting/grafana/pay-latency/view"),
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda b: b.update(version="3"), "version is '3'; this endpoint takes Alertmanager webhook version \"4\""),
        (lambda b: b.update(alerts=[]), "alerts: expected a non-empty list"),
        (lambda b: b.pop("groupKey"), "groupKey: missing"),
        (lambda b: b["alerts"][0].update(status="pending"), "alerts[0].status: 'pending' is not \"firing\""),
        (lambda b: b["alerts"][0].update(startsAt="yesterday"), "alerts[0].startsAt: 'yesterday' is not an RFC 3339"),
        (lambda b: b["alerts"][0]["labels"].update(severity=1), "alerts[0].labels.severity: expected a string"),
        (lambda b: b["alerts"][0].update(labels={}), "alerts[0].labels: an alert needs at least one label"),
    ],
)
def test_a_malformed_notification_is_refused_with_the_field_and_the_reason(change: Any, reason: str) -> None:
    body = alerts.firing()
    change(body)

    with pytest.raises(AlertPayloadError) as refused:
        parse(body)

    assert reason in str(refused.value)


def test_a_body_that_is_not_json_is_refused() -> None:
    with pytest.raises(AlertPayloadError, match="the body is not valid JSON"):
        parse_notification(b"<html>", ALERTMANAGER)


def test_the_outbox_payload_round_trips_the_notification() -> None:
    notification = parse(alerts.grafana(), GRAFANA)

    assert notification_from_payload(notification_to_payload(notification, "payments")) == (notification, "payments")


def test_a_redelivery_has_the_same_key_and_a_resolution_a_new_one() -> None:
    first, again, later = parse(alerts.firing()), parse(alerts.firing()), parse(alerts.resolved())

    assert first.dedup_key() == again.dedup_key()
    assert first.dedup_key() != later.dedup_key()
    assert first.ordering_key() == later.ordering_key()  # one group: ingested in order
    assert first.dedup_key("payments") != first.dedup_key()


def test_severity_comes_from_the_label_through_the_circle_mapping() -> None:
    policy = AlertPolicy(severities={"sev1": Severity.P1}, default_severity=Severity.P4)

    assert policy.severity_for({"severity": "SEV1"}) is Severity.P1
    assert policy.severity_for({"severity": "p2"}) is Severity.P2  # literal severities are taken as is
    assert policy.severity_for({"severity": "whatever"}) is Severity.P4
    assert AlertPolicy().severity_for({"severity": "warning"}) is Severity.P3


def test_the_title_is_the_summary_else_the_alert_name_and_fits_a_card() -> None:
    alert = parse(alerts.firing()).alerts[0]

    assert incident_title([alert], {}, {"alertname": "HighErrorRate"}) == "HighErrorRate"
    assert incident_title([alert], {"summary": "x" * 400}, {}).endswith("…")
    assert incident_title([alert], {}, {}) == "Checkout 5xx above 5%"


def test_a_group_tells_new_firing_from_repeats_and_resolutions() -> None:
    at = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    group = AlertGroup(circle="demo", group_key="g", first_seen=at, last_seen=at)
    alert = Alert("fp", AlertStatus.FIRING, {"alertname": "A"}, {}, starts_at=at)
    merged = Alert("fp", AlertStatus.FIRING, {"alertname": "A"}, {}, starts_at=at - timedelta(minutes=1))
    resolved = Alert("fp", AlertStatus.RESOLVED, {"alertname": "A"}, {}, starts_at=at)

    assert group.observe([alert], at).started == (alert,)
    assert not group.observe([merged], at).anything  # Alertmanager moved startsAt earlier: same firing
    assert group.observe([resolved], at).resolved == (resolved,)
    assert not group.observe([resolved], at).anything
    assert group.all_resolved
    assert group.observe([alert], at).started == (alert,)  # firing again
    assert group.notifications == 5
