"""An activity from the form to the Team Leader's approval, through /api/messages, the outbox and a local GitLab;
and the GitLab webhook keeping the bot in step."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.circles_file import parse_circles
from bot.activities.notifier import TeamsActivityNotifier
from bot.messenger import Messenger
from bot.teams_notifier import TeamsNotifier
from dialogs.activities.desk import ActivityDesk
from domain.clock import FixedClock
from storage.activities.repository import SqlActivities
from tests.support.activities import (
    CHANNEL_ID,
    TEAM_ID,
    chat_of,
    installed_in_team,
    personal,
)
from tests.support.bot_app import BotClient, bot_client, clock_of, post_activity, runtime_of
from tests.support.fake_connector import FakeConnector
from tests.support.fake_gitlab import FakeGitLab, FakeIssue, FakeMergeRequest

PROJECT = "acme/shop-activities"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "gitlab"
MONDAY_MORNING = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 in Rome
WEBHOOK_TOKEN = "gitlab-webhook-secret"
MARCO, GIULIA = "29:marco", "29:giulia"
CIRCLE = f"""
circles:
  - name: shop
    customer: acme
    project: shop
    team_id: "{TEAM_ID}"
    channel_id: "{CHANNEL_ID}"
    time_zone: Europe/Rome
    team_leader: giulia
    members:
      - {{handle: giulia, name: Giulia Rossi, teams_user_id: "{GIULIA}", gitlab: grossi}}
      - {{handle: marco, name: Marco Bianchi, teams_user_id: "{MARCO}", gitlab: mbianchi}}
    sla:
      P1: {{acknowledge: 5m, resolve: 4h, stakeholder_updates: never}}
      P2: {{acknowledge: 15m, resolve: 8h, stakeholder_updates: never}}
      P3: {{acknowledge: 1h, resolve: 3d, stakeholder_updates: never}}
      P4: {{acknowledge: 4h, resolve: 10d, stakeholder_updates: never}}
    jira: {{project: SHOP}}
    gitlab_activity_project: {PROJECT}
    feedback: {{time: "17:30", days: [mon, tue, wed, thu, fri]}}
