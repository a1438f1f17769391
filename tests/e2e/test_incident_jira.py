"""Incidents mirrored to Jira through the real app wiring: pending while Jira is down, never twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.circles_file import parse_circles
from adapters.runtime import RUNTIME
from domain.clock import FixedClock
from tests.conftest import START
from tests.e2e.test_incident_flow import CIRCLE
from tests.support.activities import PERSONAL_CONVERSATION_ID, channel_message, installed_in_team, installed_personally
from tests.support.bot_app import BotClient, bot_client, post_activity
from tests.support.fake_connector import FakeConnector
from tests.support.fake_jira import FakeJira


@pytest.fixture
async def jira() -> AsyncIterator[FakeJira]:
    async with FakeJira(projects={"PAY": ("Incident",)}) as server:
        yield server


@pytest.fixture
async def client(tmp_path: Path, jira: FakeJira, connector: FakeConnector) -> AsyncIterator[BotClient]:
    settings = {"JIRA_URL": jira.url, "JIRA_USER": jira.user, "JIRA_TOKEN": jira.token}
    async with bot_client(f"sqlite:///{tmp_path / 'bot.db'}", clock=FixedClock(START), **settings) as test_client:
        runtime = test_client.app[RUNTIME]
        async with runtime.uow() as uow:
            await uow.circles.apply(parse_circles(CIRCLE, "circles.yaml"), runtime.clock.now())
            await uow.commit()
        await post_activity(test_client, installed_in_team(connector.service_url))
        yield test_client


def card_jira_fact(card: dict[str, object]) -> str:
    facts = next(e for e in card["body"] if e["type"] == "FactSet")["facts"]  # type: ignore[index,union-attr]
    return next(f["value"] for f in facts if f["title"] == "Jira")  # type: ignore[no-any-return]


async def test_with_jira_down_the_card_says_pending_and_the_issue_comes_later_exactly_once(
    client: BotClient, jira: FakeJira, connector: FakeConnector
) -> None:
    runtime = client.app[RUNTIME]
    clock = runtime.clock
    assert isinstance(clock, FixedClock)
    jira.fail_next(3, 503)

    await post_activity(client, channel_message("/incident P2 Search is slow", connector.service_url))
    await runtime.relay.drain()
    assert jira.creates == 0
    [first_card] = [card for card in connector.cards() if card["body"][0]["text"].startswith("INC-1")]
    assert card_jira_fact(first_card) == "pending"

    for _ in range(6):  # Jira recovers; the outbox retries with backoff
        clock.advance(timedelta(minutes=5))
        await runtime.relay.drain()

    [issue] = jira.issues_labelled("circlebot-inc-1")
    assert jira.creates == 1
    assert (issue.project, issue.priority, issue.summary) == ("PAY", "High", "INC-1 [P2] Search is slow")
    latest = [card for card in connector.cards_as_shown() if card["body"][0]["text"].startswith("INC-1")][-1]
    assert card_jira_fact(latest) == issue.key


async def test_raising_the_severity_raises_the_jira_priority(
    client: BotClient, jira: FakeJira, connector: FakeConnector
) -> None:
    runtime = client.app[RUNTIME]
    declare = channel_message("/incident P3 Search is slow", connector.service_url)
    await post_activity(client, declare)
    await runtime.relay.drain()
    [issue] = jira.issues_labelled("circlebot-inc-1")
    assert issue.priority == "Medium"

    await post_activity(
        client, channel_message("/incident severity P1", connector.service_url, in_thread=declare["id"])
    )
    await runtime.relay.drain()

    assert issue.priority == "Highest"
    assert any("Severity P3 → P1" in comment["body"] for comment in issue.comments)


async def test_resolving_and_reopening_move_the_jira_issue_through_its_workflow(
    client: BotClient, jira: FakeJira, connector: FakeConnector
) -> None:
    runtime = client.app[RUNTIME]
    declare = channel_message("/incident P2 Search is slow", connector.service_url)
    await post_activity(client, declare)
    for text in ("/incident resolve cache warmed", "/incident reopen errors are back"):
        await post_activity(client, channel_message(text, connector.service_url, in_thread=declare["id"]))
        await runtime.relay.drain()
        [issue] = jira.issues_labelled("circlebot-inc-1")
        assert issue.status == ("Resolved" if "resolve " in text else "Reopened")


async def test_a_jira_issue_given_up_on_says_failed_on_the_card_and_the_team_leader_is_told_once(
    client: BotClient, jira: FakeJira, connector: FakeConnector
) -> None:
    """Issue #11 finding 10: a dead Jira row left "Jira: pending" forever and told nobody."""
    runtime = client.app[RUNTIME]
    clock = runtime.clock
    assert isinstance(clock, FixedClock)
    await post_activity(client, installed_personally(connector.service_url))  # Ada, the Team Leader
    jira.fail_next(1, 403, only="POST /rest/api/2/issue")  # the account may not create issues

    await post_activity(client, channel_message("/incident P2 Search is slow", connector.service_url))
    for _ in range(3):
        await runtime.relay.drain()
        clock.advance(timedelta(minutes=30))

    latest = [card for card in connector.cards_as_shown() if card["body"][0]["text"].startswith("INC-1")][-1]
    assert card_jira_fact(latest) == "failed — see `circlebot outbox list`"
    told = [sent.text for sent in connector.in_conversation(PERSONAL_CONVERSATION_ID) if "Gave up" in sent.text]
    assert len(told) == 1
    assert "INC-1: Gave up on creating the Jira issue" in told[0]


async def test_a_jira_write_parked_as_dead_shows_failed_with_where_to_look(
    client: BotClient, jira: FakeJira, connector: FakeConnector
) -> None:
    runtime = client.app[RUNTIME]
    jira.fail_next(1, 400)  # Jira rejects the create: retrying cannot help, the row is parked as dead

    declare = channel_message("/incident P2 Search is slow", connector.service_url)
    await post_activity(client, declare)
    await runtime.relay.drain()
    assert jira.creates == 0

    await post_activity(client, channel_message("/incident show INC-1", connector.service_url))
    shown = connector.cards()[-1]
    assert card_jira_fact(shown) == "failed — see `circlebot outbox list`"
