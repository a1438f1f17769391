"""Activities in Microsoft's Teams emulator, against a local GitLab: what the handbook's "Done when" asks.

A member defines an activity with the form, starts it, answers the feedback card (the note appears on
the GitLab issue), sends it to review; the Team Leader approves it from the review card.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.playground.harness import GENERAL_CHANNEL_ID, Playground
from tests.support.circlebot_server import example_app, serving
from tests.support.fake_gitlab import FakeGitLab

pytestmark = pytest.mark.playground

CARD = "application/vnd.microsoft.card.adaptive"
PROJECT = "acme/shop-activities"  # the example circle's gitlab_activity_project
GIULIA, MARCO = 0, 1  # the example circle's Team Leader and an SRE, as playground users
T = TypeVar("T")


@pytest.fixture
async def gitlab() -> AsyncIterator[FakeGitLab]:
    async with FakeGitLab(projects=(PROJECT, "sre/internal")) as fake:
        yield fake


@pytest.fixture
async def playground_with_gitlab(
    playground_needed: None, tmp_path: Path, gitlab: FakeGitLab
) -> AsyncIterator[Playground]:
    app = example_app(tmp_path, GITLAB_URL=gitlab.url, GITLAB_TOKEN=gitlab.token)
    async with serving(app) as url, Playground(f"{url}/api/messages") as running:
        yield running


def cards_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [a["content"] for a in message.get("attachments") or [] if a.get("contentType") == CARD]


def shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


async def eventually(check: Callable[[], T | None], what: str, within: float = 15.0) -> T:
    """Poll `check` while the bot's relay and tick work in the background."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + within
    while True:
        result = check()
        if result is not None:
            return result
        if loop.time() > give_up:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def test_a_member_creates_starts_gives_feedback_and_sends_to_review_and_the_team_leader_approves(
    playground_with_gitlab: Playground, gitlab: FakeGitLab
) -> None:
    playground = playground_with_gitlab
    await playground.install_bot()
    thread = await playground.send_channel_message("/activity new", user=MARCO)
    [form_message] = await playground.wait_for_bot_messages(thread, 1)
    [form] = cards_of(form_message)
    assert form["actions"][0]["verb"] == "activity.create"

    status, body = await playground.invoke_action(
        thread,
        form_message["messageId"],
        {
            **form["actions"][0]["data"],
            "title": "Upgrade the ingress controller",
            "description": "From 1.9 to 1.11",
            "tasks": "Read the changelog\nUpgrade staging",
            "deadline": "2099-12-11",
            "done": "Production on 1.11",
            "repository": "customer",
            "labels": "",
        },
        verb="activity.create",
        user=MARCO,
    )
    assert status == 200, body
    assert "Saved." in shown(body["value"])
    project = gitlab.project(PROJECT)
    issue = await eventually(lambda: project.issues[0] if project.issues else None, "the GitLab issue")
    assert issue.labels == ["activity", "status::todo"] and issue.assignee_ids == [21]
    # GitLab answers before the bot has recorded the issue's number; until then `/activity start #1` says
    # "No open activity #1" (what a member typing faster than the card refresh would read), so ask again.
    loop = asyncio.get_running_loop()
    give_up = loop.time() + 15
    while True:
        started = await playground.send_channel_message("/activity start #1", user=MARCO)
        [answer] = await playground.wait_for_bot_messages(started, 1)
        if not (answer.get("text") or "").startswith("No open activity #1") or loop.time() > give_up:
            break
        await asyncio.sleep(0.5)
    assert (answer.get("text") or "").startswith("#1 is in progress")
    await eventually(lambda: True if "status::wip" in issue.labels else None, "status::wip on the issue")

    status, body = await playground.invoke_action(
        thread, form_message["messageId"], {"activity": 1}, verb="activity.feedback.open", user=MARCO
    )
    assert status == 200 and body["value"]["body"][0]["text"].startswith("Daily feedback · #1"), body
    status, body = await playground.invoke_action(
        thread,
        form_message["messageId"],
        {"activity": 1, "done": "Changelog read; staging plan ready", "ticked": "Read the changelog"},
        verb="activity.feedback",
        user=MARCO,
    )
    assert status == 200, body
    note = await eventually(
        lambda: next((n for n in issue.notes if "Changelog read; staging plan ready" in n.body), None), "the note"
    )
    assert note.author == "circlebot" and not note.system

    status, body = await playground.invoke_action(
        thread,
        form_message["messageId"],
        {"activity": 1, "reason": "production waits for the customer's window"},
        verb="activity.ready",
        user=MARCO,
    )
    assert status == 200 and "IN REVIEW" in shown(body["value"]), body
    await eventually(lambda: True if "status::review" in issue.labels else None, "status::review")

    # Giulia has no personal chat with the bot in the playground: her review card comes to the channel.
    review = await eventually(
        lambda: next(
            (m for m in playground.bot_messages(GENERAL_CHANNEL_ID) if "Review · #1" in shown(cards_of(m))), None
        ),
        "the review card",
    )
    [card] = cards_of(review)
    approve = next(a for a in card["actions"] if a["verb"] == "activity.approve")
    where = review.get("postConversationId") or GENERAL_CHANNEL_ID
    status, body = await playground.invoke_action(
        where, review["messageId"], approve["data"], verb="activity.approve", user=GIULIA
    )
    assert status == 200 and "Review · #1 · DONE" in shown(body["value"]), body
    await eventually(lambda: True if issue.state == "closed" else None, "the issue closed")
    assert "status::done" in issue.labels
