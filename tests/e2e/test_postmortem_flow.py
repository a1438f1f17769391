"""From the incident report to a closed postmortem, through /api/messages, a local GitLab and the outbox."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from adapters.circles_file import parse_circles
from adapters.runtime import RUNTIME
from domain.clock import FixedClock
from tests.card_schema import assert_valid_card
from tests.conftest import START
from tests.support.activities import CHANNEL_ID, TEAM_ID, USER_ID, card_action, channel_message, installed_in_team
from tests.support.bot_app import BotClient, bot_client, post_activity, runtime_of
from tests.support.fake_connector import FakeConnector, adaptive_cards
from tests.support.fake_gitlab import FakeGitLab

DOCS = "acme/acme.pay.DevOps"
CIRCLE = f"""
circles:
  - name: payments
    customer: acme
    project: pay
    team_id: "{TEAM_ID}"
    channel_id: "{CHANNEL_ID}"
    time_zone: Europe/Rome
    team_leader: ada
    focus_sre: bob
    members:
      - {{handle: ada, name: Ada Lovelace, teams_user_id: "{USER_ID}", gitlab: grossi}}
      - {{handle: bob, name: Bob Oncall, teams_user_id: "29:bob", gitlab: mbianchi}}
    rota:
      rotations:
        - {{layer: primary, members: [bob], every: weekly, handover: {{day: mon, time: "09:00"}}, start: 2026-01-05}}
    sla:
      P1: {{acknowledge: 5m, resolve: 4h, stakeholder_updates: never}}
      P2: {{acknowledge: 15m, resolve: 8h, stakeholder_updates: never}}
      P3: {{acknowledge: 1h, resolve: 3d, stakeholder_updates: never}}
      P4: {{acknowledge: 4h, resolve: 10d, stakeholder_updates: never}}
    jira: {{project: PAY}}
    docs_repo: {DOCS}
    postmortem: {{actions_tracker: gitlab}}
"""


@pytest.fixture
async def gitlab() -> AsyncIterator[FakeGitLab]:
    async with FakeGitLab(projects=(DOCS,)) as fake:
        yield fake


async def started_client(tmp_path: Path, connector: FakeConnector, **settings: Any) -> AsyncIterator[BotClient]:
    async with bot_client(f"sqlite:///{tmp_path / 'bot.db'}", clock=FixedClock(START), **settings) as test_client:
        runtime = test_client.app[RUNTIME]
        async with runtime.uow() as uow:
            await uow.circles.apply(parse_circles(CIRCLE, "circles.yaml"), runtime.clock.now())
            await uow.commit()
        await post_activity(test_client, installed_in_team(connector.service_url))
        connector.sent.clear()
        yield test_client


@pytest.fixture
async def client(tmp_path: Path, connector: FakeConnector, gitlab: FakeGitLab) -> AsyncIterator[BotClient]:
    async for test_client in started_client(tmp_path, connector, GITLAB_URL=gitlab.url, GITLAB_TOKEN=gitlab.token):
        yield test_client


@pytest.fixture
async def chat_only_client(tmp_path: Path, connector: FakeConnector) -> AsyncIterator[BotClient]:
    async for test_client in started_client(tmp_path, connector):
        yield test_client


async def say(client: BotClient, connector: FakeConnector, text: str, **fields: Any) -> str:
    """Post a channel message and return the bot's direct answer."""
    before = len(connector.sent)
    await post_activity(client, channel_message(text, connector.service_url, **fields))
    return connector.sent[before].text


async def click(client: BotClient, connector: FakeConnector, verb: str, data: dict[str, Any]) -> dict[str, Any]:
    response = await post_activity(client, card_action(verb, connector.service_url, data))
    assert response.status == 200
    body: dict[str, Any] = await response.json()
    return body


