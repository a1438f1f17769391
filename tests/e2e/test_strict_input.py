"""Bad input gets a clear answer, never the turn's apology, on SQLite and PostgreSQL (#11 finding 9)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import col, select

from adapters.circles_file import parse_circles
from adapters.runtime import RUNTIME, Runtime
from domain.circle import Severity
from domain.clock import FixedClock
from domain.incidents.model import Incident
from storage.incidents.repository import IncidentRow
from tests.conftest import START
from tests.e2e.test_incident_flow import CIRCLE
from tests.support.activities import card_action, channel_message, installed_in_team
from tests.support.bot_app import BotClient, bot_client, post_activity
from tests.support.fake_connector import FakeConnector

APOLOGY = "Sorry, something went wrong"


@pytest.fixture
async def client(database_url: str, connector: FakeConnector) -> AsyncIterator[BotClient]:
    async with bot_client(database_url, clock=FixedClock(START)) as test_client:
        runtime = test_client.app[RUNTIME]
        async with runtime.uow() as uow:
            await uow.circles.apply(parse_circles(CIRCLE, "circles.yaml"), runtime.clock.now())
            await uow.commit()
        await post_activity(test_client, installed_in_team(connector.service_url))
        connector.sent.clear()
        yield test_client


def runtime_of(client: BotClient) -> Runtime:
    return client.app[RUNTIME]


async def incident_titles(client: BotClient) -> list[tuple[int, str]]:
    async with runtime_of(client).database.session() as session:
        rows = (await session.exec(select(IncidentRow).order_by(col(IncidentRow.number)))).all()
        return [(row.number or 0, row.title) for row in rows]


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("/incident ack INC-²", "`INC-²` is not an incident id; write INC- and its number, like INC-7"),
        ("/incident ack INC-2147483648", "`INC-2147483648` is not an incident id"),
        ("/incident show INC-99999999999999999999999", "is not an incident id"),
        ("/postmortem start INC-²", "`INC-²` is not an incident id"),
        ("/oncall schedule ²", "is not a number of days"),
    ],
)
async def test_a_malformed_argument_is_answered_with_what_to_type(
    client: BotClient, connector: FakeConnector, text: str, answer: str
) -> None:
    response = await post_activity(client, channel_message(text, connector.service_url))

    assert response.status == 200
    [said] = connector.texts()
    assert answer in said
    assert APOLOGY not in said


@pytest.mark.parametrize("incident", [True, 2**40, -1, 1.5, {"number": 1}, [1], "INC-²", None])
async def test_a_button_whose_incident_is_not_a_number_in_range_says_it_lost_its_incident(
    client: BotClient, connector: FakeConnector, incident: Any
) -> None:
    await post_activity(client, channel_message("/incident P2 Search is slow", connector.service_url))

    response = await post_activity(client, card_action("incident.ack", connector.service_url, {"incident": incident}))

    assert response.status == 200
    body = await response.json()
    assert body["value"] == "This button has lost its incident; type `/incident list`"


async def test_nul_bytes_in_what_people_type_are_dropped_and_the_rest_kept(
    client: BotClient, connector: FakeConnector
) -> None:
    await post_activity(client, channel_message("/incident P2 Search\x00 is slow", connector.service_url))

    assert await incident_titles(client) == [(1, "Search is slow")]


def draft(title: str) -> Incident:
    return Incident.declare(
        number=0, circle="payments", title=title, severity=Severity.P2, declared_by="ada", at=START, commander=None
    )


async def test_a_declare_that_rolled_back_uses_up_no_incident_number(client: BotClient) -> None:
    runtime = runtime_of(client)
    async with runtime.uow() as uow:
        await uow.incidents.add(draft("Rolled back"))  # and no commit: the transaction rolls back

    async with runtime.uow() as uow:
        kept = await uow.incidents.add(draft("Kept"))
        await uow.commit()

    assert kept.number == 1
    assert await incident_titles(client) == [(1, "Kept")]
