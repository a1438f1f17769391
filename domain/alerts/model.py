"""Monitoring alerts as the bot sees them, whichever tool sent them, and the group an incident follows."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.circle import Circle
from domain.incidents.model import MAX_TITLE_LENGTH
from domain.services import runbook_web_url

# Keep a storm's incident description readable: the rest is counted, not listed.
ALERTS_LISTED_IN_TEXT = 10


class AlertStatus(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Alert:
    """One alert of a notification; `fingerprint` identifies its label set across notifications."""

    fingerprint: str
    status: AlertStatus
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: datetime
    ends_at: datetime | None = None
    generator_url: str = ""
    dashboard_url: str = ""
    panel_url: str = ""

    @property
    def name(self) -> str:
        return self.labels.get("alertname") or self.fingerprint

    @property
    def summary(self) -> str:
        """What a person reads: the summary annotation, else the alert's name."""
        return (self.annotations.get("summary") or "").strip() or self.name

    def links(self) -> list[tuple[str, str]]:
        """The runbook, dashboard, panel and source of the alert, as (title, url)."""
        candidates = [
            ("Runbook", self.annotations.get("runbook_url", "")),
            ("Dashboard", self.dashboard_url or self.annotations.get("dashboard_url", "")),
            ("Panel", self.panel_url),
            ("Alert source", self.generator_url),
        ]
        return [(title, url.strip()) for title, url in candidates if url.strip().startswith(("https://", "http://"))]


@dataclass(frozen=True)
class AlertNotification:
    """One webhook call: a group of alerts as Alertmanager (or Grafana's Alertmanager) grouped them."""

    sender: str  # "Alertmanager" or "Grafana": how the timeline names the one who spoke
    receiver: str
    status: AlertStatus
    group_key: str
    alerts: tuple[Alert, ...]
    group_labels: Mapping[str, str] = field(default_factory=dict)
    common_labels: Mapping[str, str] = field(default_factory=dict)
    common_annotations: Mapping[str, str] = field(default_factory=dict)
    external_url: str = ""
    truncated_alerts: int = 0

    def dedup_key(self, pinned_circle: str | None = None) -> str:
        """Equal for a redelivery of the same news: same group, same alerts in the same states.

        A repeat of an unchanged group (Alertmanager's repeat_interval, or a retry after a lost
        answer) gets the same key, so the outbox absorbs it at the door.
        """
        states = sorted((a.fingerprint, a.starts_at.isoformat(), a.status.value) for a in self.alerts)
        text = repr((self.sender, pinned_circle or "", self.receiver, self.group_key, states))
        return "alerts:" + hashlib.sha256(text.encode()).hexdigest()

    def ordering_key(self, pinned_circle: str | None = None) -> str:
        """Notifications of one group are ingested one at a time, in the order they arrived."""
        scope = f"circle:{pinned_circle}" if pinned_circle else f"receiver:{self.receiver}"
        return "alerts:" + hashlib.sha256(f"{scope}\n{self.group_key}".encode()).hexdigest()[:40]


def incident_title(
    alerts: Iterable[Alert], common_annotations: Mapping[str, str], common_labels: Mapping[str, str]
) -> str:
    """The group's summary, else its alert name, else the first alert's summary; fits a card header."""
    alerts = list(alerts)
    title = (
        (common_annotations.get("summary") or "").strip()
        or (common_labels.get("alertname") or "").strip()
        or (alerts[0].summary if alerts else "")
        or "Monitoring alert"
    )
    title = " ".join(title.split())
    return title if len(title) <= MAX_TITLE_LENGTH else title[: MAX_TITLE_LENGTH - 1] + "…"


def describe_alerts(alerts: Iterable[Alert], limit: int = ALERTS_LISTED_IN_TEXT) -> str:
    """A short list of alert summaries: "CheckoutDown (api-1); CheckoutDown (api-2) and 3 more"."""
    alerts = list(alerts)
    shown = "; ".join(_short(alert.summary) for alert in alerts[:limit])
    return shown + (f" and {len(alerts) - limit} more" if len(alerts) > limit else "")


