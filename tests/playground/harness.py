"""Async test harness driving Microsoft 365 Agents Playground (Teams emulator) headless.

See tools/playground/README.md for the endpoints and payloads used here.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import re
import shutil
import signal
import tempfile
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import aiohttp

from tests.support.circlebot_server import free_port as free_port  # the smoke test imports it from here

T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parents[2]
PLAYGROUND_DIR = REPO_ROOT / "tools" / "playground"
CLI_JS = PLAYGROUND_DIR / "node_modules" / "@microsoft" / "m365agentsplayground" / "cli.js"

TEAM_ID = "team-id"
GENERAL_CHANNEL_ID = "team-id"  # the General channel's conversation id equals the team id
BOT_ID = "00000000-0000-0000-0000-00000000000011"
BOT_NAME = "Test Bot"


def node_available() -> bool:
    """Return True if a `node` executable is on PATH."""
    return shutil.which("node") is not None


def playground_installed() -> bool:
    """Return True if `npm ci --prefix tools/playground` has been run."""
    return CLI_JS.is_file()


def skip_reason() -> str | None:
    """Return why the playground cannot run here, or None if it can."""
    if not node_available():
        return "node is not installed (needed for @microsoft/m365agentsplayground)"
    if not playground_installed():
        return "tools/playground/node_modules missing: run `npm ci --prefix tools/playground`"
    return None


def chromium_binary() -> str | None:
    """Return the path of a Chromium executable, if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


async def screenshot(url: str, out: Path, budget_ms: int = 15000, size: str = "1280,800") -> None:
    """Load `url` in headless Chromium and write a PNG screenshot to `out`."""
    browser = chromium_binary()
    if browser is None:
        raise PlaygroundError("chromium is not installed (apt-get install chromium)")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        proc = await asyncio.create_subprocess_exec(
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            f"--screenshot={out}",
            f"--window-size={size}",
            f"--virtual-time-budget={budget_ms}",
            url,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            await asyncio.wait_for(proc.wait(), budget_ms / 1000 + 60)
        except TimeoutError:
            os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
            raise
    if not await asyncio.to_thread(out.is_file):
        raise PlaygroundError(f"chromium wrote no screenshot (exit {proc.returncode})")


class BrowserPage:
    """The playground UI open in headless Chromium, driven over the DevTools protocol (a websocket).

    The UI learns of messages only while it is open (over its own websocket), so open it before the
    conversation starts, click into it (`click_text("General")`), then take `screenshot`s as it goes.
    `--screenshot` cannot click, hence the protocol.
    """

    def __init__(self, url: str, size: tuple[int, int] = (1280, 800)) -> None:
        self.url, self.size = url, size
        self._proc: asyncio.subprocess.Process | None = None
        self._profile: tempfile.TemporaryDirectory[str] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._devtools: _DevTools | None = None

    async def __aenter__(self) -> BrowserPage:
        browser = chromium_binary()
        if browser is None:
            raise PlaygroundError("chromium is not installed (apt-get install chromium)")
        port = free_port()
        self._profile = tempfile.TemporaryDirectory(prefix="chromium-")
        width, height = self.size
        self._proc = await asyncio.create_subprocess_exec(
            browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={self._profile.name}", f"--window-size={width},{height}",
            f"--remote-debugging-port={port}", "--remote-allow-origins=*", self.url,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        try:
            self._session = aiohttp.ClientSession()
            page = await _devtools_page(self._session, port)
            self._ws = await self._session.ws_connect(page, max_msg_size=0)
            self._devtools = _DevTools(self._ws)
            await self._devtools.call(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            )
        except BaseException:
            await self.__aexit__()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._session is not None:
            await self._session.close()
        if self._proc is not None and self._proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGKILL)
            await self._proc.wait()
        if self._profile is not None:
            self._profile.cleanup()

    @property
    def devtools(self) -> _DevTools:
        assert self._devtools is not None, "use BrowserPage in `async with`"
        return self._devtools

    async def click_text(self, text: str, within: float = 30) -> None:
        """Wait for an element reading exactly `text`, and click it."""
        await self.devtools.wait_for_text(text, within)
        await self.devtools.click_text(text)

    async def post_in_channel(self, text: str, *, mention: str = BOT_NAME) -> None:
        """Type a new post in the open channel as a person does: @mention picked from the list, then `text`."""
        focused = await self.devtools.evaluate(
            "(() => { const box = document.querySelector('[contenteditable=true]');"
            " if (!box) return false; box.focus(); return document.activeElement === box; })()"
        )
        if not focused:
            raise PlaygroundError("no compose box to type in: open a channel first")
        await self.devtools.call("Input.insertText", {"text": f"@{mention.split()[0]}"})
        await self.click_text(mention, within=10)  # the mention picker's entry
        await self.devtools.call("Input.insertText", {"text": f" {text}"})
        await self.devtools.click_text("Post")

    async def screenshot(self, out: Path, *, showing: str, within: float = 30) -> None:
        """Once `showing` is on the page, write a PNG of the window to `out` (written on failure too)."""
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            await self.devtools.wait_for_text(showing, within)
            await asyncio.sleep(1.0)  # let the card finish laying out
        finally:  # on failure too: the picture shows what was there instead
            png = await self.devtools.call("Page.captureScreenshot", {"format": "png"})
            await asyncio.to_thread(out.write_bytes, base64.b64decode(png["data"]))


async def _devtools_page(session: aiohttp.ClientSession, port: int) -> str:
    """The websocket URL of Chromium's first page, once its DevTools endpoint answers."""
    # Chromium takes seconds to open DevTools on a loaded 2-core machine: generous, yet bounded.
    async with asyncio.timeout(60):
        while True:
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"http://127.0.0.1:{port}/json/list") as resp:
                    pages = [t for t in await resp.json() if t.get("type") == "page"]
                    if pages:
                        return str(pages[0]["webSocketDebuggerUrl"])
            await asyncio.sleep(0.2)


