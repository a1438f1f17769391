"""The turns that matter (issue #17): channel `help`, declaring, an alert storm, start-up — one JSON line each.

    python benchmarks/workloads.py channel|declare|storm|startup [--turns N] [--concurrency 8]
                                   [--database-url URL] [--replicas 1|2]

Every workload runs circlebot in its own process(es) (`_serve` below: the full app, relay and
scheduler running, a circle in the config file whose channel the bot is installed in) and drives it
over HTTP from this process, where a fake Bot Connector records what the bot posts and when. CPU
milliseconds per turn are the server processes' user+system time over the measured phase divided
by the turns (from /proc, so Linux only): unlike wall time they do not move with the machine's load.
See benchmarks/README.md for the targets and the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, TCPConnector, web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.turns import BOT_ACCOUNT, SERVER_START_TIMEOUT, TENANT_ID, _echo_app, percentile

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("domain", "storage", "adapters", "bot", "dialogs")
TEAM_ID = "19:bench-team@thread.tacv2"
CHANNEL_ID = "19:bench-incidents@thread.tacv2"
ALERT_TOKEN = "benchmark-alert-token"
CLOCK_TICK = os.sysconf("SC_CLK_TCK")
INCIDENT_KEY = re.compile(r"\bINC-(\d+)\b")
# How long the benchmark waits for the relay to deliver every card before it gives up and says so.
DELIVERY_TIMEOUT = 300.0

CIRCLE_YAML = f"""
default_circle: bench
circles:
  - name: bench
    customer: acme
    project: bench
    team_id: "{TEAM_ID}"
    channel_id: "{CHANNEL_ID}"
    time_zone: Europe/Rome
    team_leader: lead
    members:
      - {{handle: lead, name: Bench Lead, teams_user_id: "29:bench-lead"}}
    jira: {{project: BENCH}}
    sla:
      P1: {{acknowledge: 5m, resolve: 4h, stakeholder_updates: 30m}}
      P2: {{acknowledge: 15m, resolve: 8h, stakeholder_updates: 1h}}
      P3: {{acknowledge: 1h, resolve: 3d, stakeholder_updates: never}}
      P4: {{acknowledge: 4h, resolve: 10d, stakeholder_updates: never}}