def _short(text: str, length: int = 200) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def links_of(alerts: Iterable[Alert]) -> tuple[tuple[str, str], ...]:
    """Every distinct link of the alerts, first come first listed."""
    seen: set[str] = set()
    links: list[tuple[str, str]] = []
    for alert in alerts:
        for title, url in alert.links():
            if url not in seen:
                seen.add(url)
                links.append((title, url))
    return tuple(links)


def runbook_links(circle: Circle, alerts: Iterable[Alert], web_base: str | None) -> tuple[tuple[str, str], ...]:
    """A "Runbook" button for each alert without a `runbook_url`, at its entry in its service's runbook."""
    if not web_base:
        return ()
    links: dict[str, str] = {}
    for alert in alerts:
        if alert.annotations.get("runbook_url", "").strip():
            continue
        service = circle.service_for(alert.labels)
        if service is None:
            continue
        url = runbook_web_url(web_base, circle.docs_repo, circle.runbooks.branch, service.runbook, alert.name)
        links.setdefault(url, "Runbook" if not links else f"Runbook: {alert.name}")
    return tuple((title, url) for url, title in links.items())


@dataclass
class AlertState:
    """What the group remembers of one alert."""

    status: AlertStatus
    starts_at: datetime
    summary: str
    # Kept so the runbook check can tell which service's alert fired (alerts seen before #16 have none).
    labels: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "starts_at": self.starts_at.isoformat(),
            "summary": self.summary,
            "labels": dict(self.labels),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AlertState:
        return cls(
            AlertStatus(data["status"]),
            datetime.fromisoformat(data["starts_at"]),
            data["summary"],
            dict(data.get("labels") or {}),
        )


@dataclass(frozen=True)
class GroupChanges:
    """What a notification told us that we did not know: the news worth a timeline entry."""

    started: tuple[Alert, ...] = ()  # firing and new (or firing again after resolving)
    resolved: tuple[Alert, ...] = ()  # was firing, now resolved

    @property
    def anything(self) -> bool:
        return bool(self.started or self.resolved)


@dataclass
class AlertGroup:
    """One Alertmanager group within one circle; it follows at most one open incident at a time."""

    circle: str
    group_key: str
    first_seen: datetime
    last_seen: datetime
    incident_number: int | None = None
    alerts: dict[str, AlertState] = field(default_factory=dict)
    notifications: int = 0

    @property
    def firing(self) -> list[str]:
        return [fingerprint for fingerprint, state in self.alerts.items() if state.status is AlertStatus.FIRING]

    @property
    def all_resolved(self) -> bool:
        return bool(self.alerts) and not self.firing

    def forget_resolved(self) -> None:
        """A new incident starts: the alerts that resolved belonged to the one before."""
        self.alerts = {key: state for key, state in self.alerts.items() if state.status is AlertStatus.FIRING}

    def observe(self, alerts: Iterable[Alert], at: datetime) -> GroupChanges:
        """Take in a notification's alerts, the group's latest news; returns what changed.

        Notifications of a group arrive in order (one ordering key), so each is the current truth.
        startsAt is not compared: Alertmanager moves it to the earliest of merged updates.
        """
        started: list[Alert] = []
        resolved: list[Alert] = []
        for alert in alerts:
            known = self.alerts.get(alert.fingerprint)
            was_firing = known is not None and known.status is AlertStatus.FIRING
            if alert.status is AlertStatus.FIRING and not was_firing:
                started.append(alert)
            elif alert.status is AlertStatus.RESOLVED and was_firing:
                resolved.append(alert)
            self.alerts[alert.fingerprint] = AlertState(
                alert.status, alert.starts_at, alert.summary, dict(alert.labels)
            )
        self.notifications += 1
        self.last_seen = max(self.last_seen, at)
        return GroupChanges(tuple(started), tuple(resolved))