class _DevTools:
    """The few DevTools protocol calls a screenshot needs: evaluate, click by text, capture."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._next_id = 0

    async def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self._next_id += 1
        call_id = self._next_id
        await self._ws.send_json({"id": call_id, "method": method, "params": params or {}})
        async for msg in self._ws:
            data = json.loads(msg.data)
            if data.get("id") == call_id:
                if "error" in data:
                    raise PlaygroundError(f"{method}: {data['error']}")
                return dict(data.get("result") or {})
        raise PlaygroundError(f"{method}: the browser closed the connection")

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return result.get("result", {}).get("value")

    async def wait_for_text(self, text: str, within: float) -> None:
        probe = f"document.body && document.body.innerText.includes({json.dumps(text)})"
        try:
            async with asyncio.timeout(within):
                # Polling, not an Event: the page is another process we can only ask.
                while not await self.evaluate(probe):  # noqa: ASYNC110
                    await asyncio.sleep(0.25)
        except TimeoutError:
            raise PlaygroundError(f"the page never showed {text!r}") from None

    async def click_text(self, text: str) -> None:
        """Click the innermost element whose text is exactly `text`."""
        script = f"""(() => {{
            const wanted = {json.dumps(text)};
            const hits = [...document.querySelectorAll('body *')].filter(
                e => e.children.length === 0 && e.textContent.trim() === wanted);
            if (!hits.length) return false;
            hits[0].click();
            return true;
        }})()"""
        if not await self.evaluate(script):
            raise PlaygroundError(f"nothing to click reads {text!r}")


class PlaygroundError(RuntimeError):
    """Raised when the playground fails to start or answers unexpectedly."""


class Playground:
    """A running playground process plus an HTTP/WebSocket client for its test APIs."""

    def __init__(self, bot_endpoint: str, port: int | None = None, startup_timeout: float = 30.0) -> None:
        self.bot_endpoint = bot_endpoint
        self.port = port or free_port()
        self.startup_timeout = startup_timeout
        self.workdir: Path | None = None  # a fresh temp dir per start(); devTools/ lands there
        self.final_log = ""  # the playground's log, kept after stop() removes the workdir
        self.events: list[dict[str, Any]] = []  # every frame from the conversation websocket
        self._proc: asyncio.subprocess.Process | None = None
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._drain: asyncio.Task[bytes] | None = None
        self._event_added = asyncio.Event()
        self._config: dict[str, Any] | None = None

    @property
    def base_url(self) -> str:
        """Return the playground base URL (also the browser UI URL)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def connector_url(self) -> str:
        """Return the mock Bot Connector serviceUrl that the bot replies to."""
        return f"http://localhost:{self.port}/_connector"

    async def __aenter__(self) -> Playground:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start the process, wait for it to listen and attach the conversation websocket."""
        reason = skip_reason()
        if reason:
            raise PlaygroundError(reason)
        self.workdir = Path(tempfile.mkdtemp(prefix="playground-"))
        env = {
            **os.environ,
            "TEAMSAPPTESTER_BROWSER": "none",  # otherwise it spawns xdg-open and exits if that fails
            "M365_AGENTS_PLAYGROUND_LOGFILE": str(self.workdir / "devTools" / "m365agentsplayground.log"),
        }
        self._proc = await asyncio.create_subprocess_exec(
            "node",
            str(CLI_JS),
            "-e",
            self.bot_endpoint,
            "-c",
            "msteams",
            "-p",
            str(self.port),
            "--dt",
            cwd=self.workdir,
            env=env,
            start_new_session=True,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            await asyncio.wait_for(self._wait_listening(), self.startup_timeout)
            self._session = aiohttp.ClientSession(base_url=self.base_url)
            self._ws = await self._session.ws_connect("/_ws_conversation/v1/conversations/stream")
            self._reader = asyncio.create_task(self._read_ws())
        except BaseException:
            await self.stop()
            raise

    async def _wait_listening(self) -> None:
        """Read stdout until 'Listening on PORT' (the port may differ if ours was taken)."""
        assert self._proc and self._proc.stdout
        output: list[str] = []
        while True:
            line = await self._proc.stdout.readline()
            if not line:
                raise PlaygroundError(f"playground exited early: {''.join(output)}{self.read_log()}")
            text = line.decode(errors="replace")
            output.append(text)
            match = re.match(r"Listening on (\d+)", text)
            if match:
                self.port = int(match.group(1))
                self._drain = asyncio.create_task(self._proc.stdout.read())  # keep the pipe drained
                return

    async def _read_ws(self) -> None:
        """Collect websocket frames (createMessage/updateMessage/typing) into self.events."""
        assert self._ws
        async for msg in self._ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.events.append(json.loads(msg.data))
                self._event_added.set()

    async def stop(self) -> None:
        """Close the client and terminate the playground's process group."""
        if self._reader:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._ws:
            await self._ws.close()
        if self._session:
            await self._session.close()
        if self._proc and self._proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(self._proc.wait(), 5)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self._proc.pid, signal.SIGKILL)
                await self._proc.wait()
        if self._drain:
            await self._drain
        if self.workdir:
            self.final_log = self.read_log()
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def read_log(self) -> str:
        """Return the playground's own log file (console output), if any."""
        if self.workdir is None:
            return self.final_log
        try:
            return (self.workdir / "devTools" / "m365agentsplayground.log").read_text(errors="replace")
        except OSError:
            return ""

    async def _request(self, method: str, path: str, payload: Any = None) -> tuple[int, Any]:
        """Send a JSON request; return (status, parsed JSON body or text or None)."""
        assert self._session, "playground not started"
        async with self._session.request(method, path, json=payload) as resp:
            text = await resp.text()
            try:
                body: Any = json.loads(text) if text else None
            except ValueError:
                body = text
            return resp.status, body

    async def _checked(self, method: str, path: str, payload: Any = None) -> Any:
        """Like _request but raise PlaygroundError on a non-2xx status."""
        status, body = await self._request(method, path, payload)
        if status >= 300:
            raise PlaygroundError(f"{method} {path} -> {status}: {body}")
        return body

    async def config(self) -> dict[str, Any]:
        """Return the mock tenant config (teams, channels, users); cached."""
        if self._config is None:
            # /_internal/v1/testConfig is /_internal/v1/config without the 15 s wait-on-bot step
            body = await self._checked("GET", "/_internal/v1/testConfig")
            self._config = dict(body["config"])
        return self._config

    async def user(self, n: int) -> dict[str, Any]:
        """Return mock user `user-id-{n}` (id, name, aadObjectId, ...)."""
        cfg = await self.config()
        for u in [cfg["currentUser"], *cfg["users"]]:
            if u["id"] == f"user-id-{n}":
                return dict(u)
        raise KeyError(f"user-id-{n}")

    async def send_channel_message(
        self, text: str, user: int = 0, channel_id: str = GENERAL_CHANNEL_ID, mention_bot: bool = True
    ) -> str:
        """Post a new channel message as user N (optionally @mentioning the bot); return the thread id."""
        u = await self.user(user)
        at = f"<at>{BOT_NAME}</at>"
        full_text = f"{at} {text}" if mention_bot else text
        body: dict[str, Any] = {"from": {"id": u["id"]}, "text": full_text, "textFormat": "plain"}
        current = (await self.config())["currentUser"]["id"]
        if u["id"] == current and mention_bot:
            body["mentions"] = [{"mentioned": {"id": BOT_ID}, "text": at}]
            res = await self._checked("POST", f"/_conversation/v1/conversations/{channel_id}/messages", body)
            return str(res["postConversationId"])
        # The test API always sends the activity as currentUser, so for anyone else create the
        # thread without a mention (bot not called) and deliver the activity ourselves.
        res = await self._checked("POST", f"/_conversation/v1/conversations/{channel_id}/messages", body)
        thread_id = str(res["postConversationId"])
        if mention_bot:
            await self.send_activity(self._message_activity(thread_id, channel_id, u, full_text, at))
        return thread_id

    def _message_activity(
        self, thread_id: str, channel_id: str, u: dict[str, Any], text: str, at: str
    ) -> dict[str, Any]:
        """Build a channel message activity shaped like the one the playground generates."""
        now = _now_iso()
        cfg = self._config or {}
        tenant_id = cfg.get("tenantId", "")
        return {
            "type": "message",
            "id": str(uuid.uuid4()),
            "timestamp": now,
            "localTimestamp": now,
            "localTimezone": "UTC",
            "locale": "en-US",
            "channelId": "msteams",
            "serviceUrl": self.connector_url,
            "from": {"id": u["id"], "name": u["name"], "aadObjectId": u["aadObjectId"]},
            "recipient": {"id": BOT_ID, "name": BOT_NAME},
            "conversation": {"isGroup": True, "conversationType": "channel", "tenantId": tenant_id, "id": thread_id},
            "text": text,
            "textFormat": "plain",
            "entities": [
                {"type": "mention", "mentioned": {"id": BOT_ID, "name": BOT_NAME}, "text": at},
                {"type": "clientInfo", "locale": "en-US", "country": "US", "timezone": "UTC"},
            ],
            "channelData": {
                "teamsChannelId": channel_id,
                "teamsTeamId": TEAM_ID,
                "tenant": {"id": tenant_id},
                "team": {"id": TEAM_ID},
                "channel": {"id": channel_id},
            },
        }

    async def send_activity(self, activity: dict[str, Any]) -> None:
        """Forward an arbitrary activity to the bot (fire-and-forget; bot's status is not returned)."""
        await self._checked("POST", "/_internal/v1/customActivities", activity)

    async def install_bot(self, conversation_id: str = GENERAL_CHANNEL_ID) -> None:
        """Send installationUpdate(add) + conversationUpdate(membersAdded=[bot]) as the UI does."""
        await self._checked("POST", f"/_debug/conversation/{conversation_id}/installation", {})

    async def invoke_action(
        self, conversation_id: str, reply_to_id: str, data: Any, verb: str = "", user: int = 0, title: str = ""
    ) -> tuple[int, Any]:
        """Send an adaptiveCard/action (Action.Execute) invoke; return the playground's (status, body)."""
        u = await self.user(user)
        payload = {
            "name": "adaptiveCard/action",
            "value": {"action": {"type": "Action.Execute", "title": title, "verb": verb, "data": data}},
            "from": {"id": u["id"]},
            "conversation": {"id": conversation_id},
            "replyToId": reply_to_id,
        }
        return await self._request("POST", "/_conversation/v1/invoke", payload)

    def bot_messages(self, conversation_id: str) -> list[dict[str, Any]]:
        """Return the bot's messages in a conversation/thread (latest version after updates)."""
        by_id: dict[str, dict[str, Any]] = {}
        for ev in self.events:
            msg = ev.get("message") or {}
            in_conv = conversation_id in (ev.get("actionConversationId"), msg.get("postConversationId"))
            if ev.get("action") == "createMessage" and in_conv and msg["from"]["id"] == BOT_ID:
                by_id[msg["messageId"]] = msg
            elif ev.get("action") == "updateMessage" and msg.get("messageId") in by_id:
                by_id[msg["messageId"]] = {**by_id[msg["messageId"]], **msg, "updated": True}
        return list(by_id.values())

    async def wait_for_bot_messages(
        self, conversation_id: str, count: int = 1, within: float = 10.0
    ) -> list[dict[str, Any]]:
        """Wait until the bot has sent at least `count` messages to the conversation; return them."""

        def enough() -> list[dict[str, Any]] | None:
            msgs = self.bot_messages(conversation_id)
            return msgs if len(msgs) >= count else None

        return await self._wait_until(enough, within, f"{count} bot message(s) in {conversation_id}")

    async def wait_for_bot_message(
        self, conversation_id: str, matching: Callable[[dict[str, Any]], bool], within: float = 10.0
    ) -> dict[str, Any]:
        """Wait for the bot's first message in the conversation that `matching` accepts; return it."""

        def found() -> dict[str, Any] | None:
            return next((msg for msg in self.bot_messages(conversation_id) if matching(msg)), None)

        return await self._wait_until(found, within, f"a matching bot message in {conversation_id}")

    async def wait_for_bot_card(self, header: str, within: float = 20.0) -> dict[str, Any]:
        """The bot's first message (in any conversation) whose card's first text is `header`."""

        def found() -> dict[str, Any] | None:
            for ev in self.events:
                msg = ev.get("message") or {}
                if ev.get("action") != "createMessage" or (msg.get("from") or {}).get("id") != BOT_ID:
                    continue
                for attachment in msg.get("attachments") or []:
                    body = (attachment.get("content") or {}).get("body") or [{}]
                    if body[0].get("text") == header:
                        return dict(msg)
            return None

        return await self._wait_until(found, within, f"a bot card headed {header!r}")

    async def wait_for_update(self, message_id: str, within: float = 10.0) -> dict[str, Any]:
        """Wait for an updateMessage event for `message_id` (bot called update_activity); return it."""

        def update() -> dict[str, Any] | None:
            for ev in self.events:
                if ev.get("action") == "updateMessage" and ev["message"].get("messageId") == message_id:
                    return dict(ev["message"])
            return None

        return await self._wait_until(update, within, f"update of message {message_id}")

    async def _wait_until(self, check: Callable[[], T | None], within: float, what: str) -> T:
        """Re-evaluate `check` on every websocket event until it returns non-None."""
        try:
            async with asyncio.timeout(within):
                while (result := check()) is None:
                    self._event_added.clear()
                    await self._event_added.wait()
                return result
        except TimeoutError:
            raise TimeoutError(f"timed out waiting for {what}; events: {self.events}") from None


def _now_iso() -> str:
    """Return the current UTC time as an ISO-8601 string with milliseconds and 'Z'."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
