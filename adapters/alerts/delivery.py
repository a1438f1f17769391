"""The relay side of the alert inbox: an `alerts.ingest` outbox row is one notification to ingest."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from adapters.alerts.payloads import ALERTS_INGEST as ALERTS_INGEST  # the kind its handler takes
from adapters.alerts.payloads import AlertPayloadError, notification_from_payload
from adapters.outbox_relay import OutboxHandler, PermanentFailure
from domain.alerts.model import Alert
from domain.alerts.service import ingest_alerts, route_alerts
from domain.clock import Clock
from domain.incidents.model import IncidentError
from domain.incidents.service import IncidentContext
from domain.ports import IncidentNotifier
from storage.outbox import OutboxMessage
from storage.unit_of_work import UnitOfWorkFactory

log = logging.getLogger(__name__)


def alert_delivery_handlers(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    notifier: IncidentNotifier,
    *,
    jira_enabled: bool,
    runbook_web_base: str | None = None,
) -> dict[str, OutboxHandler]:
    """The handler for `alerts.ingest` rows: ingest in one transaction, effects included.

    A failure rolls everything back and the relay retries the row, so a notification is applied
    exactly once; two rows racing to open the same group fail one of them on the group's unique
    index, and its retry joins the incident the other opened.
    """

    async def ingest(message: OutboxMessage) -> dict[str, Any] | None:
        try:
            notification, pinned_circle = notification_from_payload(message.payload)
        except (AlertPayloadError, KeyError, ValueError, TypeError) as error:
            raise PermanentFailure(f"unreadable alert notification: {error!r}") from None
        async with uow_factory() as uow:
            ctx = IncidentContext(uow=uow, clock=clock, notifier=notifier, jira_enabled=jira_enabled)
            try:
                result = await ingest_alerts(
                    ctx,
                    uow.alert_groups,
                    uow.circles,
                    notification,
                    pinned_circle=pinned_circle,
                    runbook_web_base=runbook_web_base,
                )
            except IncidentError as error:
                # A rule of the incident process refused the change; retrying would refuse it again.
                raise PermanentFailure(str(error)) from None
            await uow.commit()
        if result.unrouted:
            log.warning(
                "%d alerts matched no circle's alert_routes and there is no default_circle; they were dropped",
                result.unrouted,
                extra={"outbox_id": message.id, "receiver": notification.receiver},
            )
        return result.to_dict()

    return {ALERTS_INGEST: ingest}


def dead_alerts_reporter(
    uow_factory: UnitOfWorkFactory, tell_team_leader: Callable[..., Awaitable[None]]
) -> Callable[[OutboxMessage, str], Awaitable[None]]:
    # tell_team_leader(uow, circle, text, key=…): the incident notifier's; its key makes it once.
    """The relay's dead-row handler for `alerts.ingest`: an accepted notification it gave up on is
    told, once, to the Team Leader of each circle its alerts route to (the default circle's when it
    cannot even be read). Accepted is never silent (issue #11)."""

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
        async with uow_factory() as uow:
            if alerts:
                routed, _unrouted = await route_alerts(uow.circles, alerts, pinned)
                circles = [circle for circle, _ in routed]
            else:
                default = await uow.circles.default_circle()
                circles = [default] if default is not None else []
            for circle in circles:
                await tell_team_leader(uow, circle, text, key=f"alerts:dead:{message.id}")
            await uow.commit()

    return report
