"""Turn throughput: circlebot's full app against a stock botbuilder echo bot, `help` turns over HTTP.

    python benchmarks/turns.py [--turns 2000] [--concurrency 8] [--warmup 50]

Each bot runs alone in its own process (so the load generator does not share its event loop) and
answers through a local fake Bot Connector. One JSON line goes to stdout; see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import multiprocessing
import os
import signal
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

CIRCLEBOT, ECHO = "circlebot", "echo"
TARGET_RATIO = 3.0
TARGET_P99_MS = 100.0
# How long a server may take to import botbuilder, migrate its database and start listening.
SERVER_START_TIMEOUT = 120.0
TENANT_ID = "72f988bf-0000-0000-0000-00000000be4c"
BOT_ACCOUNT = {"id": "28:c0ffee00-0000-0000-0000-000000000b07", "name": "circlebot"}


@dataclass(frozen=True)
class BotFigures:
    """What one bot did in the measured run."""

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    replies: int
    cards: int

    def as_json(self) -> dict[str, Any]:
        return {
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "errors": self.errors,
            "replies": self.replies,
            "cards": self.cards,
        }


# --- the fake Bot Connector (in the load generator's process) ---------------------------------


@dataclass
class FakeConnector:
    """Answers the bot's sends and replies like Teams does, counting them."""

    replies: int = 0
    cards: int = 0
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def application(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation_id}/activities", self._answer)
        app.router.add_post("/v3/conversations/{conversation_id}/activities/{activity_id}", self._answer)
        return app

    def reset(self) -> None:
        self.replies = self.cards = 0

    async def _answer(self, request: web.Request) -> web.Response:
        activity = await request.json()
        self.replies += 1
        self.cards += bool(activity.get("attachments"))
        return web.json_response({"id": f"sent-{next(self._ids)}"})


# --- the two bots (each in its own process) ---------------------------------------------------


def _circlebot_app(database_url: str) -> web.Application:
    # Imported here so that only the server process pays for botbuilder and SQLAlchemy.
    from sqlalchemy import create_engine

    from adapters.log_setup import configure_logging
    from adapters.settings import load_settings
    from app import create_app
    from storage import migrate
    from storage.database import sync_url
    from storage.tables import metadata

    configure_logging("WARNING", "text", [], stream=sys.stderr)
    migrate.upgrade(database_url)
    # Tables of modules newer than the committed migration, as tests/support/bot_app.py does.
    engine = create_engine(sync_url(database_url))
    metadata.create_all(engine, checkfirst=True)
    engine.dispose()
    return create_app(load_settings(DATABASE_URL=database_url, _env_file=None), background=True)


def _echo_app() -> web.Application:
    """The Bot Framework echo sample: CloudAdapter + ActivityHandler, library defaults."""
    from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
    from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

    class EchoConfig:
        APP_ID = ""
        APP_PASSWORD = ""
        APP_TYPE = "MultiTenant"
        APP_TENANTID = ""

    class EchoBot(ActivityHandler):  # type: ignore[misc]
        async def on_message_activity(self, turn_context: TurnContext) -> None:
            await turn_context.send_activity(MessageFactory.text(f"Echo: {turn_context.activity.text}"))

    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(EchoConfig()))
    bot = EchoBot()

    async def messages(request: web.Request) -> web.StreamResponse:
        response: web.StreamResponse = await adapter.process(request, bot)
        return response

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    return app


def _serve(kind: str, database_url: str, ready: Connection) -> None:
    """Server process: start `kind` on a free port, send the port through `ready`, run until SIGTERM."""

    # stdout carries the one result line; whatever a server prints goes to stderr.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())

    async def serve() -> None:
        app = _circlebot_app(database_url) if kind == CIRCLEBOT else _echo_app()
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        stopped = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopped.set)
        ready.send(runner.addresses[0][1])
        await stopped.wait()
        await runner.cleanup()

    asyncio.run(serve())


class BotServer:
    """`with BotServer(kind, database_url) as url:` runs one bot in a child process."""

    def __init__(self, kind: str, database_url: str) -> None:
        context = multiprocessing.get_context("spawn")
        self._ready, child_end = context.Pipe(duplex=False)
        self._process = context.Process(target=_serve, args=(kind, database_url, child_end), daemon=True)
        self.kind = kind

    def __enter__(self) -> str:
        self._process.start()
        if not self._ready.poll(SERVER_START_TIMEOUT):
            self._stop()
            raise RuntimeError(f"the {self.kind} server did not start within {SERVER_START_TIMEOUT:.0f} s")
        port = self._ready.recv()
        return f"http://127.0.0.1:{port}/api/messages"

    def __exit__(self, *_exc: object) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(30)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()


