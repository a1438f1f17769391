"""Runbooks and drills through /api/messages, the outbox, the planner and a local GitLab: the runbook
card at 3 a.m., the weekly check, a drill taken, graded and its gap filed, readiness in /oncall, and the
Runbook button on an alert's incident card."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.circles_file import parse_circles
from adapters.runtime import RUNTIME, Runtime
from domain.clock import FixedClock
from tests.support import alerts
from tests.support.activities import (
    CHANNEL_ID,
    TEAM_ID,
    TENANT_ID,
    channel_message,
    installed_in_team,
    next_activity_id,
)
from tests.support.bot_app import BotClient, bot_client, post_activity
from tests.support.fake_connector import FakeConnector
from tests.support.fake_gitlab import FakeGitLab
from tests.support.runbooks import QUESTION_BANK, RUNBOOK_CATALOG, RUNBOOK_CHECKOUT, circle_yaml

PROJECT = "acme/acme.shop.DevOps"
TUESDAY_3AM = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 03:00 in Rome; marco primary, sara secondary
MARCO, GIULIA = "29:marco", "29:giulia"
ALERT_TOKEN = "alert-token"
CIRCLES = "default_circle: shop\n" + circle_yaml(TEAM_ID, CHANNEL_ID, GIULIA, MARCO, gitlab_project=PROJECT)


def chat_of(user: str) -> str:
    return f"a:1personal-chat-with-{user.removeprefix('29:')}"


def personal(kind: str, user: str, service_url: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "id": next_activity_id(),
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": user, "name": user},
        "conversation": {"conversationType": "personal", "tenantId": TENANT_ID, "id": chat_of(user)},
        "recipient": {"id": "28:circlebot", "name": "circlebot"},
        "channelData": {"tenant": {"id": TENANT_ID}},
        **fields,
    }


@pytest.fixture
async def gitlab() -> AsyncIterator[FakeGitLab]:
    async with FakeGitLab(projects=(PROJECT,)) as fake:
        fake.commit_file("runbooks/checkout.md", RUNBOOK_CHECKOUT, at=TUESDAY_3AM - timedelta(days=10))
        # The catalog runbook lacks two sections and was last touched four months ago.
        fake.commit_file("runbooks/catalog.md", RUNBOOK_CATALOG, at=TUESDAY_3AM - timedelta(days=120))
        fake.commit_file("internal-tests/process.yaml", QUESTION_BANK, at=TUESDAY_3AM - timedelta(days=1))
        yield fake


@pytest.fixture
async def client(tmp_path: Path, connector: FakeConnector, gitlab: FakeGitLab) -> AsyncIterator[BotClient]:
    settings = {"GITLAB_URL": gitlab.url, "GITLAB_TOKEN": gitlab.token, "ALERT_WEBHOOK_TOKEN": ALERT_TOKEN}
    async with bot_client(f"sqlite:///{tmp_path / 'bot.db'}", clock=FixedClock(TUESDAY_3AM), **settings) as test_client:
        runtime = runtime_of(test_client)
        async with runtime.uow() as uow:
            await uow.circles.apply(parse_circles(CIRCLES, "circles.yaml"), runtime.clock.now())
            await uow.commit()
        await post_activity(test_client, installed_in_team(connector.service_url))
        for user in (MARCO, GIULIA):
            await post_activity(test_client, personal("installationUpdate", user, connector.service_url, action="add"))
        await runtime.relay.drain()
        connector.sent.clear()
        yield test_client


def runtime_of(client: BotClient) -> Runtime:
    runtime: Runtime = client.app[RUNTIME]
    return runtime


def clock_of(client: BotClient) -> FixedClock:
    clock = runtime_of(client).clock
    assert isinstance(clock, FixedClock)
    return clock


async def type_(client: BotClient, connector: FakeConnector, user: str, text: str) -> list[Any]:
    before = len(connector.sent)
    response = await post_activity(client, personal("message", user, connector.service_url, text=text))
    assert response.status in (200, 201)
    return connector.sent[before:]


async def click(client: BotClient, connector: FakeConnector, user: str, verb: str, data: dict[str, Any]) -> Any:
    value = {"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"}
    response = await post_activity(
        client, personal("invoke", user, connector.service_url, name="adaptiveCard/action", value=value)
    )
    assert response.status == 200
    return (await response.json())["value"]


def shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


async def settle(client: BotClient, rounds: int = 3) -> None:
    for _ in range(rounds):
        await runtime_of(client).relay.drain()
        clock_of(client).advance(timedelta(minutes=2))
    await runtime_of(client).relay.drain()


def cards_to(connector: FakeConnector, user: str) -> list[dict[str, Any]]:
    return [card for sent in connector.in_conversation(chat_of(user)) for card in sent.cards]


async def test_runbook_checkout_at_3am_shows_the_summary_the_alert_and_who_is_on_call_now(
    client: BotClient, connector: FakeConnector, gitlab: FakeGitLab
) -> None:
    [answer] = await type_(client, connector, MARCO, "/runbook checkout CheckoutHighErrorRate")
    card = shown(answer.cards)
    assert "Runbook · checkout" in card
    assert "Takes the shop's payments" in card
    assert "Marco Bianchi, +39 000 2 (at once)" in card
    assert "Sara Romano (after 10m)" in card and "Giulia Rossi, +39 000 1 (after 20m)" in card
    assert "more than 5% of checkout requests fail for 5 minutes" in card
    assert f"{gitlab.url}/{PROJECT}/-/blob/main/runbooks/checkout.md" in card

    # Asked again, GitLab answers 304 to our ETag; then GitLab is down and the stored copy says its age.
    await type_(client, connector, MARCO, "/runbook checkout")
    assert gitlab.not_modified == 1
    clock_of(client).advance(timedelta(hours=3))
    gitlab.fail_next(5, 503)
    [answer] = await type_(client, connector, MARCO, "/runbook checkout")
    assert "GitLab did not answer; this is my copy from 3h ago" in shown(answer.cards)
    assert "Marco Bianchi" in shown(answer.cards)

    [unknown] = await type_(client, connector, MARCO, "/runbook payments")
    assert unknown.activity["text"] == "Shop has no service called `payments`; services: checkout, catalog"


async def test_the_weekly_check_finds_the_missing_section_and_the_stale_runbook(
    client: BotClient, connector: FakeConnector
) -> None:
    runtime = runtime_of(client)
    clock_of(client).set(datetime(2026, 12, 7, 8, 0, tzinfo=UTC))  # Monday 09:00 in Rome
    await runtime.planner.plan()
    await runtime.timers.tick()
    await settle(client)
    texts = [s.activity["text"] for s in connector.in_conversation(chat_of(MARCO)) if s.activity.get("text")]
    [to_owner] = [t for t in texts if "runbooks need attention" in t]
    assert "catalog (runbooks/catalog.md): missing or empty sections: Alerts, Doc" in to_owner
    assert "no commit for 126 days (last 2026-08-03); the circle's limit is 90 days" in to_owner
    assert "checkout" not in to_owner.split("catalog")[0]
    [summary] = [c for c in cards_to(connector, GIULIA) if "Runbook check · shop" in shown(c)]
    assert "In order: checkout" in shown(summary)

    # The same check typed in chat: the Team Leader's summary comes again, for this run.
    answers = await type_(client, connector, GIULIA, "/runbook check")
    assert answers[-1].activity["text"].startswith("Done: 1 of 2 runbooks need attention")


async def test_a_drill_is_taken_graded_and_its_gap_becomes_a_gitlab_issue(
    client: BotClient, connector: FakeConnector, gitlab: FakeGitLab
) -> None:
    [refused] = await type_(client, connector, MARCO, "/drill start sara")
    assert refused.activity["text"] == "Only the Team Leader starts a drill; ask them, or practise with the runbooks"

    [started] = await type_(client, connector, GIULIA, "/drill start marco process troubleshooting 3")
    assert started.activity["text"].startswith("Drill #1 sent to Marco Bianchi: 3 questions, one per card.")
    await settle(client)

    answered = 0
    while True:
        questions = [c for c in cards_to(connector, MARCO) if "Internal test · shop" in shown(c)]
        if len(questions) <= answered:
            break
        card = questions[answered]
        data = card["actions"][0]["data"]
        choice_set = next((b for b in card["body"] if b["type"] == "Input.ChoiceSet"), None)
        # Wrong on purpose: the last choice, or an open answer the Team Leader will mark wrong.
        given = choice_set["choices"][-1]["value"] if choice_set else "restart everything"
        result = await click(client, connector, MARCO, "drill.answer", {**data, "answer": given})
        assert "Your answer" in shown(result)
        answered += 1
        await settle(client)
    assert answered == 3

    [grade] = [c for c in cards_to(connector, GIULIA) if "Grade an open answer" in shown(c)]
    assert "restart everything" in shown(grade)
    graded = await click(client, connector, GIULIA, "drill.grade", {**grade["actions"][1]["data"], "note": ""})
    assert "Graded wrong by Giulia Rossi" in shown(graded)
    await settle(client)
    [results] = [c for c in cards_to(connector, GIULIA) if "Drill #1 results" in shown(c)]
    assert "troubleshooting" in shown(results) and "not passed yet" in shown(results)

    [review] = (await type_(client, connector, GIULIA, "/drill review"))[0].cards
    assert "Drill review · shop" in shown(review)
    filed = await click(client, connector, GIULIA, "drill.file_gaps", {})
    assert "filed as GitLab issues in acme/acme.shop.DevOps" in shown(filed)
    await settle(client)
    issues = gitlab.project(PROJECT).issues
    assert issues and all("drill-gap" in issue.labels for issue in issues)
    troubleshooting = next(i for i in issues if "troubleshooting" in i.title)
    assert "**Answered**: restart everything" in troubleshooting.description
    assert troubleshooting.assignee_ids == [21]  # the checkout runbook's owner, Marco
    [again] = (await type_(client, connector, GIULIA, "/drill review"))[0].cards
    assert "No open gaps" in shown(again)


async def test_the_team_leader_sees_readiness_in_oncall_and_the_weekly_rota_check_warns(
    client: BotClient, connector: FakeConnector
) -> None:
    [card] = (await type_(client, connector, GIULIA, "/oncall"))[0].cards
    assert "Not on-call ready: Giulia Rossi (no drill passed" in shown(card)
    assert "Marco Bianchi (no drill passed in the last 182 days)" in shown(card)
    [theirs] = (await type_(client, connector, MARCO, "/oncall"))[0].cards
    assert "on-call ready" not in shown(theirs).lower()

    runtime = runtime_of(client)
    clock_of(client).set(datetime(2026, 12, 7, 8, 0, tzinfo=UTC))
    await runtime.planner.plan()
    await runtime.timers.tick()
    await settle(client)
    rota_check = [s.activity.get("text", "") for s in connector.in_conversation(chat_of(GIULIA))]
    assert any("Sara Romano is primary on call from Mon 7 Dec 09:00 CET but is not on-call ready" in t
               for t in rota_check)  # fmt: skip


async def test_an_alert_without_runbook_url_gets_a_runbook_button_at_its_entry(
    client: BotClient, connector: FakeConnector, gitlab: FakeGitLab
) -> None:
    body = alerts.firing()
    for alert in body["alerts"]:
        alert["annotations"].pop("runbook_url")
        alert["labels"]["alertname"] = "CheckoutHighErrorRate"
    response = await client.post(
        "/api/alerts/alertmanager", json=body, headers={"Authorization": f"Bearer {ALERT_TOKEN}"}
    )
    assert response.status == 200
    await settle(client)
    posted = next(s for s in connector.sent if any("INC-1" in shown(c) for c in s.cards))
    [incident] = posted.cards
    urls = [a["url"] for block in incident["body"] if block.get("type") == "ActionSet" for a in block["actions"]]
    assert f"{gitlab.url}/{PROJECT}/-/blob/main/runbooks/checkout.md#checkouthigherrorrate" in urls

    # In the incident's thread, `/runbook` alone is the incident's service and the alert at hand.
    root = posted.conversation_id.split(";messageid=", 1)[1]
    before = len(connector.sent)
    message = channel_message(
        "/runbook", connector.service_url, in_thread=root, **{"from": {"id": MARCO, "name": "Marco"}}
    )
    assert (await post_activity(client, message)).status in (200, 201)
    [card] = [c for s in connector.sent[before:] for c in s.cards]
    assert "Runbook · checkout" in shown(card) and "Alert CheckoutHighErrorRate" in shown(card)
    assert "customers cannot pay" in shown(card)


async def test_runbook_new_opens_one_merge_request_prefilled_and_assigned_to_the_owner(
    client: BotClient, connector: FakeConnector, gitlab: FakeGitLab
) -> None:
    del gitlab.project(PROJECT).files[("main", "runbooks/catalog.md")]
    [answer] = await type_(client, connector, GIULIA, "/runbook new catalog")
    assert answer.activity["text"].startswith(
        "Opening a merge request in acme/acme.shop.DevOps with runbooks/catalog.md drafted from the template"
    )
    await settle(client)
    [mr] = gitlab.project(PROJECT).merge_requests
    assert (mr.source_branch, mr.assignee_id, mr.title) == ("runbook/catalog", 21, "Draft: Runbook for catalog")
    content = gitlab.project(PROJECT).files[("runbook/catalog", "runbooks/catalog.md")]
    assert "## Escalation path" in content and "| P1 | 5m | 4h |" in content
    told = [s.activity.get("text", "") for s in connector.in_conversation(chat_of(GIULIA))]
    assert any(t.startswith("The runbook merge request for catalog is open: ") for t in told)

    [exists] = await type_(client, connector, GIULIA, "/runbook new checkout")
    assert exists.activity["text"].startswith("Runbooks/checkout.md exists already")


async def test_a_weekly_check_that_finds_gitlab_down_is_retried_not_lost(
    client: BotClient, connector: FakeConnector, gitlab: FakeGitLab
) -> None:
    runtime = runtime_of(client)
    clock_of(client).set(datetime(2026, 12, 7, 8, 0, tzinfo=UTC))
    await runtime.planner.plan()
    gitlab.fail_next(1, 503, only="GET */repository/files/*")
    await runtime.timers.tick()
    await runtime.relay.drain()
    assert not [c for c in cards_to(connector, GIULIA) if "Runbook check · shop" in shown(c)]
    await settle(client, rounds=4)
    [summary] = [c for c in cards_to(connector, GIULIA) if "Runbook check · shop" in shown(c)]
    assert "missing or empty sections: Alerts, Doc" in shown(summary)


async def test_an_empty_answer_comes_back_on_the_card_and_a_second_click_shows_the_verdict(
    client: BotClient, connector: FakeConnector
) -> None:
    await type_(client, connector, GIULIA, "/drill start marco process 1")
    await settle(client)
    [question] = [c for c in cards_to(connector, MARCO) if "Internal test · shop" in shown(c)]
    data = question["actions"][0]["data"]
    empty = await click(client, connector, MARCO, "drill.answer", {**data, "answer": ""})
    assert "Type an answer (or pick a choice) before sending" in shown(empty)
    choice = next(b for b in question["body"] if b["type"] == "Input.ChoiceSet")["choices"][0]["value"]
    first = await click(client, connector, MARCO, "drill.answer", {**data, "answer": choice})
    again = await click(client, connector, MARCO, "drill.answer", {**data, "answer": choice})
    assert first == again and "Your answer" in shown(again)
    someone_else = await click(client, connector, GIULIA, "drill.answer", {**data, "answer": choice})
    assert someone_else == "This drill is someone else's"


async def test_without_gitlab_the_card_still_has_the_live_escalation_path_and_the_check_says_why(
    tmp_path: Path, connector: FakeConnector
) -> None:
    async with bot_client(f"sqlite:///{tmp_path / 'bot.db'}", clock=FixedClock(TUESDAY_3AM)) as test_client:
        runtime = runtime_of(test_client)
        async with runtime.uow() as uow:
            await uow.circles.apply(parse_circles(CIRCLES, "circles.yaml"), runtime.clock.now())
            await uow.commit()
        [card] = (await type_(test_client, connector, MARCO, "/runbook checkout"))[0].cards
        assert "Marco Bianchi, +39 000 2 (at once)" in shown(card)
        assert "Runbook text unavailable: GitLab is not configured (GITLAB_URL)" in shown(card)
        [answer] = await type_(test_client, connector, GIULIA, "/runbook check")
        assert answer.activity["text"] == (
            "GitLab is not configured (GITLAB_URL), so I cannot read the runbooks to check them"
        )
