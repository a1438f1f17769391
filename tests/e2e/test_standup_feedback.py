"""One place to type (issues #13 and #14 item 8): the stand-up's "today" answer may also be the day's feedback
note on the WIP activity, posted once, and then the evening feedback request is not sent. A member away
with `/ooo` is not asked for feedback at all. Over /api/messages, with the fake GitLab."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.card_schema import assert_valid_card
from tests.e2e.test_activity_flow import (
    CIRCLE,
    MARCO,
    NEW_ACTIVITY,
    PROJECT,
    activity_bot,
    click,
    clock_of,
    runtime_of,
    settle,
    texts_of,
    type_,
)
from tests.support.bot_app import BotClient
from tests.support.fake_connector import FakeConnector
from tests.support.fake_gitlab import FakeGitLab, FakeIssue

WITH_STANDUP = CIRCLE + "    standup: {}\n"  # 09:30 Rome, answers count until 12:30


@pytest.fixture
async def gitlab() -> AsyncIterator[FakeGitLab]:
    async with FakeGitLab(projects=(PROJECT,)) as fake:
        yield fake


@pytest.fixture
async def client(tmp_path: Path, connector: FakeConnector, gitlab: FakeGitLab) -> AsyncIterator[BotClient]:
    async with activity_bot(tmp_path, connector, gitlab, WITH_STANDUP) as test_client:
        yield test_client


async def started_activity(client: BotClient, connector: FakeConnector, gitlab: FakeGitLab) -> FakeIssue:
    await click(client, connector, MARCO, "activity.create", NEW_ACTIVITY)
    await settle(client)
    await type_(client, connector, MARCO, "activity start #1")
    await settle(client)
    [issue] = gitlab.project(PROJECT).issues
    return issue


def feedback_notes(issue: FakeIssue) -> list[str]:
    return [n.body for n in issue.notes if not n.system and "Daily feedback" in n.body]


async def at_feedback_time(client: BotClient, connector: FakeConnector, moment: datetime) -> list[str]:
    """Plan and fire the day's feedback requests; the headers of the feedback cards that went out."""
    before = len(connector.sent)
    clock_of(client).set(moment)
    await runtime_of(client).planner.plan()
    await runtime_of(client).timers.tick()
    await settle(client)
    return [c["body"][0]["text"] for s in connector.sent[before:] for c in s.cards if "Daily feedback" in texts_of(c)]


async def test_the_stand_up_answer_is_also_the_day_s_feedback_note_once_and_the_evening_request_is_skipped(
    client: BotClient, connector: FakeConnector, gitlab: FakeGitLab
) -> None:
    issue = await started_activity(client, connector, gitlab)

    prompt = (await type_(client, connector, MARCO, "standup")).cards[0]
    assert_valid_card(prompt)
    [toggle] = [e for e in prompt["body"] if e["type"] == "Input.Toggle"]
    assert toggle["title"] == "Also post as today's feedback on #1" and toggle["value"] == "true"  # on by default

    send = prompt["actions"][0]
    answer = send["data"] | {"yesterday": "", "today": "upgrade staging to 1.11", "blockers": "", "as_feedback": "true"}
    answered = await click(client, connector, MARCO, send["verb"], answer)
    assert_valid_card(answered)
    assert "Also posted as today's feedback on #1." in texts_of(answered)
    await settle(client)
    [note] = feedback_notes(issue)
    assert "**Done:** upgrade staging to 1.11" in note

    # Saving the answer again (an edit, a double click) posts no second note for the day.
    again = await click(client, connector, MARCO, send["verb"], answer | {"today": "upgrade staging, then prod"})
    assert "#1 already has today's feedback, so nothing more was posted." in texts_of(again)
    await settle(client)
    assert len(feedback_notes(issue)) == 1

    # 17:30 in Rome: the feedback of the day is in, so no request comes.
    assert await at_feedback_time(client, connector, datetime(2026, 11, 30, 16, 30, tzinfo=UTC)) == []


async def test_with_the_toggle_off_nothing_is_posted_and_the_evening_request_comes(
    client: BotClient, connector: FakeConnector, gitlab: FakeGitLab
) -> None:
    issue = await started_activity(client, connector, gitlab)
    prompt = (await type_(client, connector, MARCO, "standup")).cards[0]
    send = prompt["actions"][0]
    answered = await click(
        client, connector, MARCO, send["verb"], send["data"] | {"today": "upgrade staging", "as_feedback": "false"}
    )
    assert "feedback" not in texts_of(answered).lower()
    await settle(client)
    assert feedback_notes(issue) == []
    sent = await at_feedback_time(client, connector, datetime(2026, 11, 30, 16, 30, tzinfo=UTC))
    assert sent and sent[0].startswith("Daily feedback · #1")


async def test_a_member_away_with_ooo_is_not_asked_for_feedback(
    client: BotClient, connector: FakeConnector, gitlab: FakeGitLab
) -> None:
    await started_activity(client, connector, gitlab)
    away = await type_(client, connector, MARCO, "ooo 1d sick")
    assert away.text.startswith("Away from 2026-11-30")
    assert await at_feedback_time(client, connector, datetime(2026, 11, 30, 16, 30, tzinfo=UTC)) == []
    # Back on Tuesday: asked again at 17:30.
    assert await at_feedback_time(client, connector, datetime(2026, 12, 1, 16, 30, tzinfo=UTC))