"""

TARGETS = {
    "declare_sqlite_per_s": 100.0,
    "declare_postgresql_per_s": 150.0,
    "declare_p99_ms": 150.0,
    "channel_ratio": 3.0,
    "storm_seconds": 10.0,
    "storm_webhook_p99_ms": 100.0,
    "ready_s": 1.0,
    "rss_mb": 150.0,
}


# --- what the servers cost --------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds process `pid` has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


# --- the fake Bot Connector -------------------------------------------------------------------


@dataclass
class Connector:
    """Answers like Teams (new threads, replies, updates) and remembers when each incident's card arrived."""

    replies: int = 0
    cards: int = 0
    updates: int = 0
    card_arrivals: dict[str, float] = field(default_factory=dict)  # "INC-7" -> perf_counter
    titles: dict[str, float] = field(default_factory=dict)  # a declared title -> when its card arrived
    _ids: itertools.count[int] = field(default_factory=itertools.count)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def application(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_post("/v3/conversations", self._new_thread)
        app.router.add_post("/v3/conversations/{conversation_id}/activities", self._send)
        app.router.add_post("/v3/conversations/{conversation_id}/activities/{activity_id}", self._send)
        app.router.add_put("/v3/conversations/{conversation_id}/activities/{activity_id}", self._update)
        return app

    def reset(self) -> None:
        self.replies = self.cards = self.updates = 0
        self.card_arrivals.clear()
        self.titles.clear()

    def _note(self, activity: dict[str, Any]) -> None:
        self.replies += 1
        attachments = activity.get("attachments") or []
        self.cards += bool(attachments)
        now = time.perf_counter()
        for attachment in attachments:
            body = (attachment.get("content") or {}).get("body") or []
            texts = [str(block.get("text", "")) for block in body if isinstance(block, dict)]
            match = INCIDENT_KEY.search(texts[0]) if texts else None
            if match:
                self.card_arrivals.setdefault(match.group(0), now)
                self.titles.setdefault(" ".join(texts), now)
        self._arrived.set()

    async def _new_thread(self, request: web.Request) -> web.Response:
        body = await request.json()
        self._note(body.get("activity") or {})
        channel = ((body.get("channelData") or {}).get("channel") or {}).get("id", CHANNEL_ID)
        activity_id = f"sent-{next(self._ids)}"
        return web.json_response({"id": f"{channel};messageid={activity_id}", "activityId": activity_id}, status=201)

    async def _send(self, request: web.Request) -> web.Response:
        self._note(await request.json())
        return web.json_response({"id": f"sent-{next(self._ids)}"}, status=201)

    async def _update(self, request: web.Request) -> web.Response:
        await request.read()
        self.updates += 1
        return web.json_response({"id": request.match_info["activity_id"]})

    async def wait_for_incidents(self, count: int, within: float = DELIVERY_TIMEOUT) -> float | None:
        """perf_counter when the `count`-th distinct incident card arrived, None after `within` s."""
        deadline = time.perf_counter() + within
        while len(self.card_arrivals) < count:
            self._arrived.clear()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return None
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except TimeoutError:
                return None
        return max(self.card_arrivals.values())


# --- the servers ------------------------------------------------------------------------------


def _circlebot_app(settings: dict[str, str]) -> web.Application:
    from adapters.log_setup import configure_logging
    from adapters.settings import load_settings
    from app import create_app

    configure_logging("WARNING", "text", [], stream=sys.stderr)
    return create_app(load_settings(**settings, _env_file=None), background=True)


def _serve(kind: str, settings: dict[str, str], ready: Connection) -> None:
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    profile = os.environ.get("BENCH_PROFILE")  # a folder: cProfile the bot, one .prof file per process
    if profile and kind == "circlebot":
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
        try:
            _serve_until_stopped(kind, settings, ready)
        finally:
            profiler.disable()
            profiler.dump_stats(str(Path(profile) / f"{kind}-{os.getpid()}.prof"))
        return
    _serve_until_stopped(kind, settings, ready)


def _serve_until_stopped(kind: str, settings: dict[str, str], ready: Connection) -> None:
    async def serve() -> None:
        app = _circlebot_app(settings) if kind == "circlebot" else _echo_app()
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()  # migrations, the circle config, the schedule plan
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        stopped = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopped.set)
        ready.send(runner.addresses[0][1])
        await stopped.wait()
        await runner.cleanup()

    asyncio.run(serve())


class Servers:
    """`with Servers(kind, settings, replicas) as urls:` runs `replicas` bot processes on one database."""

    def __init__(self, kind: str, settings: dict[str, str], replicas: int = 1) -> None:
        context = multiprocessing.get_context("spawn")
        self._children = []
        for _ in range(replicas):
            parent_end, child_end = context.Pipe(duplex=False)
            process = context.Process(target=_serve, args=(kind, settings, child_end), daemon=True)
            self._children.append((process, parent_end))
        self.kind = kind

    @property
    def pids(self) -> list[int]:
        return [process.pid for process, _ in self._children if process.pid is not None]

    def cpu(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.pids)

    def __enter__(self) -> list[str]:
        urls = []
        # One after the other: the first migrates the database, the next finds it current.
        for process, ready in self._children:
            process.start()
            if not ready.poll(SERVER_START_TIMEOUT):
                self._stop()
                raise RuntimeError(f"the {self.kind} server did not start within {SERVER_START_TIMEOUT:.0f} s")
            urls.append(f"http://127.0.0.1:{ready.recv()}")
        return urls

    def __exit__(self, *_exc: object) -> None:
        self._stop()

    def _stop(self) -> None:
        for process, _ in self._children:
            if process.is_alive():
                process.terminate()
                process.join(30)
            if process.is_alive():
                process.kill()
                process.join()


# --- activities -------------------------------------------------------------------------------


