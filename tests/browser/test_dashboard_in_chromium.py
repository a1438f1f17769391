"""The dashboard in headless Chromium: every chart drawn with its data, no console errors, and
screenshots in Teams' light and dark themes kept in test-artifacts/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from adapters.circles_file import load_circles
from adapters.reports.links import LinkSigner
from adapters.runtime import RUNTIME
from adapters.settings import load_settings
from app import create_app
from domain.clock import FixedClock
from storage import migrate
from tests.browser.cdp import Page, headless_page
from tests.conftest import EXAMPLE_CIRCLES, START
from tests.playground.harness import REPO_ROOT, chromium_binary
from tests.support.report_seed import seed_standups, seed_weeks

pytestmark = pytest.mark.skipif(chromium_binary() is None, reason="chromium not installed (apt-get install chromium)")

ARTIFACTS = REPO_ROOT / "test-artifacts"
SECRET = "browser-test-link-secret-32-chars"
# What each chart must draw when it has data: its data marks.
MARKS = {
    "mtta": "path.line", "mttr": "path.line", "incidents": "rect.bar", "breaches": "rect.bar",
    "load": "rect.heat:not(.h0)", "actions": "path.line",
}  # fmt: skip


@pytest.fixture
async def dashboard(tmp_path: Path) -> AsyncIterator[str]:
    """The bot on a real port with twelve weeks of the example circle; the URL of a signed dashboard link."""
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    migrate.upgrade(url)
    settings = load_settings(DATABASE_URL=url, _env_file=None, MicrosoftAppId="11111111-2222-3333-4444-555555555555",
                             MicrosoftAppPassword="pw", CIRCLEBOT_LINK_SECRET=SECRET)  # fmt: skip
    app = create_app(settings, clock=FixedClock(START), background=False)
    async with TestServer(app, host="127.0.0.1") as server:
        runtime = app[RUNTIME]
        async with runtime.uow() as uow:
            await uow.circles.apply(load_circles(EXAMPLE_CIRCLES), START)
            await uow.commit()
        assert await seed_weeks(runtime.uow, START) > 20
        assert await seed_standups(runtime.uow, START) > 20
        query = LinkSigner(SECRET.encode()).query("demo", "month", START)
        yield str(server.make_url(f"/tabs/dashboard?{query}"))


async def charts_drawn(page: Page) -> dict[str, int]:
    return dict(
        await page.evaluate(
            "Object.entries(" + str(MARKS).replace("'", '"') + ").map(([key, mark]) => [key, "
            "document.querySelectorAll(`figure[data-chart='${key}'] svg ${mark}`).length])"
        )
    )


@pytest.mark.parametrize("theme", ["default", "dark", "contrast"])
async def test_every_chart_renders_with_its_data_in_each_teams_theme(dashboard: str, theme: str) -> None:
    async with headless_page() as page:
        await page.open(f"{dashboard}&theme={theme}")

        drawn = await charts_drawn(page)
        assert all(drawn[key] > 0 for key in MARKS), drawn
        assert await page.evaluate("document.querySelectorAll('figure.chart').length") == len(MARKS)
        # Every chart has a text alternative and its data as a table.
        alts = await page.evaluate("[...document.querySelectorAll('figure.chart p.alt')].map(p => p.textContent)")
        assert len(alts) == len(MARKS) and all(len(alt) > 20 for alt in alts)
        labelled = "[...document.querySelectorAll('svg[role=img]')].every(s => s.getAttribute('aria-labelledby'))"
        assert await page.evaluate(labelled)
        rows = await page.evaluate("[...document.querySelectorAll('figure.chart tbody')].map(t => t.rows.length)")
        assert all(count > 0 for count in rows)
        # Stand-ups and activities, member by member: a table with its text alternative.
        teamwork = await page.evaluate("document.querySelectorAll('section.teamwork tbody tr').length")
        assert teamwork == 4
        alt = await page.evaluate("document.querySelector('section.teamwork p.alt').textContent")
        assert "stand-ups answered" in alt and "%" in alt
        background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert (
            background
            == {"default": "rgb(255, 255, 255)", "dark": "rgb(31, 31, 31)", "contrast": "rgb(0, 0, 0)"}[theme]
        )
        assert page.errors == []
        name = {"default": "light", "dark": "dark", "contrast": "high-contrast"}[theme]
        await page.screenshot(ARTIFACTS / f"dashboard-{name}.png")
    assert (ARTIFACTS / f"dashboard-{name}.png").stat().st_size > 20_000
