"""The relay side of the alert inbox: an `alerts.ingest` outbox row is one notification to ingest."""

from __future__ import annotations

import logging
from typing import Any

from adapters.alerts.payloads import ALERTS_INGEST as ALERTS_INGEST  # the kind its handler takes
from adapters.alerts.payloads import AlertPayloadError, notification_from_payload
from adapters.outbox_relay import OutboxHandler, PermanentFailure
from domain.alerts.service import ingest_alerts
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
