"""The declaration form as a person sees it in the playground's web UI (headless Chromium): its
service choice is there, empty until chosen, and declaring with it links the incident.

Screenshots of the form and of the card it declared are kept in test-artifacts/.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.playground.harness import REPO_ROOT, BrowserPage, Playground, chromium_binary, skip_reason
from tests.playground.test_incident_deadline_in_browser import assert_a_real_picture, card_of, facts
from tests.support.circlebot_server import example_app, serving

pytestmark = [
    pytest.mark.playground,
    pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or ""),
    pytest.mark.skipif(chromium_binary() is None, reason="chromium not installed (apt-get install chromium)"),
]

FORM = REPO_ROOT / "test-artifacts" / "declare-form.png"
DECLARED = REPO_ROOT / "test-artifacts" / "declared-with-service.png"


@pytest.fixture
async def circlebot(tmp_path: Path) -> AsyncIterator[str]:
    async with serving(example_app(tmp_path)) as url:
        yield url


async def test_the_form_offers_the_circles_services_and_declaring_with_one_links_it(circlebot: str) -> None:
    async with Playground(f"{circlebot}/api/messages") as playground, BrowserPage(playground.base_url) as browser:
        await playground.install_bot()
        await browser.devtools.wait_for_text("Show commands", 30)
        await browser.click_text("General")
        await browser.devtools.wait_for_text("Start a new post", 30)
        await browser.post_in_channel("/incident")  # typed, as a person does
        await browser.screenshot(FORM, showing="Declare an incident")
        assert_a_real_picture(FORM)
        # The service dropdown shows its placeholder, not a service picked for the person.
        picked = await browser.devtools.evaluate(
            "[...document.querySelectorAll('[role=combobox][placeholder=\"Not sure (optional)\"]')].map(e => e.value)"
        )
        assert picked == [""]

        form = await playground.wait_for_bot_card("Declare an incident")
        thread = next(e["actionConversationId"] for e in playground.events if e.get("message") == form)
        status, body = await playground.invoke_action(
            thread,
            form["messageId"],
            {"title": "Checkout returns 500", "severity": "P2", "service": "checkout"},
            verb="incident.declare",
        )
        assert status == 200, body
        card = card_of(await playground.wait_for_bot_card("INC-1 · P2 · DECLARED"))
        assert facts(card)["Service"] == "checkout"
        await browser.devtools.wait_for_text("INC-1 · P2 · DECLARED", 30)
        await browser.devtools.evaluate(  # the card is posted below the form: bring it into view
            "[...document.querySelectorAll('body *')].filter(e => e.children.length === 0"
            " && e.textContent.trim() === 'INC-1 · P2 · DECLARED')[0].scrollIntoView({block: 'start'})"
        )
        await browser.screenshot(DECLARED, showing="INC-1 · P2 · DECLARED")
        assert_a_real_picture(DECLARED)