def channel_message(text: str, activity_id: str, user: int, service_url: str) -> dict[str, Any]:
    """A new post in the circle's channel that @mentions the bot, as Teams sends it."""
    return {
        "type": "message",
        "id": activity_id,
        "timestamp": "2026-11-27T03:00:00.000Z",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": f"29:bench-user-{user}", "name": f"Bench user {user}", "aadObjectId": f"aad-bench-{user}"},
        "conversation": {
            "isGroup": True,
            "conversationType": "channel",
            "tenantId": TENANT_ID,
            "id": f"{CHANNEL_ID};messageid={activity_id}",
        },
        "recipient": BOT_ACCOUNT,
        "text": f"<at>{BOT_ACCOUNT['name']}</at> {text}",
        "textFormat": "plain",
        "locale": "en-US",
        "entities": [
            {"type": "mention", "text": f"<at>{BOT_ACCOUNT['name']}</at>", "mentioned": BOT_ACCOUNT},
            {"type": "clientInfo", "locale": "en-US", "platform": "Web"},
        ],
        "channelData": {
            "teamsChannelId": CHANNEL_ID,
            "teamsTeamId": TEAM_ID,
            "channel": {"id": CHANNEL_ID},
            "team": {"id": TEAM_ID},
            "tenant": {"id": TENANT_ID},
        },
    }


def installed_in_team(service_url: str) -> dict[str, Any]:
    """installationUpdate(add): what lets the relay post into the circle's channel."""
    activity = channel_message("", f"install-{uuid.uuid4().hex[:8]}", 0, service_url)
    activity.update(type="installationUpdate", action="add", text=None, entities=None)
    activity["conversation"]["id"] = CHANNEL_ID
    activity["channelData"]["settings"] = {"selectedChannel": {"id": CHANNEL_ID}}
    return activity


async def post_json(session: ClientSession, url: str, body: Any, **headers: str) -> tuple[int, float]:
    started = time.perf_counter()
    async with session.post(url, data=json.dumps(body), headers={"Content-Type": "application/json", **headers}) as r:
        await r.read()
        return r.status, started


async def drive(
    session: ClientSession, urls: list[str], make: Any, *, turns: int, concurrency: int, start: int = 0
) -> tuple[dict[int, float], list[float], int]:
    """`turns` activities from `concurrency` users (user i talks to replica i mod len(urls)).

    Returns each turn's start (perf_counter) by number, the latencies, and the number of non-2xx answers.
    """
    numbers = iter(range(start, start + turns))
    starts: dict[int, float] = {}
    latencies: list[float] = []
    errors = 0

    async def user(index: int) -> None:
        nonlocal errors
        url = f"{urls[index % len(urls)]}/api/messages"
        for number in numbers:
            status, started = await post_json(session, url, make(number, index))
            starts[number] = started
            latencies.append(time.perf_counter() - started)
            errors += status >= 300

    await asyncio.gather(*(user(index) for index in range(concurrency)))
    return starts, latencies, errors


# --- workloads --------------------------------------------------------------------------------


@dataclass
class Bench:
    connector: Connector
    service_url: str
    folder: Path
    database_url: str

    def settings(self, **extra: str) -> dict[str, str]:
        config = self.folder / "circles.yaml"
        config.write_text(CIRCLE_YAML)
        return {"DATABASE_URL": self.database_url, "CIRCLEBOT_CONFIG": str(config), **extra}


async def install(session: ClientSession, urls: list[str], service_url: str) -> None:
    status, _ = await post_json(session, f"{urls[0]}/api/messages", installed_in_team(service_url))
    if status >= 300:
        raise RuntimeError(f"installationUpdate answered {status}")