async def resolved_incident(client: BotClient, connector: FakeConnector) -> None:
    # No direct answer: the incident card, posted in this thread, is the answer.
    await post_activity(client, channel_message("/incident P1 Payments API returns 500", connector.service_url))
    runtime_of(client).clock.advance(timedelta(minutes=30))  # type: ignore[attr-defined]
    await say(client, connector, "/incident resolve INC-1 rolled back to v2.2")
    await runtime_of(client).relay.drain()


def postmortem_cards(connector: FakeConnector) -> list[dict[str, Any]]:
    """The postmortem cards posted, each as it reads now (cards are updated in place)."""
    return [card for card in connector.cards_as_shown() if card["body"][0]["text"].startswith("Postmortem · INC-1")]


async def test_resolve_start_action_agree_and_close_when_the_merge_request_is_merged(
    client: BotClient, connector: FakeConnector, gitlab: FakeGitLab
) -> None:
    runtime = runtime_of(client)
    await resolved_incident(client, connector)

    # The report's "Start postmortem" button: the decision is recorded and the report refreshes.
    body = await click(client, connector, "incident.postmortem.start", {"incident": 1})
    texts = [block.get("text", "") for block in body["value"]["body"]]
    assert (
        "Postmortem: started — its review thread opens with the card “Postmortem · INC-1” in the channel; "
        "`/postmortem show INC-1` brings the card here"
    ) in texts
    await runtime.relay.drain()

    project = gitlab.project(DOCS)
    branch = "postmortem/INC-1-payments-api-returns-500"
    assert branch in project.branches
    [(_, path)] = [key for key in project.files if key[0] == branch]
    assert path == "postmortems/2026-11-27-INC-1-payments-api-returns-500.md"
    assert "## Timeline" in project.files[(branch, path)]
    [merge_request] = project.merge_requests
    assert (merge_request.source_branch, merge_request.assignee_id) == (branch, 21)  # Bob, the focus SRE
    # The review thread opens with the card itself; the owner is @mentioned in the thread after it.
    opening = next(sent for sent in connector.sent if sent.cards and sent.cards[0]["body"][0]["text"].startswith(
        "Postmortem · INC-1"))  # fmt: skip
    assert not opening.text
    owner_line = next(sent for sent in connector.sent if "you own this postmortem" in (sent.text or ""))
    assert owner_line.text == "<at>Bob Oncall</at> you own this postmortem."
    assert connector.sent.index(owner_line) > connector.sent.index(opening)
    card = postmortem_cards(connector)[-1]
    facts = {fact["title"]: fact["value"] for fact in card["body"][2]["facts"]}
    assert facts["Owner"] == "Bob Oncall"
    assert facts["Review due"] == "Fri 4 Dec"  # one date style everywhere
    assert facts["Document"].startswith(f"[!1 (opened)]({gitlab.url}/{DOCS}/-/merge_requests/1)")

    answer = await say(client, connector, "/postmortem action INC-1 Alert on pool saturation @bob 2w")
    assert answer == "INC-1 A1 added: Alert on pool saturation — Bob Oncall, due Fri 11 Dec."
    answer = await say(client, connector, "/postmortem agree INC-1")
    assert answer == "Review of INC-1 done: 1 action(s) agreed and being filed."
    await runtime.relay.drain()

    [issue] = project.issues
    assert issue.title == "INC-1 A1: Alert on pool saturation"
    assert (issue.assignee_ids, issue.due_date) == ([21], "2026-12-11")
    assert "circlebot-pm-inc-1-a1" in issue.labels
    await runtime.timers.tick()  # the first merge check: still open
    await runtime.relay.drain()
    assert postmortem_cards(connector)[-1]["body"][0]["text"] == "Postmortem · INC-1 · ACTIONS AGREED"

    gitlab.merge(1, DOCS)
    runtime.clock.advance(timedelta(minutes=10))  # type: ignore[attr-defined]
    await runtime.timers.tick()
    await runtime.relay.drain()

    assert postmortem_cards(connector)[-1]["body"][0]["text"] == "Postmortem · INC-1 · CLOSED"
    assert "The postmortem of INC-1 is closed: 1 action(s) filed and the document merged." in connector.texts()
    assert len(project.merge_requests) == 1 and len(project.issues) == 1


