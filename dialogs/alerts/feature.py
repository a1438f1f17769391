"""Installs the alerts feature: the Alertmanager and Grafana webhooks, and the `alerts.ingest`
delivery that turns their notifications into incidents."""

from __future__ import annotations

from adapters.alerts.delivery import alert_delivery_handlers, dead_alerts_reporter
from adapters.alerts.routes import alert_routes
from bot.feature import FeatureHost
from dialogs.incidents.feature import INCIDENT_DESK


class AlertsFeature:
    name = "alerts"
    # Alerts declare, update and resolve incidents through the incident use cases and notifier.
    requires: tuple[str, ...] = ("incidents",)

    def install(self, host: FeatureHost) -> None:
        for path, receive in alert_routes(host.uow, host.settings.alert_webhook_token).items():
            host.add_route("POST", path, receive)
        incidents = host.service(INCIDENT_DESK)
        handlers = alert_delivery_handlers(
            host.uow,
            host.clock,
            incidents.notifier,
            jira_enabled=incidents.jira_enabled,
            # Alerts without runbook_url link their entry in the service's runbook (circles.yaml services).
            runbook_web_base=host.settings.gitlab_url if host.settings.gitlab_enabled else None,
        )
        for kind, handler in handlers.items():
            host.outbox.register(kind, handler)
        host.on_dead_row(dead_alerts_reporter(host.uow, incidents.notifier.tell_team_leader))
