"""Installs the alerts feature: the Alertmanager and Grafana webhooks, and the `alerts.ingest`
delivery that turns their notifications into incidents."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from adapters.alerts.delivery import ALERTS_INGEST, alert_delivery_handlers
from adapters.alerts.payloads import AlertPayloadError, notification_from_payload
from adapters.alerts.routes import alert_routes
from bot.feature import FeatureHost
from dialogs.incidents.desk import IncidentDesk
from dialogs.incidents.feature import INCIDENT_DESK
from domain.alerts.model import Alert
from domain.alerts.service import route_alerts
from storage.outbox import OutboxMessage


class AlertsFeature:
    name = "alerts"
    # Alerts declare, update and resolve incidents through the incident use cases and notifier.
    requires: tuple[str, ...] = ("incidents",)

    def install(self, host: FeatureHost) -> None:
        for path, receive in alert_routes(host.uow, host.settings.alert_webhook_token).items():
            host.add_route("POST", path, receive)
        incidents = host.service(INCIDENT_DESK)
        handlers = alert_delivery_handlers(
            host.uow, host.clock, incidents.notifier, jira_enabled=incidents.jira_enabled
        )
        for kind, handler in handlers.items():
            host.outbox.register(kind, handler)
        host.on_dead_row(dead_alerts_reporter(incidents))


def dead_alerts_reporter(desk: IncidentDesk) -> Callable[[OutboxMessage, str], Awaitable[None]]:
    """An accepted notification the relay gave up on is told, once, to the Team Leader of each circle
    its alerts route to (the default circle's when it cannot even be read): accepted is never silent."""

    async def report(message: OutboxMessage, error: str) -> None:
        if message.kind != ALERTS_INGEST:
            return
        try:
            notification, pinned = notification_from_payload(message.payload)
            alerts: list[Alert] = list(notification.alerts)
            names = sorted({alert.labels.get("alertname", "?") for alert in alerts})
            what = f"{len(alerts)} alert(s) ({', '.join(names[:3])}{'…' if len(names) > 3 else ''})"
        except (AlertPayloadError, KeyError, ValueError, TypeError):
            alerts, pinned, what = [], None, "an alert notification"
        text = (
            f"I accepted {what} but could not turn it into an incident ({error[:200]}). "
            f"`circlebot outbox retry {message.id}` tries again once the cause is fixed."
        )
        async with desk.uow() as uow:
            if alerts:
                routed, _unrouted = await route_alerts(uow.circles, alerts, pinned)
                circles = [circle for circle, _ in routed]
            else:
                default = await uow.circles.default_circle()
                circles = [default] if default is not None else []
            for circle in circles:
                await desk.notifier.tell_team_leader(uow, circle, text, key=f"alerts:dead:{message.id}")
            await uow.commit()

    return report