async def test_the_report_links_to_the_postmortem_review_thread_once_its_card_is_posted(
    chat_only_client: BotClient, connector: FakeConnector
) -> None:
    client = chat_only_client
    await resolved_incident(client, connector)
    [report_post] = [
        s for s in connector.sent if s.cards and s.cards[0]["body"][0]["text"] == "Incident report · INC-1"
    ]

    body = await click(client, connector, "incident.postmortem.start", {"incident": 1})
    assert "https://teams.microsoft.com" not in json.dumps(body)  # the review thread does not exist yet
    await runtime_of(client).relay.drain()
    # The link row may come before the card's row is delivered: it waits, then refreshes the report.
    runtime_of(client).clock.advance(timedelta(minutes=2))  # type: ignore[attr-defined]
    await runtime_of(client).relay.drain()

    [opening] = [
        s for s in connector.sent if s.cards and s.cards[0]["body"][0]["text"].startswith("Postmortem · INC-1")
    ]
    [report] = adaptive_cards(connector.latest(report_post.activity_id))  # the same message, updated in place
    assert_valid_card(report)
    # Teams' deep link to a channel message: /l/message/<channel id>/<message id>; the thread's first post is
    # its own parent. (tenantId is optional: Teams opens the link in the reader's tenant.)
    link = (
        f"https://teams.microsoft.com/l/message/{quote(CHANNEL_ID, safe='')}/{opening.activity_id}"
        f"?parentMessageId={opening.activity_id}"
    )
    texts = [block.get("text", "") for block in report["body"]]
    assert (
        f"Postmortem: started — [its review thread]({link}) opens with the card “Postmortem · INC-1” in the "
        "channel; `/postmortem show INC-1` brings the card here"
    ) in texts


async def test_without_gitlab_the_postmortem_lives_in_its_thread(
    chat_only_client: BotClient, connector: FakeConnector
) -> None:
    client = chat_only_client
    await resolved_incident(client, connector)

    answer = await say(client, connector, "/postmortem start INC-1")
    await runtime_of(client).relay.drain()

    assert answer.startswith("Postmortem of INC-1 started: owner Bob Oncall, due Fri 4 Dec.")
    facts = {fact["title"]: fact["value"] for fact in postmortem_cards(connector)[-1]["body"][2]["facts"]}
    assert facts["Document"] == "GitLab: not configured (the draft lives in this thread)"
    await say(client, connector, "/postmortem action INC-1 Write the rollback runbook")
    await say(client, connector, "/postmortem agree INC-1")
    await runtime_of(client).relay.drain()
    assert postmortem_cards(connector)[-1]["body"][0]["text"] == "Postmortem · INC-1 · CLOSED"

    listing = await say(client, connector, "/postmortem search rolled back")
    assert listing == ""  # a card, not text
    [found] = connector.sent[-1].cards
    assert found["body"][1]["facts"][0]["title"].startswith("INC-1 · Fri 27 Nov 2026 · closed")


async def test_mistakes_get_answers_that_say_what_to_do(chat_only_client: BotClient, connector: FakeConnector) -> None:
    client = chat_only_client
    await post_activity(client, channel_message("/incident P2 Still burning", connector.service_url))

    assert (await say(client, connector, "/postmortem start INC-1")).startswith("Resolve INC-1 first")
    assert (await say(client, connector, "/postmortem start INC-9")).startswith("There is no INC-9")
    assert (await say(client, connector, "/postmortem agree INC-1")).startswith("INC-1 has no postmortem")
    assert (await say(client, connector, "/postmortem frobnicate")).startswith("I don't know `/postmortem frobnicate`")
    stranger = {"from": {"id": "29:stranger", "name": "Stranger"}}
    runtime_of(client).clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
    await say(client, connector, "/incident resolve INC-1 false alarm")
    assert (await say(client, connector, "/postmortem start INC-1", **stranger)).startswith(
        "Only members of circle payments can work on its postmortems"
    )
