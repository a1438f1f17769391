"""Alert notifications and circles for the alert tests: built from the captured fixtures."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from adapters.circles_file import load_circles
from storage.circle_config import CirclesConfig
from tests.support.circles import changed, config

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EXAMPLE = Path(__file__).resolve().parents[2] / "circles.example.yaml"
PAYMENTS_TOKEN = "payments-only-token"


def fixture(name: str) -> dict[str, Any]:
    """A captured webhook body, e.g. "alertmanager/alertmanager-0.25-firing.json"."""
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def firing() -> dict[str, Any]:
    return fixture("alertmanager/alertmanager-0.25-firing.json")


def resolved() -> dict[str, Any]:
    return fixture("alertmanager/alertmanager-0.25-resolved.json")


def grafana() -> dict[str, Any]:
    return fixture("grafana/grafana-webhook-firing.json")


def with_alerts(body: dict[str, Any], count: int, *, group: str = "", status: str = "firing") -> dict[str, Any]:
    """The body's first alert cloned `count` times (distinct instances), optionally in another group."""
    body = copy.deepcopy(body)
    template = body["alerts"][0]
    alerts = []
    for index in range(count):
        alert = copy.deepcopy(template)
        alert["status"] = status
        alert["labels"]["instance"] = f"api-{index}"
        alert["fingerprint"] = hashlib.sha256(f"{group}{index}".encode()).hexdigest()[:16]
        alerts.append(alert)
    body["alerts"] = alerts
    body["status"] = status
    if group:
        body["groupKey"] = f'{{}}:{{alertname="{group}"}}'
        body["commonLabels"]["alertname"] = group
        body["commonAnnotations"]["summary"] = f"{group} is failing"
    return body


def refired(body: dict[str, Any], later: timedelta = timedelta(minutes=30)) -> dict[str, Any]:
    """The same alerts firing again `later`: a new startsAt, as Alertmanager sends after a resolve."""
    body = copy.deepcopy(body)
    body["status"] = "firing"
    for alert in body["alerts"]:
        alert["status"] = "firing"
        alert["startsAt"] = (datetime.fromisoformat(alert["startsAt"]) + later).isoformat()
        alert["endsAt"] = "0001-01-01T00:00:00Z"
    return body


def circles_config(*, auto_resolve: bool = False, reattach_window: str = "1h") -> CirclesConfig:
    """The example's demo circle (default for alerts) and a payments circle routed on team=payments."""
    demo = changed(
        load_circles(EXAMPLE).specs[0], alerts={"auto_resolve": auto_resolve, "reattach_window": reattach_window}
    )
    payments = changed(
        demo,
        name="payments",
        channel_id="payments-channel",
        alert_routes=[{"match": {"team": "payments"}}],
        alerts={"token_sha256": hashlib.sha256(PAYMENTS_TOKEN.encode()).hexdigest()},
    )
    return config(payments, demo, default_circle="demo")
