"""The playground web UI renders in headless Chromium (screenshot kept under test-artifacts/)."""

from __future__ import annotations

import pytest
from PIL import Image

from tests.playground.harness import REPO_ROOT, Playground, chromium_binary, screenshot, skip_reason

pytestmark = [
    pytest.mark.playground,
    pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or ""),
    pytest.mark.skipif(chromium_binary() is None, reason="chromium not installed (apt-get install chromium)"),
]

ARTIFACT = REPO_ROOT / "test-artifacts" / "playground-ui.png"


async def test_the_playground_ui_renders_with_circlebot_behind_it(playground: Playground) -> None:
    """The UI a newcomer opens after `make run` loads; the screenshot is a non-blank 1280x800 image."""
    await playground.send_channel_message("help")
    await screenshot(playground.base_url, ARTIFACT, budget_ms=5000)
    with Image.open(ARTIFACT) as img:
        assert img.size == (1280, 800)
        assert len(img.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 50