async def measured(
    servers: Servers, session: ClientSession, urls: list[str], make: Any, args: argparse.Namespace, connector: Connector
) -> dict[str, Any]:
    """Warm up, then `args.turns` turns; throughput, latencies and the servers' CPU per turn."""
    if args.warmup:
        await drive(
            session, urls, make, turns=args.warmup, concurrency=min(args.concurrency, args.warmup), start=-args.warmup
        )
    connector.reset()
    cpu, own_cpu = servers.cpu(), time.process_time()
    started = time.perf_counter()
    starts, latencies, errors = await drive(session, urls, make, turns=args.turns, concurrency=args.concurrency)
    wall = time.perf_counter() - started
    own_cpu = time.process_time() - own_cpu
    return {
        "rps": round(args.turns / wall, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "errors": errors,
        "cpu_ms_per_turn": round((servers.cpu() - cpu) * 1000 / args.turns, 2),
        # This process (the users and the fake connector): on 2 cores, bot + load must fit in both.
        "load_cpu_ms_per_turn": round(own_cpu * 1000 / args.turns, 2),
        "_wall": wall,
        "_starts": starts,
    }


def _public(figures: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in figures.items() if not key.startswith("_")}


async def channel_workload(bench: Bench, session: ClientSession, args: argparse.Namespace) -> dict[str, Any]:
    """`help` @mentioning the bot in a channel: circlebot, then the stock echo bot, in the same run."""
    run = uuid.uuid4().hex[:8]
    results: dict[str, Any] = {}
    for kind in ("circlebot", "echo"):
        servers = Servers(kind, bench.settings(), args.replicas if kind == "circlebot" else 1)
        with servers as urls:
            if kind == "circlebot":
                await install(session, urls, bench.service_url)

            def make(number: int, user: int, kind: str = kind) -> dict[str, Any]:
                return channel_message("help", f"{run}-{kind}-{number}", user, bench.service_url)

            figures = await measured(servers, session, urls, make, args, bench.connector)
            figures["replies"] = bench.connector.replies
            results[kind] = _public(figures)
    ratio = results["circlebot"]["rps"] / results["echo"]["rps"]
    return {
        "circlebot": results["circlebot"],
        "echo": results["echo"],
        "ratio": round(ratio, 2),
        "targets": {"ratio_ge_3": ratio >= TARGETS["channel_ratio"]},
    }


async def declare_workload(bench: Bench, session: ClientSession, args: argparse.Namespace) -> dict[str, Any]:
    """`/incident P3 <title>` in the channel; a declaration counts once the relay delivered its card."""
    run = uuid.uuid4().hex[:8]
    servers = Servers("circlebot", bench.settings(), args.replicas)
    with servers as urls:
        await install(session, urls, bench.service_url)

        def make(number: int, user: int) -> dict[str, Any]:
            return channel_message(f"/incident P3 Bench {run} {number}", f"{run}-{number}", user, bench.service_url)

        if args.warmup:
            await drive(
                session,
                urls,
                make,
                turns=args.warmup,
                concurrency=min(args.concurrency, args.warmup),
                start=-args.warmup,
            )
            await bench.connector.wait_for_incidents(args.warmup)
        bench.connector.reset()
        cpu = servers.cpu()
        started = time.perf_counter()
        starts, latencies, errors = await drive(session, urls, make, turns=args.turns, concurrency=args.concurrency)
        answered = time.perf_counter()
        last_card = await bench.connector.wait_for_incidents(args.turns)
        cpu_ms = (servers.cpu() - cpu) * 1000 / args.turns
        delivered = len(bench.connector.card_arrivals)
        # Per declaration: from the POST to its card at the connector (the title is unique per number).
        by_number = {}
        for heading, arrival in bench.connector.titles.items():
            match = re.search(rf"Bench {run} (\d+)", heading)
            if match:
                by_number.setdefault(int(match.group(1)), arrival)
    to_card = [by_number[number] - started_at for number, started_at in starts.items() if number in by_number]
    end = last_card if last_card is not None else time.perf_counter()
    per_s = args.turns / (end - started)
    p99 = percentile(to_card, 0.99) * 1000 if to_card else float("inf")
    target = TARGETS[
        "declare_postgresql_per_s" if bench.database_url.startswith("postgres") else "declare_sqlite_per_s"
    ]
    return {
        "circlebot": {
            "declared_per_s": round(per_s, 1),
            "answer_p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
            "answer_p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
            "card_p50_ms": round(percentile(to_card, 0.50) * 1000, 2) if to_card else None,
            "card_p99_ms": round(p99, 2),
            "answered_s": round(answered - started, 3),
            "all_cards_s": round(end - started, 3),
            "errors": errors,
            "cards_delivered": delivered,
            "cpu_ms_per_turn": round(cpu_ms, 2),
        },
        "targets": {
            "per_s": per_s >= target,
            "p99_lt_150ms": p99 < TARGETS["declare_p99_ms"],
            "every_card": delivered == args.turns,
        },
    }


def storm_bodies(groups: int, run: str) -> list[dict[str, Any]]:
    """One Alertmanager notification per group, each with one firing alert: `groups` distinct incidents."""
    bodies = []
    for number in range(groups):
        name = f"Storm{run}x{number}"
        alert = {
            "status": "firing",
            "labels": {"alertname": name, "instance": f"node-{number}", "severity": "warning"},
            "annotations": {"summary": f"{name} failing on node-{number}"},
            "startsAt": "2026-11-28T20:21:59Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.local/graph",
            "fingerprint": f"{run}{number:08x}",
        }
        bodies.append(
            {
                "receiver": "circlebot",
                "status": "firing",
                "alerts": [alert],
                "groupLabels": {"alertname": name},
                "commonLabels": alert["labels"],
                "commonAnnotations": alert["annotations"],
                "externalURL": "http://alertmanager.local",
                "version": "4",
                "groupKey": f'{{}}:{{alertname="{name}"}}',
                "truncatedAlerts": 0,
            }
        )
    return bodies


def _incident_count(database_url: str) -> int:
    from sqlalchemy import create_engine, text

    from storage.database import sync_url

    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM incident")).scalar_one())
    finally:
        engine.dispose()


async def wait_for_opened(database_url: str, count: int, within: float = DELIVERY_TIMEOUT) -> float | None:
    """perf_counter when the database first held `count` incidents (polled every 20 ms), None after `within` s."""
    deadline = time.perf_counter() + within
    while time.perf_counter() < deadline:
        if await asyncio.to_thread(_incident_count, database_url) >= count:
            return time.perf_counter()
        await asyncio.sleep(0.02)
    return None


async def storm_workload(bench: Bench, session: ClientSession, args: argparse.Namespace) -> dict[str, Any]:
    """`args.groups` distinct Alertmanager groups at once: every incident opened, and its card delivered.

    Each new incident starts a thread in the circle's one channel, and Teams allows a bot 60 posts per
    30 s in a conversation (bot/rate_limit.py): 1,000 cards take ~8 minutes whatever the bot does. So
    the storm measures when every incident is open (in the database, with its card queued in the same
    transaction), and how many cards arrived within `--card-wait` seconds of the last webhook answer.
    """
    bodies = storm_bodies(args.groups, uuid.uuid4().hex[:6])
    servers = Servers("circlebot", bench.settings(ALERT_WEBHOOK_TOKEN=ALERT_TOKEN), args.replicas)
    with servers as urls:
        await install(session, urls, bench.service_url)
        await asyncio.sleep(1)
        rss_idle = sum(rss_mb(pid) for pid in servers.pids)
        bench.connector.reset()
        already = await asyncio.to_thread(_incident_count, bench.database_url)
        cpu = servers.cpu()
        queue = list(bodies)
        latencies: list[float] = []
        statuses: list[int] = []

        async def sender(index: int) -> None:
            url = f"{urls[index % len(urls)]}/api/alerts/alertmanager"
            while queue:
                body = queue.pop()
                status, started = await post_json(session, url, body, Authorization=f"Bearer {ALERT_TOKEN}")
                latencies.append(time.perf_counter() - started)
                statuses.append(status)

        started = time.perf_counter()
        await asyncio.gather(*(sender(index) for index in range(args.concurrency)))
        last_answer = time.perf_counter()
        opened = await wait_for_opened(bench.database_url, already + args.groups)
        cpu_ms = (servers.cpu() - cpu) * 1000 / args.groups
        await bench.connector.wait_for_incidents(
            args.groups, within=max(0.0, last_answer + args.card_wait - time.perf_counter())
        )
        cards = len(bench.connector.card_arrivals)
        rss_after = sum(rss_mb(pid) for pid in servers.pids)
    opened_after = (opened - last_answer) if opened is not None else None
    p99 = percentile(latencies, 0.99) * 1000
    return {
        "circlebot": {
            "groups": args.groups,
            "webhook_p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
            "webhook_p99_ms": round(p99, 2),
            "webhooks_s": round(last_answer - started, 3),
            "all_opened_after_last_answer_s": round(opened_after, 3) if opened_after is not None else None,
            "card_wait_s": args.card_wait,
            "cards_within_wait": cards,
            "statuses": {str(code): statuses.count(code) for code in sorted(set(statuses))},
            "cpu_ms_per_group": round(cpu_ms, 2),
            "rss_idle_mb": round(rss_idle, 1),
            "rss_after_mb": round(rss_after, 1),
        },
        "targets": {
            "opened_within_10s": opened_after is not None and opened_after <= TARGETS["storm_seconds"],
            "every_card_within_10s": cards == args.groups and args.card_wait <= TARGETS["storm_seconds"],
            "webhook_p99_lt_100ms": p99 < TARGETS["storm_webhook_p99_ms"],
            "rss_lt_150mb": max(rss_idle, rss_after) / len(servers.pids) < TARGETS["rss_mb"],
        },
    }


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def startup_workload(bench: Bench, session: ClientSession, args: argparse.Namespace) -> dict[str, Any]:
    """`circlebot serve` on a migrated database: seconds to /readyz ready, its CPU, RSS when idle."""
    env = {**os.environ, **bench.settings(), "LOG_LEVEL": "WARNING"}
    env.pop("MicrosoftAppId", None)
    command = [sys.executable, "-m", "app"]
    await asyncio.to_thread(
        subprocess.run, [*command, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    # As installed from a wheel (pip compiles at install time): with PYTHONDONTWRITEBYTECODE set and
    # an editable install, every start would compile ~200 modules from source (~0.5 s).
    await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "compileall", "-q", "app.py", *PACKAGES],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    timed_import = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", "import time; t = time.perf_counter(); import app; print(time.perf_counter() - t)"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    import_s = float(timed_import.stdout)
    port = _free_port()
    started = time.perf_counter()
    server = await asyncio.create_subprocess_exec(
        *command, "serve", "--port", str(port), cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        ready_s = None
        while time.perf_counter() - started < SERVER_START_TIMEOUT and server.returncode is None:
            try:
                async with session.get(f"http://127.0.0.1:{port}/readyz") as response:
                    if response.status == 200:
                        ready_s = time.perf_counter() - started
                        break
            except OSError:
                pass
            await asyncio.sleep(0.01)
        if ready_s is None:
            raise RuntimeError(
                f"circlebot serve was not ready: {(await server.stderr.read()).decode() if server.stderr else ''}"
            )
        cpu_at_ready = cpu_seconds(server.pid)
        await asyncio.sleep(2)
        idle = rss_mb(server.pid)
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), 30)
    return {
        "circlebot": {
            "bytecode_compiled": True,
            "import_app_s": round(import_s, 3),
            "ready_s": round(ready_s, 3),
            "cpu_s_to_ready": round(cpu_at_ready, 3),
            "rss_idle_mb": round(idle, 1),
        },
        "targets": {"ready_lt_1s": ready_s < TARGETS["ready_s"], "rss_lt_150mb": idle < TARGETS["rss_mb"]},
    }


WORKLOADS = {
    "channel": channel_workload,
    "declare": declare_workload,
    "storm": storm_workload,
    "startup": startup_workload,
}


async def run_workload(name: str, args: argparse.Namespace) -> dict[str, Any]:
    connector = Connector()
    runner = web.AppRunner(connector.application(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    service_url = f"http://127.0.0.1:{runner.addresses[0][1]}/"
    try:
        with tempfile.TemporaryDirectory(prefix="circlebot-bench-") as folder:
            database_url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
            bench = Bench(connector, service_url, Path(folder), database_url)
            async with ClientSession(connector=TCPConnector(limit=max(args.concurrency, 8))) as session:
                result = await WORKLOADS[name](bench, session, args)
    finally:
        await runner.cleanup()
    database = "postgresql" if (args.database_url or "").startswith("postgres") else "sqlite"
    header = {"workload": name, "database": database, "replicas": args.replicas}
    if name in ("channel", "declare"):
        header |= {"turns": args.turns, "concurrency": args.concurrency}
    return header | result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("workload", choices=[*WORKLOADS, "all"])
    parser.add_argument("--turns", type=int, default=1000, help="measured turns (channel, declare; default 1000)")
    parser.add_argument("--groups", type=int, default=1000, help="alert groups in the storm (default 1000)")
    parser.add_argument("--concurrency", type=int, default=8, help="users (or Alertmanagers) at once (default 8)")
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured turns first (default 50)")
    parser.add_argument(
        "--card-wait", type=float, default=10.0, help="storm: seconds after the last webhook to count cards (10)"
    )
    parser.add_argument("--replicas", type=int, choices=[1, 2], default=1, help="bot processes on one database")
    parser.add_argument(
        "--database-url", help="e.g. postgresql://… (a fresh database; default a temporary SQLite file)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.replicas > 1 and not (args.database_url or "").startswith("postgres"):
        _parser().error("--replicas 2 needs --database-url postgresql://… (SQLite serves one process)")
    for name in WORKLOADS if args.workload == "all" else [args.workload]:
        print(json.dumps(asyncio.run(run_workload(name, args))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
