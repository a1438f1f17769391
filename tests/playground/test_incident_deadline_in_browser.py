"""A P1 left unacknowledged, seen in the playground's web UI in headless Chromium (issue #12).

The card is a snapshot, so when the acknowledge deadline passes the bot must redraw it in place:
the header turns to ACK OVERDUE and the deadline reads as an absolute time in the circle's zone.
Screenshots of the card before and after the breach are kept in test-artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from domain.local_time import format_when, zone_named
from tests.playground.harness import (
    REPO_ROOT,
    BrowserPage,
    Playground,
    chromium_binary,
    skip_reason,
)
from tests.support.circlebot_server import example_app, serving

pytestmark = [
    pytest.mark.playground,
    pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or ""),
    pytest.mark.skipif(chromium_binary() is None, reason="chromium not installed (apt-get install chromium)"),
]

CARD = "application/vnd.microsoft.card.adaptive"
BEFORE = REPO_ROOT / "test-artifacts" / "incident-card-before-ack-deadline.png"
AFTER = REPO_ROOT / "test-artifacts" / "incident-card-after-ack-deadline.png"
ROME = zone_named("Europe/Rome")  # the example circle's zone


class MovedClock:
    """The wall clock plus an offset the test moves forward: the playground keeps real timestamps."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
async def moved_clock() -> MovedClock:
    return MovedClock()


@pytest.fixture
async def circlebot_on_moved_clock(tmp_path: Path, moved_clock: MovedClock) -> AsyncIterator[str]:
    async with serving(example_app(tmp_path, clock=moved_clock)) as url:
        yield url


def card_of(message: dict[str, Any]) -> dict[str, Any]:
    [card] = [a["content"] for a in message.get("attachments") or [] if a.get("contentType") == CARD]
    return dict(card)


def facts(card: dict[str, Any]) -> dict[str, str]:
    return {f["title"]: f["value"] for e in card["body"] if e["type"] == "FactSet" for f in e["facts"]}


def assert_a_real_picture(out: Path) -> None:
    with Image.open(out) as img:
        assert img.size == (1280, 800)
        assert len(img.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 50


async def test_an_unacknowledged_p1_card_turns_ack_overdue_when_its_deadline_passes(
    circlebot_on_moved_clock: str, moved_clock: MovedClock
) -> None:
    async with (
        Playground(f"{circlebot_on_moved_clock}/api/messages") as playground,
        BrowserPage(playground.base_url) as browser,
    ):
        await playground.install_bot()
        # Opening the UI greets its personal chat first; then switch to the channel of the incident.
        await browser.devtools.wait_for_text("Show commands", 30)
        await browser.click_text("General")
        await browser.devtools.wait_for_text("Start a new post", 30)
        await browser.post_in_channel("/incident P1 Checkout API returns 500")  # typed, as a person does
        declared_at = moved_clock.now()
        live = await playground.wait_for_bot_card("INC-1 · P1 · DECLARED")
        card = card_of(live)
        deadline = declared_at + timedelta(minutes=5)
        ack_by = format_when(deadline, ROME, declared_at)  # with its day when that is tomorrow (23:55)
        assert card["body"][0]["text"] == "INC-1 · P1 · DECLARED"
        assert re.fullmatch(rf"by {ack_by} \(in [45]m\)", facts(card)["Acknowledge"])
        assert facts(card)["Jira"] == "not configured"
        await browser.screenshot(BEFORE, showing="INC-1 · P1 · DECLARED")
        assert_a_real_picture(BEFORE)

        moved_clock.offset = timedelta(minutes=6)  # nobody acknowledged: the deadline passes
        updated = await playground.wait_for_update(live["messageId"], within=20)

        overdue = card_of(updated)
        assert overdue["body"][0]["text"] == "INC-1 · P1 · ACK OVERDUE"
        assert overdue["body"][0]["color"] == "attention"
        overdue_since = format_when(deadline, ROME, moved_clock.now())
        assert facts(overdue)["Acknowledge"].startswith(f"OVERDUE since {overdue_since}")
        assert "overdue by 0s" not in str(overdue)
        await browser.screenshot(AFTER, showing="ACK OVERDUE")
        assert_a_real_picture(AFTER)
