"""Webhook bodies from Alertmanager (version 4) and Grafana, read into domain AlertNotifications.

Grafana's contact-point webhook sends Alertmanager's format with a few more fields (version "1",
orgId, title/state/message, and per alert dashboardURL, panelURL, silenceURL, values); the
extras we use are dashboardURL and panelURL. Errors name the field and what was expected, since
they go back to whoever configured the sender.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from adapters.json_body import BodyError, parse_json
from domain.alerts.model import Alert, AlertNotification, AlertStatus
from domain.outbox_request import OutboxRequest

ALERTMANAGER, GRAFANA = "Alertmanager", "Grafana"
# Label values name things (service, instance, job) and end up in columns of 120 characters;
# a longer one is cut here, marked with TRUNCATED, so an accepted alert always fits.
LABEL_VALUE_LIMIT = 120
TRUNCATED = "…"
# Free text (annotations, URLs) is kept whole up to this; beyond, it is noise in a card.
TEXT_LIMIT = 4000
# Alertmanager writes "no end" as Go's zero time.
_ZERO_TIME_YEAR = 1
PAYLOAD_VERSION = 1
ALERTS_INGEST = "alerts.ingest"


class AlertPayloadError(ValueError):
    """The body is not a notification we understand; the message says which field and why."""


def parse_notification(body: bytes, sender: str) -> AlertNotification:
    """A webhook body as a notification; AlertPayloadError when it is not one."""
    try:
        data = parse_json(body)
    except BodyError as error:
        raise AlertPayloadError(str(error)) from None
    if not isinstance(data, dict):
        raise AlertPayloadError("the body must be a JSON object with `alerts` and `groupKey`")
    version = data.get("version")
    if sender == ALERTMANAGER and version != "4":
        raise AlertPayloadError(f'version is {version!r}; this endpoint takes Alertmanager webhook version "4"')
    raw_alerts = data.get("alerts")
    if not isinstance(raw_alerts, list) or not raw_alerts:
        raise AlertPayloadError("alerts: expected a non-empty list of alerts")
    group_key = _text(data, "groupKey", "")
    if not group_key:
        raise AlertPayloadError("groupKey: missing; it identifies the group of alerts (Alertmanager sends it)")
    return AlertNotification(
        sender=sender,
        receiver=_text(data, "receiver", ""),
        status=_status(data.get("status"), "status"),
        group_key=group_key,
        alerts=tuple(_alert(raw, f"alerts[{index}]") for index, raw in enumerate(raw_alerts)),
        group_labels=_labels(data, "groupLabels", ""),
        common_labels=_labels(data, "commonLabels", ""),
        common_annotations=_labels(data, "commonAnnotations", ""),
        external_url=_text(data, "externalURL", ""),
        truncated_alerts=_count(data.get("truncatedAlerts", 0)),
    )


def _alert(raw: Any, where: str) -> Alert:
    if not isinstance(raw, dict):
        raise AlertPayloadError(f"{where}: expected an object")
    labels = _labels(raw, "labels", where)
    if not labels:
        raise AlertPayloadError(f"{where}.labels: an alert needs at least one label (alertname)")
    starts_at = _time(raw.get("startsAt"), f"{where}.startsAt")
    if starts_at is None:
        raise AlertPayloadError(f"{where}.startsAt: missing; expected an RFC 3339 time")
    return Alert(
        # Alertmanager before 0.19 sent no fingerprint: one derived from the labels is just as stable.
        fingerprint=_text(raw, "fingerprint", where) or _fingerprint(labels),
        status=_status(raw.get("status"), f"{where}.status"),
        labels=labels,
        annotations=_labels(raw, "annotations", where),
        starts_at=starts_at,
        ends_at=_time(raw.get("endsAt"), f"{where}.endsAt"),
        generator_url=_text(raw, "generatorURL", where),
        dashboard_url=_text(raw, "dashboardURL", where),
        panel_url=_text(raw, "panelURL", where),
    )


def _status(value: Any, where: str) -> AlertStatus:
    try:
        return AlertStatus(value)
    except ValueError:
        raise AlertPayloadError(f'{where}: {value!r} is not "firing" or "resolved"') from None


def clean_text(value: str, limit: int = TEXT_LIMIT) -> str:
    """`value` as every store takes it: no NUL bytes (PostgreSQL refuses them), no lone surrogates
    (not encodable as UTF-8; JSON allows them as \\ud800 escapes), at most `limit` characters with
    a TRUNCATED mark where it was cut. Accepting an alert and then failing to store it lost it."""
    if value.isascii():
        cleaned = value.replace("\x00", "")
    else:
        cleaned = value.replace("\x00", "").encode("utf-8", "ignore").decode("utf-8")
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - len(TRUNCATED)] + TRUNCATED
    return cleaned


def _text(data: Mapping[str, Any], name: str, where: str) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise AlertPayloadError(f"{_at(where, name)}: expected a string, got {type(value).__name__}")
    return clean_text(value)


def _labels(data: Mapping[str, Any], name: str, where: str) -> dict[str, str]:
    value = data.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise AlertPayloadError(f"{_at(where, name)}: expected an object of string values")
    for key, item in value.items():
        if not isinstance(item, str):
            raise AlertPayloadError(f"{_at(where, name)}.{key}: expected a string, got {type(item).__name__}")
    # Annotations are prose (summary, description); labels are names and are kept short.
    limit = TEXT_LIMIT if name.endswith(("annotations", "Annotations")) else LABEL_VALUE_LIMIT
    return {clean_text(key, LABEL_VALUE_LIMIT): clean_text(item, limit) for key, item in value.items()}


def _time(value: Any, where: str) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise AlertPayloadError(f"{where}: expected an RFC 3339 time such as 2026-11-28T20:21:59Z")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise AlertPayloadError(f"{where}: {value!r} is not an RFC 3339 time such as 2026-11-28T20:21:59Z") from None
    if moment.tzinfo is None:
        raise AlertPayloadError(f"{where}: {value!r} has no time zone; expected e.g. 2026-11-28T20:21:59Z")
    return None if moment.year == _ZERO_TIME_YEAR else moment.astimezone(UTC)


def _count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise AlertPayloadError(f"truncatedAlerts: expected a whole number, got {value!r}")
    return value


def _fingerprint(labels: Mapping[str, str]) -> str:
    return hashlib.sha256(json.dumps(sorted(labels.items())).encode()).hexdigest()[:16]


def _at(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


# --- the outbox payload: what the door stored for the relay to ingest ---------------------------


@dataclass(frozen=True)
class IngestAlerts(OutboxRequest):
    """One webhook notification, stored by the door for the relay to ingest (only what ingest reads)."""

    kind: ClassVar[str] = ALERTS_INGEST

    v: int
    pinned_circle: str | None
    sender: str
    receiver: str
    status: str
    group_key: str
    group_labels: dict[str, Any]
    common_labels: dict[str, Any]
    common_annotations: dict[str, Any]
    external_url: str
    truncated_alerts: int
    alerts: tuple[dict[str, Any], ...]

    @classmethod
    def of(cls, notification: AlertNotification, pinned_circle: str | None) -> IngestAlerts:
        return cls(
            v=PAYLOAD_VERSION,
            pinned_circle=pinned_circle,
            sender=notification.sender,
            receiver=notification.receiver,
            status=notification.status.value,
            group_key=notification.group_key,
            group_labels=dict(notification.group_labels),
            common_labels=dict(notification.common_labels),
            common_annotations=dict(notification.common_annotations),
            external_url=notification.external_url,
            truncated_alerts=notification.truncated_alerts,
            alerts=tuple(
                {
                    "fingerprint": alert.fingerprint,
                    "status": alert.status.value,
                    "labels": dict(alert.labels),
                    "annotations": dict(alert.annotations),
                    "starts_at": alert.starts_at.isoformat(),
                    "ends_at": alert.ends_at.isoformat() if alert.ends_at else None,
                    "generator_url": alert.generator_url,
                    "dashboard_url": alert.dashboard_url,
                    "panel_url": alert.panel_url,
                }
                for alert in notification.alerts
            ),
        )

    @property
    def idempotency_key(self) -> str:
        return self.notification().dedup_key(self.pinned_circle)

    @property
    def ordering_key(self) -> str:
        return self.notification().ordering_key(self.pinned_circle)

    def notification(self) -> AlertNotification:
        if self.v != PAYLOAD_VERSION:
            raise AlertPayloadError(f"outbox payload version {self.v!r} is not {PAYLOAD_VERSION}")
        return AlertNotification(
            sender=self.sender,
            receiver=self.receiver,
            status=AlertStatus(self.status),
            group_key=self.group_key,
            group_labels=self.group_labels,
            common_labels=self.common_labels,
            common_annotations=self.common_annotations,
            external_url=self.external_url,
            truncated_alerts=self.truncated_alerts,
            alerts=tuple(
                Alert(
                    fingerprint=alert["fingerprint"],
                    status=AlertStatus(alert["status"]),
                    labels=alert["labels"],
                    annotations=alert["annotations"],
                    starts_at=datetime.fromisoformat(alert["starts_at"]),
                    ends_at=datetime.fromisoformat(alert["ends_at"]) if alert["ends_at"] else None,
                    generator_url=alert["generator_url"],
                    dashboard_url=alert["dashboard_url"],
                    panel_url=alert["panel_url"],
                )
                for alert in self.alerts
            ),
        )


def notification_to_payload(notification: AlertNotification, pinned_circle: str | None) -> dict[str, Any]:
    """The notification as JSON for an outbox row."""
    return IngestAlerts.of(notification, pinned_circle).to_payload()


def notification_from_payload(payload: dict[str, Any]) -> tuple[AlertNotification, str | None]:
    """The inverse of notification_to_payload: the notification and the circle its token pinned."""
    if payload.get("v") != PAYLOAD_VERSION:
        raise AlertPayloadError(f"outbox payload version {payload.get('v')!r} is not {PAYLOAD_VERSION}")
    request = IngestAlerts.from_payload(payload)
    return request.notification(), request.pinned_circle
