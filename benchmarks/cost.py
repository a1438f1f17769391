"""What one turn costs, whatever the machine's load: CPU ms and SQL statements per turn, one turn at a time.

    python benchmarks/cost.py [--turns 200] [--database-url URL] [--only WORKLOAD] [--profile FILE]

Runs the real app in this process (relay driven by hand, no scheduler) against the tests' fake Bot
Connector, and for each workload (`help` in a channel, `/incident P3 …` in a channel with its card
delivered by the relay, one Alertmanager group opening an incident and its card) reports the CPU
milliseconds of this process (time.process_time: the bot, the fake connector and the HTTP client
together) and the SQL statements executed, per turn. Sequential on purpose: the figures judge a
change to the code, not the machine. One JSON line goes to stdout. `--only` measures one workload;
`--profile FILE` writes a cProfile of the measured turns (not the warm-up) for `pstats`/snakeviz.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import json
import logging
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.circles_file import parse_circles
from adapters.runtime import RUNTIME
from benchmarks.workloads import ALERT_TOKEN, CHANNEL_ID, CIRCLE_YAML, TEAM_ID, storm_bodies
from tests.support import activities
from tests.support.bot_app import bot_client, post_activity
from tests.support.fake_connector import FakeConnector


class StatementCounter:
    """Counts the SQL statements a database engine executes, by their first word."""

    def __init__(self) -> None:
        self.by_verb: collections.Counter[str] = collections.Counter()

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.by_verb[statement.split(None, 1)[0].upper()] += 1

    def total(self) -> int:
        return sum(self.by_verb.values())


async def measure(
    turns: int, run_one: Callable[[int], Awaitable[None]], counter: StatementCounter, profiler: cProfile.Profile | None
) -> dict[str, Any]:
    for number in range(5):  # warm caches (SQLAlchemy's statement cache, lazy imports)
        await run_one(-number - 1)
    counter.by_verb.clear()
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for number in range(turns):
        await run_one(number)
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {
        "cpu_ms_per_turn": round(cpu * 1000 / turns, 2),
        "wall_ms_per_turn": round(wall * 1000 / turns, 2),
        "statements_per_turn": round(counter.total() / turns, 2),
        "by_verb": {verb: round(count / turns, 2) for verb, count in sorted(counter.by_verb.items())},
    }


WORKLOADS = ("channel_help", "declare", "alert_group")


async def run(
    turns: int, database_url: str | None, only: Sequence[str] = WORKLOADS, profile: str | None = None
) -> dict[str, Any]:
    # Without a Teams channel reference for every circle, incidents log "install circlebot first".
    logging.disable(logging.ERROR)
    profiler = cProfile.Profile() if profile else None
    try:
        return await _run(turns, database_url, only, profiler)
    finally:
        logging.disable(logging.NOTSET)
        if profiler and profile:
            profiler.dump_stats(profile)


async def _run(
    turns: int, database_url: str | None, only: Sequence[str], profiler: cProfile.Profile | None
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite:///{Path(folder) / 'cost.db'}"
        async with (
            FakeConnector() as connector,
            bot_client(url, ALERT_WEBHOOK_TOKEN=ALERT_TOKEN) as client,
        ):
            runtime = client.app[RUNTIME]
            # The Adaptive Card schema check of the tests' connector costs more than the turn itself.
            connector.card_check.inspect = lambda *_args, **_kwargs: None  # type: ignore[method-assign]
            counter = StatementCounter()
            event.listen(runtime.database.engine.sync_engine, "before_cursor_execute", counter)
            async with runtime.uow() as uow:
                await uow.circles.apply(parse_circles(CIRCLE_YAML, "circles.yaml"), runtime.clock.now())
                await uow.commit()
            await post_activity(client, _into_bench_channel(activities.installed_in_team(connector.service_url)))

            async def channel_help(_number: int) -> None:
                message = activities.channel_message("help", connector.service_url)
                await _ok(await post_activity(client, _into_bench_channel(message)))

            async def declare(number: int) -> None:
                message = activities.channel_message(f"/incident P3 Cost {number}", connector.service_url)
                await _ok(await post_activity(client, _into_bench_channel(message)))
                await runtime.relay.drain()

            bodies = iter(storm_bodies(turns + 10, "cost"))

            async def alert_group(_number: int) -> None:
                response = await client.post(
                    "/api/alerts/alertmanager",
                    data=json.dumps(next(bodies)),
                    headers={"Authorization": f"Bearer {ALERT_TOKEN}", "Content-Type": "application/json"},
                )
                await _ok(response)
                await runtime.relay.drain()

            workloads = {"channel_help": channel_help, "declare": declare, "alert_group": alert_group}
            for name in only:
                results[name] = await measure(turns, workloads[name], counter, profiler)
    return {"benchmark": "cost", "database": url.split(":", 1)[0], "turns": turns, **results}


def _into_bench_channel(activity: dict[str, Any]) -> dict[str, Any]:
    """The tests' activities, moved into the benchmark circle's channel."""
    text = json.dumps(activity).replace(activities.CHANNEL_ID, CHANNEL_ID).replace(activities.TEAM_ID, TEAM_ID)
    moved: dict[str, Any] = json.loads(text)
    return moved


async def _ok(response: Any) -> None:
    await response.read()
    if response.status >= 300:
        raise RuntimeError(f"the bot answered {response.status}: {await response.text()}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--only", choices=WORKLOADS, action="append", help="this workload only (repeatable)")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the measured turns into FILE")
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(run(args.turns, args.database_url, args.only or WORKLOADS, args.profile))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
