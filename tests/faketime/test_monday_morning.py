"""The real `circlebot serve` under libfaketime, fast-forwarded through a Monday morning.

A deploy lands at 08:55 (Rome) on Monday 7 December 2026, five minutes before the example
circle's shift change; every member has said hi to the bot privately. Without a plan at
start-up nothing happened at 09:00 (issue #18). Now: the 08:00 reminder missed by the restart
still goes out (marked late), the 09:00 handover happens once and on time, the incoming
engineers are reminded when they do not accept, and then the Team Leader is told.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import EXAMPLE_CIRCLES
from tests.support.activities import TENANT_ID, personal_message
from tests.support.bot_app import bot_client, post_activity
from tests.support.fake_connector import FakeConnector, Sent

# The bot's clock runs this many times faster than the wall clock: 26 minutes take about 40 seconds.
SPEED = 40
START_UTC = "2026-12-07 07:55:00"  # 08:55 in Rome
REPO_ROOT = Path(__file__).resolve().parents[2]
# The example circle's members as Teams knows them (circles.example.yaml).
EVERYONE = {
    "giulia": ("user-id-0", "Giulia Rossi"),
    "marco": ("user-id-1", "Marco Bianchi"),
    "luca": ("user-id-2", "Luca Ferrari"),
    "sara": ("user-id-3", "Sara Romano"),
    "paolo": ("user-id-4", "Paolo Colombo"),
    "elena": ("user-id-5", "Elena Ricci"),
}
WAIT_SECONDS = 120.0  # wall-clock seconds: generous for a loaded CI machine


def faketime_binary() -> str:
    found = shutil.which("faketime")
    if found:
        return found
    reason = "needs libfaketime's `faketime` (Debian package faketime; `make test` installs it as root)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but the fast-forwarded serve test cannot run: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Chats:
    """What the bot sent into each member's 1:1 chat."""

    connector: FakeConnector

    def to(self, handle: str) -> list[Sent]:
        return self.connector.in_conversation(f"a:chat-with-{handle}")

    def texts_to(self, handle: str) -> list[str]:
        return [sent.text for sent in self.to(handle) if sent.text]

    def card_titles_to(self, handle: str) -> list[str]:
        return [card["body"][0]["text"] for sent in self.to(handle) for card in sent.cards]

    def cards_to(self, handle: str) -> list[dict[str, object]]:
        return [card for sent in self.to(handle) for card in sent.cards]


@pytest.fixture
def circles_file(tmp_path: Path) -> Path:
    """The example circle, its handover chased after 10 + 10 minutes instead of 30 + 30 (a shorter run),
    and its 09:30 stand-up paused: a slow machine may run the bot past 09:30, and this test counts
    on-call messages only."""
    text = EXAMPLE_CIRCLES.read_text()
    example_policy = "handover: { accept_within: 30m, escalate_after: 30m, shift_reminders: [1d, 1h] }"
    example_standup = '    standup:\n      time: "09:30"\n'
    assert example_policy in text and example_standup in text
    text = text.replace(example_standup, '    standup:\n      enabled: false\n      time: "09:30"\n')
    path = tmp_path / "circles.yaml"
    path.write_text(text.replace(example_policy, example_policy.replace("30m", "10m")))
    return path


@pytest.fixture
async def everyone_said_hi(tmp_path: Path, connector: FakeConnector) -> str:
    """A database where each member has a 1:1 chat with the bot (and no circle yet: the server applies it)."""
    database_url = f"sqlite:///{tmp_path / 'bot.db'}"
    async with bot_client(database_url) as client:
        for handle, (user_id, name) in EVERYONE.items():
            activity = personal_message("hi", connector.service_url)
            activity["from"] = {"id": user_id, "name": name}
            activity["conversation"] = {
                "conversationType": "personal",
                "tenantId": TENANT_ID,
                "id": f"a:chat-with-{handle}",
            }
            assert (await post_activity(client, activity)).status in (200, 201)
    connector.sent.clear()
    return database_url


@pytest.fixture
def serve(everyone_said_hi: str, circles_file: Path, tmp_path: Path) -> Iterator[str]:
    """`circlebot serve` started at 08:55 Rome under libfaketime; yields its base URL."""
    faketime = faketime_binary()
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "CIRCLEBOT_", "JIRA_", "GITLAB_"))},
        "TZ": "UTC",
        "DATABASE_URL": everyone_said_hi,
        "CIRCLEBOT_CONFIG": str(circles_file),
        "LOG_FORMAT": "text",
    }
    log = (tmp_path / "serve.log").open("w")
    command = [faketime, "-f", f"@{START_UTC} x{SPEED}", sys.executable, "-m", "app", "serve", "--port", str(port)]
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def tail(log: Path) -> str:
    """The end of the server's log, for a failure message."""
    return log.read_text()[-4000:]


async def wait_until(what: str, check: Callable[[], bool], log: Path) -> None:
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while asyncio.get_running_loop().time() < deadline:
        if check():
            return
        await asyncio.sleep(0.25)
    pytest.fail(f"gave up after {WAIT_SECONDS}s (wall clock) waiting for {what}; server log:\n{tail(log)}")


@pytest.fixture
async def server(serve: str, tmp_path: Path) -> AsyncIterator[str]:
    async with aiohttp.ClientSession() as session:

        async def ready() -> bool:
            try:
                async with session.get(f"{serve}/readyz") as response:
                    return response.status == 200
            except aiohttp.ClientError:
                return False

        deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
        while not await ready():
            if asyncio.get_running_loop().time() > deadline:
                pytest.fail(f"circlebot serve never became ready; server log:\n{tail(tmp_path / 'serve.log')}")
            await asyncio.sleep(0.25)
    yield serve


async def test_a_deploy_at_0855_on_monday_still_hands_over_at_0900_exactly_once(
    server: str, connector: FakeConnector, tmp_path: Path
) -> None:
    chats, log = Chats(connector), tmp_path / "serve.log"

    # Until 09:20 (Rome): the reminder, the handover at 09:00, its reminder at 09:10, the Team Leader at 09:20.
    def team_leader_told_twice() -> bool:
        return len([text for text in chats.texts_to("giulia") if "has not accepted" in text]) >= 2

    await wait_until("the Team Leader hearing of both unaccepted handovers", team_leader_told_twice, log)
    await asyncio.sleep(60 * 3 / SPEED)  # three more minutes of the bot's time: nothing is sent twice

    for incoming, layer in (("marco", "primary"), ("paolo", "secondary")):
        [reminder, chase] = chats.texts_to(incoming)
        assert reminder.startswith(f"Heads-up: you are {layer} on call for demo in ")
        assert "(Late: the 08:00 shift reminder, sent at 08:5" in reminder and " CET after a restart.)" in reminder
        assert chase.startswith(f"Reminder: please accept the {layer} on-call handover of demo")
        [card] = chats.cards_to(incoming)
        assert card["body"][0]["text"] == f"Handover · demo · {layer}"  # type: ignore[index]
        assert "Late:" not in str(card)  # on time: the plan at start-up armed it before 09:00
    for outgoing, layer in (("sara", "primary"), ("elena", "secondary")):  # they hand over to marco and paolo
        assert chats.card_titles_to(outgoing) == [f"Handover notes · demo · {layer}"]
        assert chats.texts_to(outgoing) == []
    told = sorted(chats.texts_to("giulia"))
    assert told == [
        "Marco Bianchi has not accepted the primary on-call handover of demo (shift from Mon 7 Dec 09:00 CET).",
        "Paolo Colombo has not accepted the secondary on-call handover of demo (shift from Mon 7 Dec 09:00 CET).",
    ]
