"""Runbooks and drills in Microsoft's Teams emulator, against a local GitLab: the issue's "Done when".

`/runbook checkout` shows the card with the live escalation path; the runbook check finds a missing
section and a stale runbook in the DevOps repository; a drill is taken and graded, and its gap becomes
a GitLab issue.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from adapters.circles_file import load_circles
from adapters.settings import load_settings
from app import create_app
from domain.runbooks.escalation import live_escalation
from tests.playground.conftest import EXAMPLE_CIRCLES
from tests.playground.harness import GENERAL_CHANNEL_ID, Playground, free_port
from tests.playground.test_activities_in_playground import cards_of, eventually, shown
from tests.support.fake_gitlab import FakeGitLab
from tests.support.runbooks import QUESTION_BANK, RUNBOOK_CATALOG, RUNBOOK_CHECKOUT

pytestmark = pytest.mark.playground

DOCS = "acme.shop.DevOps"  # the example circle's docs_repo
GIULIA, MARCO = 0, 1


@pytest.fixture
async def gitlab() -> AsyncIterator[FakeGitLab]:
    async with FakeGitLab(projects=(DOCS,)) as fake:
        now = datetime.now(UTC)
        fake.commit_file("runbooks/checkout.md", RUNBOOK_CHECKOUT, at=now - timedelta(days=3), project=DOCS)
        fake.commit_file("runbooks/catalog.md", RUNBOOK_CATALOG, at=now - timedelta(days=200), project=DOCS)
        fake.commit_file("internal-tests/process.yaml", QUESTION_BANK, at=now, project=DOCS)
        yield fake


@pytest.fixture
async def playground(playground_needed: None, tmp_path: Path, gitlab: FakeGitLab) -> AsyncIterator[Playground]:
    settings = load_settings(
        DATABASE_URL=f"sqlite:///{tmp_path / 'circlebot.db'}",
        CIRCLEBOT_CONFIG=str(EXAMPLE_CIRCLES),
        CIRCLEBOT_TICK_SECONDS=0.2,
        GITLAB_URL=gitlab.url,
        GITLAB_TOKEN=gitlab.token,
        _env_file=None,
    )
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with Playground(f"http://127.0.0.1:{port}/api/messages") as running:
            await running.install_bot()
            yield running
    finally:
        await runner.cleanup()


def channel_card(playground: Playground, text: str) -> dict[str, Any] | None:
    return next((m for m in playground.bot_messages(GENERAL_CHANNEL_ID) if text in shown(cards_of(m))), None)


async def test_runbook_checkout_shows_the_card_with_who_is_on_call_right_now(playground: Playground) -> None:
    thread = await playground.send_channel_message("/runbook checkout CheckoutHighErrorRate", user=MARCO)
    [message] = await playground.wait_for_bot_messages(thread, 1)
    card = shown(cards_of(message))
    assert "Runbook · checkout" in card and "Takes the shop's payments" in card
    circle = load_circles(EXAMPLE_CIRCLES).circles[0]
    primary, *_ = live_escalation(circle, datetime.now(UTC))
    assert primary.person is not None
    assert f"{primary.person.display_name}, {primary.person.phone} (at once)" in card
    assert "customers cannot pay" in card


async def test_the_runbook_check_finds_the_missing_section_and_the_stale_runbook(playground: Playground) -> None:
    thread = await playground.send_channel_message("/runbook check", user=GIULIA)
    answers = await playground.wait_for_bot_messages(thread, 2, within=20)
    assert (answers[-1].get("text") or "").startswith("Done: 1 of 2 runbooks need attention")
    # Giulia has no personal chat with the bot in the playground: her summary comes to the channel.
    summary = await eventually(lambda: channel_card(playground, "Runbook check · demo"), "the check summary")
    text = shown(cards_of(summary))
    assert "missing or empty sections: Alerts, Doc" in text
    assert "no commit for 200 days" in text


async def test_a_drill_is_taken_and_graded_and_its_gap_becomes_an_issue(
    playground: Playground, gitlab: FakeGitLab
) -> None:
    thread = await playground.send_channel_message("/drill start marco process 2", user=GIULIA)
    [started] = await playground.wait_for_bot_messages(thread, 1, within=20)
    assert (started.get("text") or "").startswith("Drill #1 sent to Marco Bianchi: 2 questions")
    for number in (1, 2):
        question = await eventually(
            lambda n=number: channel_card(playground, f"Question {n} of 2 · process"), f"question {number}"
        )
        [card] = cards_of(question)
        choices = next(b for b in card["body"] if b["type"] == "Input.ChoiceSet")["choices"]
        wrong = next(c["value"] for c in choices if c["value"] not in ("the secondary on-call", "5m", "The on-call"))
        where = question.get("postConversationId") or GENERAL_CHANNEL_ID
        status, body = await playground.invoke_action(
            where, question["messageId"], {**card["actions"][0]["data"], "answer": wrong}, verb="drill.answer",
            user=MARCO,
        )  # fmt: skip
        assert status == 200 and "Not quite" in shown(body["value"]), body
    results = await eventually(lambda: channel_card(playground, "Drill #1 results"), "the results")
    assert "0 of 2" in shown(cards_of(results))

    review_thread = await playground.send_channel_message("/drill review", user=GIULIA)
    [review] = await playground.wait_for_bot_messages(review_thread, 1)
    [card] = cards_of(review)
    status, body = await playground.invoke_action(
        review_thread, review["messageId"], {}, verb="drill.file_gaps", user=GIULIA
    )
    assert status == 200 and "2 gaps filed as GitLab issues" in shown(body["value"]), body
    project = gitlab.project(DOCS)
    await eventually(lambda: True if len(project.issues) == 2 else None, "two drill-gap issues")
    assert all("drill-gap" in issue.labels for issue in project.issues)