"""


@pytest.fixture
async def gitlab() -> AsyncIterator[FakeGitLab]:
    async with FakeGitLab(projects=(PROJECT,)) as fake:
        yield fake


@pytest.fixture
async def client(tmp_path: Path, connector: FakeConnector, gitlab: FakeGitLab) -> AsyncIterator[BotClient]:
    async with activity_bot(tmp_path, connector, gitlab, CIRCLE) as test_client:
        yield test_client


@asynccontextmanager
async def activity_bot(
    tmp_path: Path, connector: FakeConnector, gitlab: FakeGitLab, circles_text: str
) -> AsyncIterator[BotClient]:
    """The bot on Monday morning with `circles_text` applied, installed in the team and by Marco and Giulia."""
    settings = {"GITLAB_URL": gitlab.url, "GITLAB_TOKEN": gitlab.token, "GITLAB_WEBHOOK_TOKEN": WEBHOOK_TOKEN}
    async with bot_client(
        f"sqlite:///{tmp_path / 'bot.db'}", clock=FixedClock(MONDAY_MORNING), **settings
    ) as test_client:
        runtime = runtime_of(test_client)
        async with runtime.uow() as uow:
            await uow.circles.apply(parse_circles(circles_text, "circles.yaml"), runtime.clock.now())
            await uow.commit()
        await post_activity(test_client, installed_in_team(connector.service_url))
        for user in (MARCO, GIULIA):
            await post_activity(test_client, personal("installationUpdate", user, connector.service_url, action="add"))
        await runtime.relay.drain()
        connector.sent.clear()
        yield test_client


async def type_(client: BotClient, connector: FakeConnector, user: str, text: str) -> Any:
    before = len(connector.sent)
    response = await post_activity(client, personal("message", user, connector.service_url, text=text))
    assert response.status in (200, 201)
    return connector.sent[before]


async def click(client: BotClient, connector: FakeConnector, user: str, verb: str, data: dict[str, Any]) -> Any:
    value = {"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"}
    response = await post_activity(
        client, personal("invoke", user, connector.service_url, name="adaptiveCard/action", value=value)
    )
    assert response.status == 200
    body = await response.json()
    return body["value"]


def texts_of(card: dict[str, Any]) -> str:
    return json.dumps(card, ensure_ascii=False)


async def settle(client: BotClient, rounds: int = 3) -> None:
    """Deliver the outbox, stepping the clock past retry backoffs."""
    for _ in range(rounds):
        await runtime_of(client).relay.drain()
        clock_of(client).advance(timedelta(minutes=2))
    await runtime_of(client).relay.drain()


NEW_ACTIVITY = {
    "circle": "shop",
    "title": "Upgrade the ingress controller",
    "description": "From 1.9 to 1.11, customer maintenance window on Thursday.",
    "tasks": "Read the changelog\nUpgrade staging\nUpgrade production",
    "deadline": "2026-12-11",
    "done": "Production on 1.11\nRunbook updated",
    "repository": "customer",
    "labels": "ingress",
}


async def test_create_start_feedback_review_and_approve_an_activity(
    client: BotClient, connector: FakeConnector, gitlab: FakeGitLab
) -> None:
    runtime = runtime_of(client)
    form = await type_(client, connector, MARCO, "activity new")
    assert form.cards[0]["body"][0]["text"] == "New activity"

    # The outbox files the issue from the template; a lost answer on the first try makes no duplicate.
    gitlab.lose_next_response("POST */issues")
    saved = await click(client, connector, MARCO, "activity.create", NEW_ACTIVITY)
    assert "Saved. The GitLab issue is being filed in acme/shop-activities" in texts_of(saved)
    await runtime.relay.drain()
    pending = [c for c in connector.cards() if c["body"][0]["text"].startswith("Activity · “Upgrade")]
    assert "pending (filing in acme/shop-activities…)" in texts_of(pending[0])
    assert any("Marco Bianchi defined a new activity" in s.text for s in connector.in_conversation(chat_of(GIULIA)))

    await settle(client)
    [issue] = gitlab.project(PROJECT).issues
    assert issue.labels == ["activity", "ingress", "status::todo"]
    assert (issue.due_date, issue.assignee_ids) == ("2026-12-11", [21])
    assert "## Definition of done\n\n- [ ] Production on 1.11\n- [ ] Runbook updated" in issue.description
    assert "Activity · #1 · TO DO" in texts_of(connector.updates[-1].activity)  # the card, refreshed in place

    answer = await type_(client, connector, MARCO, "activity start #1")
    assert answer.text.startswith("#1 is in progress")
    await settle(client)
    assert "status::wip" in issue.labels and "status::todo" not in issue.labels

    # 17:30 in Rome: the planned feedback request arrives as a card.
    clock_of(client).set(datetime(2026, 11, 30, 16, 30, tzinfo=UTC))
    await runtime.planner.plan()
    await runtime.timers.tick()
    await settle(client)
    feedback_cards = [c for c in connector.cards() if c["body"][0]["text"].startswith("Daily feedback · #1")]
    assert feedback_cards, "no feedback card was sent at 17:30"

    gitlab.lose_next_response("POST */notes")
    posted = await click(
        client,
        connector,
        MARCO,
        "activity.feedback",
        {
            "activity": 1,
            "done": "Read the changelog, staging plan ready",
            "ticked": "Read the changelog",
            "blockers": "",
        },
    )
    assert "Feedback of 2026-11-30 saved" in texts_of(posted)
    await settle(client)
    notes = [n for n in issue.notes if not n.system]
    assert len(notes) == 1 and "**Done:** Read the changelog, staging plan ready" in notes[0].body
    assert "- [x] Read the changelog" in issue.description
    assert any("marked the checklist item **Read the changelog** as completed" in n.body for n in issue.notes)

    # Ready: the definition of done is not ticked, so the member gives a reason.
    unticked = await click(client, connector, MARCO, "activity.ready", {"activity": 1})
    assert "Production on 1.11" in texts_of(unticked)
    in_review = await click(
        client, connector, MARCO, "activity.ready", {"activity": 1, "reason": "the runbook needs Giulia's wording"}
    )
    assert "Activity · #1 · IN REVIEW" in texts_of(in_review)
    await settle(client)
    assert "status::review" in issue.labels and issue.assignee_ids == [20]
    review = [c for s in connector.in_conversation(chat_of(GIULIA)) for c in s.cards]
    assert review and review[-1]["body"][0]["text"] == "Review · #1 · IN REVIEW"

    with_marco = await click(client, connector, MARCO, "activity.approve", {"activity": 1})
    assert with_marco == "Only the Team Leader reviews activities (handbook: assigned for review to the Team Leader)"
    approved = await click(client, connector, GIULIA, "activity.approve", {"activity": 1})
    assert "Review · #1 · DONE" in texts_of(approved)
    await settle(client)
    assert issue.state == "closed" and "status::done" in issue.labels
    assert any("Giulia Rossi approved #1" in s.text for s in connector.in_conversation(chat_of(MARCO)))


async def test_a_second_activity_asks_to_park_the_first(
    client: BotClient, connector: FakeConnector, gitlab: FakeGitLab
) -> None:
    for title in ("First", "Second"):
        await click(client, connector, MARCO, "activity.create", NEW_ACTIVITY | {"title": title})
    await settle(client)
    issues = {issue.title: issue for issue in gitlab.project(PROJECT).issues}  # filed concurrently: any order
    first, second = issues["First"], issues["Second"]
    await type_(client, connector, MARCO, f"activity start #{first.iid}")
    question = await type_(client, connector, MARCO, f"activity start #{second.iid}")
    assert f"Park #{first.iid} and start #{second.iid} Second?" in texts_of(question.cards[0])

    park = next(a for a in question.cards[0]["actions"] if a["title"].startswith("Park"))
    card = await click(client, connector, MARCO, "activity.start", park["data"])
    assert f"Activity · #{second.iid} · IN PROGRESS" in texts_of(card)
    await settle(client)
    assert "status::todo" in first.labels and "status::wip" in second.labels
    assert any(f"Parked by Marco Bianchi to start #{second.iid}" in n.body for n in first.notes)


# --- the webhook -------------------------------------------------------------------------------


def fixture(name: str, **replace: str) -> dict[str, Any]:
    text = (FIXTURES / name).read_text()
    for old, new in replace.items():
        text = text.replace(old, new)
    data: dict[str, Any] = json.loads(text)
    return data


async def hook(client: BotClient, event: str, body: dict[str, Any], token: str = WEBHOOK_TOKEN) -> Any:
    return await client.post(
        "/api/gitlab/webhook", json=body, headers={"X-Gitlab-Token": token, "X-Gitlab-Event": event}
    )


async def test_the_webhook_needs_the_token_and_ignores_events_it_does_not_use(client: BotClient) -> None:
    wrong = await hook(client, "Note Hook", fixture("note_hook.json"), token="guess")
    assert wrong.status == 401 and await wrong.json() == {"error": "unauthorized: wrong X-Gitlab-Token"}
    pipeline = await hook(client, "Pipeline Hook", {"object_kind": "pipeline"})
    assert pipeline.status == 200 and (await pipeline.json())["ignored"] == "event 'Pipeline Hook' is not used"
    unknown = await client.post(
        "/api/gitlab/webhook",
        data=b"\x00not json",
        headers={"X-Gitlab-Token": WEBHOOK_TOKEN, "X-Gitlab-Event": "Job Hook"},
    )
    assert unknown.status == 200
    broken = await hook(client, "Issue Hook", {"object_kind": "issue"})
    assert broken.status == 400 and await broken.json() == {"error": "missing object_attributes"}


async def test_feedback_written_on_gitlab_counts_and_work_started_there_asks_which_one(
    client: BotClient, connector: FakeConnector
) -> None:
    await click(client, connector, MARCO, "activity.create", NEW_ACTIVITY | {"title": "First"})
    await settle(client)
    await click(client, connector, MARCO, "activity.create", NEW_ACTIVITY | {"title": "Second"})
    await settle(client)
    await type_(client, connector, MARCO, "activity start #1")

    note = fixture("note_hook.json", **{"gitlabhq/gitlab-test": PROJECT})
    response = await hook(client, "Note Hook", note)
    assert response.status == 200
    async with runtime_of(client).uow.reader() as uow:
        first = await SqlActivities(uow.session).by_issue(PROJECT, 1)
    assert first is not None and first.last_feedback_at == datetime(2026, 11, 30, 9, 6, 40, tzinfo=UTC)

    issue = fixture("issue_hook.json", **{"gitlabhq/gitlab-test": PROJECT})
    response = await hook(client, "Issue Hook", issue)
    assert response.status == 200
    await settle(client)
    asked = [c for c in connector.cards() if c["body"][0]["text"] == "One activity at a time"]
    assert asked and "Park #1 and start #2" in texts_of(asked[-1])


async def test_a_missed_webhook_is_caught_by_the_reconcile_and_an_imported_issue_names_its_gaps(
    client: BotClient, connector: FakeConnector, gitlab: FakeGitLab
) -> None:
    runtime = runtime_of(client)
    await click(client, connector, MARCO, "activity.create", NEW_ACTIVITY)
    await settle(client)
    await type_(client, connector, MARCO, "activity start #1")
    await settle(client)

    # Closed on GitLab's web UI while the webhook was down: the leader's reconcile notices.
    [issue] = gitlab.project(PROJECT).issues
    issue.state = "closed"
    gitlab.add_note(issue, "Finished over the weekend", author="mbianchi")
    await runtime.scheduler.run_job_now("activities-reconcile")
    await settle(client)
    async with runtime.uow.reader() as uow:
        first = await SqlActivities(uow.session).by_issue(PROJECT, 1)
    assert first is not None and first.status.value == "done"

    # A hand-written issue adopted with /activity import: the missing template sections are named.
    project = gitlab.project(PROJECT)
    project.issues.append(
        FakeIssue(2, "Fix the backups", "Nightly backups fail.\n\n## Tasks\n- [ ] check cron\n", ["backup"], [21], None)
    )
    answer = await type_(client, connector, MARCO, f"activity import {gitlab.url}/{PROJECT}/-/issues/2")
    assert (
        answer.text == f"Reading {PROJECT}#2 from GitLab; I'll tell you what its description lacks from the template."
    )
    await settle(client)
    told = [s.text for s in connector.in_conversation(chat_of(MARCO)) if "Imported #2" in s.text]
    assert told == [
        "Imported #2 Fix the backups. Missing from the template: Description; Deadline; Definition of done. "
        "Add them on GitLab."
    ]
    assert project.issues[1].labels == ["backup", "activity", "status::todo"]


async def test_a_standup_answer_can_also_be_the_day_s_feedback_note(
    client: BotClient, connector: FakeConnector, gitlab: FakeGitLab
) -> None:
    runtime = runtime_of(client)
    desk = ActivityDesk(
        runtime.uow, runtime.clock, TeamsActivityNotifier(TeamsNotifier(Messenger(), runtime.clock)), True
    )
    assert await desk.feedback_from_standup("shop", "marco", "nothing in progress yet") is None
    await click(client, connector, MARCO, "activity.create", NEW_ACTIVITY)
    await settle(client)
    await type_(client, connector, MARCO, "activity start #1")
    saved = await desk.feedback_from_standup("shop", "marco", "upgrading staging today")
    assert saved is not None and saved.posted and saved.activity.last_feedback == "upgrading staging today"
    again = await desk.feedback_from_standup("shop", "marco", "edited: upgrading staging and prod")
    assert again is not None and not again.posted  # one stand-up note a day, however often it is edited
    summary = await desk.wip_summary("shop", "marco")
    assert summary is not None and (summary.ref, summary.last_feedback) == ("#1", "upgrading staging today")
    await settle(client)
    [issue] = gitlab.project(PROJECT).issues
    assert [n.body.splitlines()[2] for n in issue.notes if not n.system] == ["**Done:** upgrading staging today"]


async def test_a_merge_request_that_closes_an_activity_gets_its_labels(
    client: BotClient, connector: FakeConnector, gitlab: FakeGitLab
) -> None:
    await click(client, connector, MARCO, "activity.create", NEW_ACTIVITY)
    await settle(client)
    await type_(client, connector, MARCO, "activity start #1")
    project = gitlab.project(PROJECT)
    project.branches["1-upgrade-the-ingress-controller"] = "main"
    project.merge_requests.append(
        FakeMergeRequest(1, "1-upgrade-the-ingress-controller", "main", "Upgrade", "Closes #1", [], 21)
    )
    response = await hook(
        client, "Merge Request Hook", fixture("merge_request_hook.json", **{"gitlabhq/gitlab-test": PROJECT})
    )
    assert response.status == 200
    await settle(client)
    assert project.merge_requests[0].labels == ["activity", "ingress", "status::wip"]


async def test_a_form_with_mistakes_comes_back_with_what_to_fix_and_what_was_typed(
    client: BotClient, connector: FakeConnector, gitlab: FakeGitLab
) -> None:
    form = await click(client, connector, MARCO, "activity.create", NEW_ACTIVITY | {"tasks": "", "deadline": "11/12"})
    assert "`11/12` is not a date; pick one or type YYYY-MM-DD" in texts_of(form)
    title = next(e for e in form["body"] if e.get("id") == "title")
    assert title["value"] == "Upgrade the ingress controller"
    form = await click(client, connector, MARCO, "activity.create", NEW_ACTIVITY | {"tasks": " \n "})
    assert "The template needs at least one task (one per line)" in texts_of(form)
    await settle(client)
    assert gitlab.project(PROJECT).issues == []
    stranger = await type_(client, connector, "29:someone-else", "activity")
    assert stranger.text == "Activities are for circle members; ask your Team Leader to add you to circles.yaml"
