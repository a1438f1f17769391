"""Alertmanager and Grafana POST to the real app: who may, what is refused, and the incident that follows."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from adapters.alerts.routes import ALERTMANAGER_PATH, GRAFANA_PATH, MAX_ALERT_BODY_BYTES
from adapters.runtime import RUNTIME, Runtime
from domain.clock import FixedClock
from domain.incidents.model import Incident
from storage.outbox import OutboxRow
from tests.conftest import START
from tests.support import alerts, circles
from tests.support.activities import CHANNEL_ID, TEAM_ID, installed_in_team
from tests.support.bot_app import BotClient, bot_client, post_activity
from tests.support.fake_connector import FakeConnector

TOKEN = "s3cret-alert-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    async with FakeConnector() as fake:
        yield fake


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[BotClient]:
    clock = FixedClock(START)
    async with bot_client(f"sqlite:///{tmp_path / 'bot.db'}", clock=clock, ALERT_WEBHOOK_TOKEN=TOKEN) as test_client:
        payments, demo = alerts.circles_config().specs
        # The demo circle works in the channel the test activities come from.
        demo = circles.changed(demo, team_id=TEAM_ID, channel_id=CHANNEL_ID)
        runtime = test_client.app[RUNTIME]
        async with runtime.uow() as uow:
            await uow.circles.apply(circles.config(payments, demo, default_circle="demo"), clock.now())
            await uow.commit()
        yield test_client


def runtime_of(client: BotClient) -> Runtime:
    runtime: Runtime = client.app[RUNTIME]
    return runtime


async def open_incidents(client: BotClient, circle: str = "demo") -> list[Incident]:
    async with runtime_of(client).uow() as uow:
        return await uow.incidents.open_in_circle(circle)


async def ingest_rows(client: BotClient) -> list[OutboxRow]:
    async with runtime_of(client).database.session() as session:
        return list((await session.exec(select(OutboxRow).where(col(OutboxRow.kind) == "alerts.ingest"))).all())


async def post(client: BotClient, body: Any, path: str = ALERTMANAGER_PATH, **headers: str) -> Any:
    return await client.post(path, data=json.dumps(body), headers={**AUTH, **headers})


# --- the door -----------------------------------------------------------------------------------


async def test_without_a_token_the_webhook_is_refused_with_401(client: BotClient) -> None:
    response = await client.post(ALERTMANAGER_PATH, json=alerts.firing())

    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer <token>" in (await response.json())["error"]
    assert await ingest_rows(client) == []


async def test_a_wrong_token_is_refused_with_401(client: BotClient) -> None:
    response = await post(client, alerts.firing(), Authorization="Bearer not-the-token")

    assert response.status == 401
    assert await ingest_rows(client) == []


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_a_body_over_the_limit_is_refused_with_413(client: BotClient, chunked: bool) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(MAX_ALERT_BODY_BYTES // 65536 + 1):
            yield b"x" * 65536

    data = chunks() if chunked else io.BytesIO(b"x" * (MAX_ALERT_BODY_BYTES + 1))
    response = await client.post(ALERTMANAGER_PATH, data=data, headers=AUTH)

    assert response.status == 413
    assert "max_alerts" in (await response.json())["error"]


async def test_an_invalid_payload_is_refused_with_400_and_the_reason(client: BotClient) -> None:
    body = alerts.firing()
    body["alerts"][0]["startsAt"] = "soon"

    response = await post(client, body)

    assert response.status == 400
    error = (await response.json())["error"]
    assert error == "not a Alertmanager webhook notification: alerts[0].startsAt: 'soon' is not an RFC 3339 " \
        "time such as 2026-11-28T20:21:59Z"  # fmt: skip


async def test_a_notification_is_committed_and_answered_before_any_incident_work(client: BotClient) -> None:
    response = await post(client, alerts.firing())

    assert response.status == 200
    assert await response.json() == {"status": "accepted", "alerts": 1}
    [row] = await ingest_rows(client)
    assert row.status == "pending"
    assert await open_incidents(client) == []  # the relay has not run yet


async def test_a_redelivery_is_absorbed_at_the_door(client: BotClient) -> None:
    await post(client, alerts.firing())

    again = await post(client, alerts.firing())

    assert await again.json() == {"status": "duplicate", "alerts": 1}
    assert len(await ingest_rows(client)) == 1


# --- through the relay --------------------------------------------------------------------------


async def test_an_alert_opens_an_incident_whose_card_links_the_runbook_and_the_source(
    client: BotClient, connector: FakeConnector
) -> None:
    await post_activity(client, installed_in_team(connector.service_url))
    await post(client, alerts.firing())

    await runtime_of(client).relay.drain()

    [incident] = await open_incidents(client)
    assert incident.title == "Checkout 5xx above 5%"
    [card] = [card for card in connector.cards() if "INC-1" in json.dumps(card)]
    [links] = [element for element in card["body"] if element["type"] == "ActionSet"]
    assert [(a["type"], a["title"], a["url"]) for a in links["actions"]] == [
        ("Action.OpenUrl", "Runbook", "https://runbooks.example/checkout"),
        ("Action.OpenUrl", "Alert source", "http://prometheus.local/graph?g0.expr=up"),
    ]


async def test_firing_then_resolved_keeps_one_incident_and_notes_the_resolution(client: BotClient) -> None:
    await post(client, alerts.firing())
    await post(client, alerts.firing())
    await post(client, alerts.resolved())

    await runtime_of(client).relay.drain()

    [incident] = await open_incidents(client)
    assert [entry.kind for entry in incident.timeline] == ["declared", "assigned", "alert_resolved"]
    assert [row.status for row in await ingest_rows(client)] == ["done", "done"]


async def test_grafana_posts_to_its_own_endpoint(client: BotClient) -> None:
    response = await post(client, alerts.grafana(), GRAFANA_PATH)
    assert response.status == 200

    await runtime_of(client).relay.drain()

    [incident] = await open_incidents(client, "payments")
    assert incident.declared_by == "Grafana"


async def test_a_circle_token_sends_the_alerts_to_that_circle(client: BotClient) -> None:
    response = await post(client, alerts.firing(), Authorization=f"Bearer {alerts.PAYMENTS_TOKEN}")
    assert response.status == 200

    await runtime_of(client).relay.drain()

    assert [incident.circle for incident in await open_incidents(client, "payments")] == ["payments"]
    assert await open_incidents(client, "demo") == []


async def test_a_storm_of_a_thousand_alerts_loses_none_and_opens_one_incident_per_group(client: BotClient) -> None:
    for group in range(10):
        body = alerts.with_alerts(alerts.firing(), 100, group=f"Storm{group}")
        for start in range(0, 100, 25):  # Alertmanager sends a growing group several times
            partial = dict(body, alerts=body["alerts"][: start + 25])
            assert (await post(client, partial)).status == 200
        assert (await post(client, body)).status == 200  # a repeat, absorbed

    await runtime_of(client).relay.drain(max_rounds=1000)

    incidents = await open_incidents(client)
    assert sorted(incident.title for incident in incidents) == [f"Storm{g} is failing" for g in range(10)]
    assert {row.status for row in await ingest_rows(client)} == {"done"}
    assert len(await ingest_rows(client)) == 40


# --- issue #11 finding 7: accepted means stored, on both databases --------------------------------


@pytest.fixture
async def client_on(database_url: str) -> AsyncIterator[BotClient]:
    """The app on SQLite and on PostgreSQL (whose text columns refuse NULs and lone surrogates)."""
    clock = FixedClock(START)
    async with bot_client(database_url, clock=clock, ALERT_WEBHOOK_TOKEN=TOKEN) as test_client:
        runtime = test_client.app[RUNTIME]
        async with runtime.uow() as uow:
            await uow.circles.apply(alerts.circles_config(), clock.now())
            await uow.commit()
        yield test_client


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda a: a["labels"].update(service="checkout-" + "x" * 300), id="label-over-120"),
        pytest.param(lambda a: a["annotations"].update(summary="Checkout\x00 5xx above 5%"), id="nul-in-annotation"),
        pytest.param(lambda a: a["annotations"].update(summary="Checkout \ud800 5xx"), id="lone-surrogate"),
        pytest.param(lambda a: a["labels"].update(instance="host\x00:9100"), id="nul-in-label"),
    ],
)
async def test_an_accepted_alert_always_becomes_an_incident(client_on: BotClient, spoil: Any) -> None:
    body = alerts.firing()
    spoil(body["alerts"][0])

    # ensure_ascii (json.dumps' default) sends the lone surrogate as a \ud800 escape, as Go would.
    response = await client_on.post(ALERTMANAGER_PATH, data=json.dumps(body), headers=AUTH)
    assert response.status == 200
    await runtime_of(client_on).relay.drain()

    [incident] = await open_incidents(client_on)
    assert "\x00" not in incident.title
    assert incident.service is None or len(incident.service) <= 120
    assert [row.status for row in await ingest_rows(client_on)] == ["done"]


async def test_a_long_label_value_is_cut_with_a_marker(client_on: BotClient) -> None:
    body = alerts.firing()
    body["alerts"][0]["labels"]["service"] = "checkout-" + "x" * 300
    body["commonLabels"]["service"] = "checkout-" + "x" * 300

    await client_on.post(ALERTMANAGER_PATH, data=json.dumps(body), headers=AUTH)
    await runtime_of(client_on).relay.drain()

    [incident] = await open_incidents(client_on)
    assert incident.service is not None
    assert (len(incident.service), incident.service[-1]) == (120, "…")


async def test_an_accepted_notification_that_goes_dead_is_told_to_the_team_leader_once(
    client: BotClient, connector: FakeConnector
) -> None:
    """Issue #11 finding 7: a dead ingest row was silent; now the circle hears of it."""
    await post_activity(client, installed_in_team(connector.service_url))
    runtime = runtime_of(client)
    async with runtime.uow() as uow:
        # A row this version cannot read (an older release's, say): it can only go dead.
        uow.outbox.add("alerts.ingest", {"version": 99}, idempotency_key="alerts:unreadable")
        await uow.commit()

    await runtime.relay.drain()
    await runtime.relay.drain()

    told = [text for text in connector.texts() if "could not turn it into an incident" in text]
    assert len(told) == 1
    assert "`circlebot outbox retry" in told[0]
    assert [row.status for row in await ingest_rows(client)] == ["dead"]
