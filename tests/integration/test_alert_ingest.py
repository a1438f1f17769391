"""Alerts become incidents: one per group, quiet repeats, resolutions on the timeline, reattachment."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from adapters.alerts.delivery import ALERTS_INGEST, alert_delivery_handlers
from adapters.alerts.payloads import ALERTMANAGER, GRAFANA, notification_to_payload, parse_notification
from adapters.outbox_relay import OutboxHandler
from domain.circle import Severity
from domain.clock import FixedClock
from domain.incidents.model import Incident, IncidentStatus, Source
from domain.incidents.service import IncidentContext, resolve
from domain.incidents.triggers import evaluate_triggers
from storage.alerts.repository import AlertGroupRow
from storage.circle_config import CirclesConfig
from storage.database import Database
from storage.outbox import OutboxMessage
from storage.unit_of_work import UnitOfWorkFactory
from tests.support import alerts
from tests.support.fake_notifier import FakeNotifier


class AlertDesk:
    """Feeds notifications to the relay's ingest handler, the way the relay would."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: FixedClock, notifier: FakeNotifier) -> None:
        self.uow_factory, self.clock, self.notifier = uow_factory, clock, notifier
        self.handler: OutboxHandler = alert_delivery_handlers(uow_factory, clock, notifier, jira_enabled=False)[
            ALERTS_INGEST
        ]
        self.delivered = 0

    async def configure(self, config: CirclesConfig) -> None:
        async with self.uow_factory() as uow:
            await uow.circles.apply(config, self.clock.now())
            await uow.commit()

    async def send(self, body: dict[str, Any], *, sender: str = ALERTMANAGER, pinned: str | None = None) -> Any:
        notification = parse_notification(json.dumps(body).encode(), sender)
        self.delivered += 1
        message = OutboxMessage(
            id=self.delivered,
            kind=ALERTS_INGEST,
            payload=notification_to_payload(notification, pinned),
            idempotency_key=notification.dedup_key(pinned),
            attempt=1,
        )
        return await self.handler(message)

    async def incidents(self) -> list[Incident]:
        async with self.uow_factory() as uow:
            found = []
            for circle in ("demo", "payments"):
                found += await uow.incidents.open_in_circle(circle)
            return sorted(found, key=lambda incident: incident.number)

    async def incident(self, number: int) -> Incident:
        async with self.uow_factory() as uow:
            incident = await uow.incidents.get(number)
            assert incident is not None
            return incident

    async def resolve(self, number: int) -> None:
        async with self.uow_factory() as uow:
            ctx = IncidentContext(uow=uow, clock=self.clock, notifier=self.notifier, jira_enabled=False)
            await resolve(ctx, number, "Luca Ferrari", summary="restarted the checkout pods")
            await uow.commit()


@pytest.fixture
async def desk(uow_factory: UnitOfWorkFactory, clock: FixedClock) -> AlertDesk:
    desk = AlertDesk(uow_factory, clock, FakeNotifier())
    await desk.configure(alerts.circles_config())
    return desk


async def test_a_firing_alert_opens_one_incident_declared_by_monitoring_with_its_links(desk: AlertDesk) -> None:
    outcome = await desk.send(alerts.firing())

    assert outcome["declared"] == ["INC-1"]
    [incident] = await desk.incidents()
    assert incident.circle == "demo"  # no route matches: the default circle
    assert incident.title == "Checkout 5xx above 5%"
    assert incident.severity is Severity.P1  # severity=critical
    assert incident.source is Source.ALERT
    assert incident.declared_by == "Alertmanager"
    assert incident.service == "checkout"
    assert incident.alert_fingerprint == "7d2d332feada5c59"
    assert incident.commander == "luca"
    assert incident.links == (
        ("Runbook", "https://runbooks.example/checkout"),
        ("Alert source", "http://prometheus.local/graph?g0.expr=up"),
    )
    assert incident.timeline[0].text == "P1 declared by monitoring: Checkout 5xx above 5%"
    assert desk.notifier.said == [("card", "INC-1", "declared")]


async def test_monitoring_detected_incidents_do_not_trigger_the_monitoring_failure_postmortem(
    desk: AlertDesk,
) -> None:
    await desk.send(alerts.firing())
    [incident] = await desk.incidents()

    triggers = evaluate_triggers(incident, similar_recent=1, policy=alerts.circles_config().circles[1].postmortem)

    assert "monitoring failure" not in [trigger.name for trigger in triggers]


async def test_repeated_notifications_update_the_group_without_saying_anything(
    desk: AlertDesk, database: Database
) -> None:
    await desk.send(alerts.firing())
    desk.clock.advance(timedelta(minutes=5))
    outcome = await desk.send(alerts.firing())

    assert outcome["unchanged"] == ["INC-1"]
    assert len(await desk.incidents()) == 1
    assert desk.notifier.said == [("card", "INC-1", "declared")]
    async with database.session() as session:
        [group] = (await session.exec(select(AlertGroupRow))).all()
    assert (group.notifications, group.firing) == (2, 1)
    assert group.last_seen == desk.clock.now()