# --- the load generator -----------------------------------------------------------------------


def help_message(activity_id: str, conversation_id: str, service_url: str) -> dict[str, Any]:
    """`help` typed in a personal chat, shaped like the activities Teams sends."""
    return {
        "type": "message",
        "id": activity_id,
        "timestamp": "2026-11-27T03:00:00.000Z",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": f"29:{conversation_id}", "name": "Benchmark user", "aadObjectId": f"aad-{conversation_id}"},
        "conversation": {"conversationType": "personal", "tenantId": TENANT_ID, "id": conversation_id},
        "recipient": BOT_ACCOUNT,
        "text": "help",
        "textFormat": "plain",
        "locale": "en-US",
        "channelData": {"tenant": {"id": TENANT_ID}},
    }


async def drive(
    session: ClientSession, url: str, service_url: str, *, turns: int, concurrency: int
) -> tuple[list[float], float, int]:
    """Send `turns` help messages from `concurrency` users at once; per-turn latencies (s), wall time, errors."""
    run = uuid.uuid4().hex[:8]
    numbers = iter(range(turns))
    latencies: list[float] = []
    errors = 0

    async def user(index: int) -> None:
        nonlocal errors
        # One conversation per simultaneous user: like people, a user waits for the answer before typing again.
        conversation_id = f"a:bench-{run}-{index}"
        for number in numbers:
            body = json.dumps(help_message(f"{run}-{number}", conversation_id, service_url))
            started = time.perf_counter()
            try:
                async with session.post(url, data=body, headers={"Content-Type": "application/json"}) as response:
                    await response.read()
                    failed = response.status >= 300
            except OSError:
                failed = True
            latencies.append(time.perf_counter() - started)
            errors += failed

    started = time.perf_counter()
    await asyncio.gather(*(user(index) for index in range(concurrency)))
    return latencies, time.perf_counter() - started, errors


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of `values` (not empty)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


async def measure(
    url: str, connector: FakeConnector, service_url: str, *, turns: int, concurrency: int, warmup: int
) -> BotFigures:
    """Warm `url` up, then time `turns` help turns at `concurrency`."""
    async with ClientSession(connector=TCPConnector(limit=concurrency)) as session:
        if warmup:
            await drive(session, url, service_url, turns=warmup, concurrency=min(concurrency, warmup))
        connector.reset()
        latencies, wall, errors = await drive(session, url, service_url, turns=turns, concurrency=concurrency)
    return BotFigures(
        rps=turns / wall,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        errors=errors,
        replies=connector.replies,
        cards=connector.cards,
    )


async def run_benchmark(
    *, turns: int, concurrency: int, warmup: int, database_url: str | None = None
) -> dict[str, Any]:
    """Both bots, one after the other, against one fake connector; the JSON-ready result.

    circlebot uses `database_url`, by default a new SQLite file that is deleted afterwards.
    """
    connector = FakeConnector()
    runner = web.AppRunner(connector.application(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    service_url = f"http://127.0.0.1:{runner.addresses[0][1]}/"
    figures: dict[str, BotFigures] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="circlebot-bench-") as folder:
            url_of_database = database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
            for kind in (CIRCLEBOT, ECHO):
                with BotServer(kind, url_of_database) as url:
                    figures[kind] = await measure(
                        url, connector, service_url, turns=turns, concurrency=concurrency, warmup=warmup
                    )
    finally:
        await runner.cleanup()
    circlebot, echo = figures[CIRCLEBOT], figures[ECHO]
    ratio = circlebot.rps / echo.rps
    return {
        "turns": turns,
        "concurrency": concurrency,
        CIRCLEBOT: circlebot.as_json(),
        ECHO: echo.as_json(),
        "ratio": round(ratio, 2),
        "targets": {"ratio_ge_3": ratio >= TARGET_RATIO, "p99_lt_100ms": circlebot.p99_ms < TARGET_P99_MS},
    }


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--turns", type=_positive, default=2000, help="measured turns per bot (default 2000)")
    parser.add_argument("--concurrency", type=_positive, default=8, help="users typing at once (default 8)")
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured turns per bot first (default 50)")
    parser.add_argument(
        "--database-url", help="circlebot's database, e.g. postgresql://… (default: a temporary SQLite file)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.database_url and not args.database_url.startswith(("sqlite:", "postgresql:", "postgres:")):
        _parser().error(f"--database-url: expected a sqlite:/// or postgresql:// URL, got {args.database_url!r}")
    result = asyncio.run(
        run_benchmark(
            turns=args.turns,
            concurrency=args.concurrency,
            warmup=max(0, args.warmup),
            database_url=args.database_url,
        )
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