async def test_a_new_alert_in_the_group_is_noted_and_a_more_severe_one_raises_the_severity(desk: AlertDesk) -> None:
    body = alerts.firing()
    body["alerts"][0]["labels"]["severity"] = "warning"
    await desk.send(body)
    grown = alerts.with_alerts(body, 3)
    grown["alerts"][2]["labels"]["severity"] = "critical"

    outcome = await desk.send(grown)

    assert outcome["updated"] == ["INC-1"]
    incident = await desk.incident(1)
    assert incident.severity is Severity.P1
    assert [entry.kind for entry in incident.timeline][-2:] == ["alert", "severity"]
    assert incident.timeline[-2].text.startswith("3 alerts firing: Checkout 5xx above 5%")
    assert desk.notifier.of("thread")[-1].startswith("INC-1: 3 alerts firing")


async def test_resolved_alerts_land_on_the_timeline_and_the_commander_is_asked_to_resolve(desk: AlertDesk) -> None:
    await desk.send(alerts.firing())
    desk.clock.advance(timedelta(minutes=6))

    outcome = await desk.send(alerts.resolved())

    assert outcome["updated"] == ["INC-1"]
    incident = await desk.incident(1)
    assert incident.status is IncidentStatus.DECLARED  # never closed behind the commander's back
    assert incident.timeline[-1].kind == "alert_resolved"
    assert incident.timeline[-1].text == "1 alert resolved: Checkout 5xx above 5%"
    [ask] = desk.notifier.of("thread")
    assert ask.startswith("The alert has resolved. Luca Ferrari, if the service is healthy, resolve INC-1")


async def test_with_auto_resolve_the_incident_resolves_when_every_alert_has(
    uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    desk = AlertDesk(uow_factory, clock, FakeNotifier())
    await desk.configure(alerts.circles_config(auto_resolve=True))
    await desk.send(alerts.firing())

    await desk.send(alerts.resolved())

    incident = await desk.incident(1)
    assert incident.status is IncidentStatus.RESOLVED
    assert incident.resolution_summary == "Every alert resolved; resolved automatically (alerts.auto_resolve)"
    assert desk.notifier.of("thread") == []
    assert desk.notifier.of("report") == [incident.resolution_summary]  # the postmortem decision is asked for


async def test_an_alert_firing_again_within_the_window_reopens_its_incident(desk: AlertDesk) -> None:
    await desk.send(alerts.firing())
    await desk.send(alerts.resolved())
    await desk.resolve(1)
    desk.clock.advance(timedelta(minutes=30))

    outcome = await desk.send(alerts.refired(alerts.resolved()))

    assert outcome["reopened"] == ["INC-1"]
    [incident] = await desk.incidents()
    assert incident.number == 1
    assert incident.status is IncidentStatus.INVESTIGATING
    assert incident.timeline[-1].text == "Reopened: 1 alert firing: Checkout 5xx above 5% again"


async def test_an_alert_firing_again_after_the_window_opens_a_new_incident(desk: AlertDesk) -> None:
    await desk.send(alerts.firing())
    await desk.send(alerts.resolved())
    await desk.resolve(1)
    desk.clock.advance(timedelta(hours=2))

    outcome = await desk.send(alerts.refired(alerts.resolved()))

    assert outcome["declared"] == ["INC-2"]
    assert [incident.number for incident in await desk.incidents()] == [2]


async def test_alerts_of_one_notification_are_routed_to_their_circles_by_label(desk: AlertDesk) -> None:
    body = alerts.with_alerts(alerts.firing(), 3)
    body["alerts"][1]["labels"]["team"] = "payments"

    outcome = await desk.send(body)

    assert sorted(outcome["declared"]) == ["INC-1", "INC-2"]
    by_circle = {incident.circle: incident for incident in await desk.incidents()}
    assert set(by_circle) == {"demo", "payments"}
    assert "2 alerts firing" in by_circle["demo"].description


async def test_a_circle_token_takes_the_alerts_whatever_their_labels(desk: AlertDesk) -> None:
    await desk.send(alerts.firing(), pinned="payments")

    [incident] = await desk.incidents()
    assert incident.circle == "payments"


async def test_a_grafana_notification_links_its_dashboard_and_panel(desk: AlertDesk) -> None:
    await desk.send(alerts.grafana(), sender=GRAFANA)

    [incident] = await desk.incidents()
    assert incident.circle == "payments"  # team=payments
    assert incident.severity is Severity.P1  # one of the two alerts is critical
    assert incident.declared_by == "Grafana"
    assert incident.title == "PaymentsLatencyHigh"  # no common summary: the alert name
    assert [title for title, _url in incident.links] == ["Runbook", "Dashboard", "Panel", "Alert source"]


async def test_unrouted_alerts_are_dropped_without_a_default_circle(
    uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    desk = AlertDesk(uow_factory, clock, FakeNotifier())
    config = alerts.circles_config()
    await desk.configure(CirclesConfig(config.specs, default_circle=None))

    outcome = await desk.send(alerts.firing())

    assert outcome["unrouted"] == 1
    assert await desk.incidents() == []


async def test_two_deliveries_racing_on_a_new_group_open_one_incident(desk: AlertDesk) -> None:
    first, second = alerts.with_alerts(alerts.firing(), 1), alerts.with_alerts(alerts.firing(), 2)

    outcomes = await asyncio.gather(desk.send(first), desk.send(second), return_exceptions=True)
    for outcome, body in zip(outcomes, (first, second), strict=True):
        if isinstance(outcome, Exception):  # the loser of the insert race; the relay retries it
            await desk.send(body)

    [incident] = await desk.incidents()
    assert incident.number in (1, 2)
