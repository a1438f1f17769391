"""Stand-up morning: 1,000 members in 50 circles all due the same minute, then 1,000 answers in a minute.

    python benchmarks/standups.py [--circles 50] [--members 20] [--database-url sqlite:///...]

Against the throttling fake Bot Connector, which answers 429 like Teams above the per-tenant limit
(50 requests per second; it runs in a process of its own, as Teams runs on its own machines): the
shared planner arms every circle's stand-up, the timer tick queues 1,000 prompts and 50 summary
cards, and the outbox relay delivers them. Then every member answers
on the card (an `adaptiveCard/action` invoke POSTed to /api/messages), the arrivals spread over
one minute, and the windows close. The bot's clock runs at real speed from Tuesday 09:25 in Rome.
Checks: every prompt delivered exactly once, no request over the tenant limit (no 429), prompt
throughput at least 90 % of the allowed rate (the prompts and cards take at most 1/0.9 of the
fastest schedule the limit allows), each circle's final card says "20 of 20 answered"
with every answer, and each card's thread stayed within Teams' per-thread limits (7 per second,
60 per 30 seconds). One JSON line goes to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from sqlalchemy import create_engine, func
from sqlmodel import col, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.circles_file import parse_circles
from adapters.runtime import RUNTIME, Runtime
from adapters.settings import load_settings
from app import create_app
from bot.standups.notifier import summary_key
from domain.standups.service import REFRESH_EVERY
from storage import conversations, migrate, sent_messages
from storage.database import sync_url
from storage.outbox import PENDING, OutboxRow
from tests.support.card_check import CardCheck
from tests.support.throttling_connector import ThrottlingConnector

TENANT = "tenant-bench"
BOT_ID = "28:bench-bot"
TENANT_LIMIT = 50  # requests per second, Teams' per-app per-tenant limit
STANDUP = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)  # Tuesday 09:30 in Rome


class CardCheckAtClose(CardCheck):
    """Every card the fake connector receives is still checked against Adaptive Card 1.5, but when
    it closes: validating each one as it arrives took ~10 ms of this process's event loop per card,
    time the real Teams never takes from the bot, and the relay and the tick then ran behind it."""

    def __init__(self) -> None:
        super().__init__()
        self._received: list[tuple[str, dict[str, Any]]] = []

    def inspect(self, where: str, activity: dict[str, Any]) -> None:
        self._received.append((where, activity))

    def raise_if_any(self) -> None:
        for where, activity in self._received:
            super().inspect(where, activity)
        self._received.clear()
        super().raise_if_any()


@dataclass(frozen=True)
class TeamsState:
    """What the fake Teams received: (arrival, method, conversation) per accepted request, the
    429s it answered, and per conversation the (activity id, latest activity) of each post."""

    accepted: list[tuple[float, str, str]]
    over_limit: int
    conversations: dict[str, list[tuple[str, dict[str, Any]]]]


class FakeTeamsProcess:
    """The throttling fake connector in a process of its own. Teams is another machine: its clock
    and its arrivals do not wait for the bot's event loop or interpreter lock. Run in the bot's
    process, the fake stamped a request's arrival only when this process got round to it, so two
    requests sent a full window apart could "arrive" within one second: a 429 no real Teams gives."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(target=_serve_fake_teams, args=(child,), name="fake-teams", daemon=True)
        self.url = ""

    async def start(self) -> None:
        self._process.start()
        self.url = await self._ask(None)

    async def count(self) -> int:
        """How many requests it accepted so far."""
        return int(await self._ask("count"))

    async def state(self) -> TeamsState:
        return TeamsState(**await self._ask("state"))

    async def close(self) -> None:
        """Stop it; fails if any card it received was not valid Adaptive Card 1.5."""
        error = await self._ask("close")
        await asyncio.to_thread(self._process.join, 10)
        if error:
            raise AssertionError(error)

    async def _ask(self, command: str | None) -> Any:
        def exchange() -> Any:
            if command is not None:
                self._pipe.send(command)
            return self._pipe.recv()

        return await asyncio.to_thread(exchange)


def _serve_fake_teams(pipe: Connection) -> None:
    asyncio.run(_fake_teams(pipe))


async def _fake_teams(pipe: Connection) -> None:
    connector = ThrottlingConnector(per_second_limit=TENANT_LIMIT, card_check=CardCheckAtClose())
    await connector.start()
    pipe.send(connector.url)
    while True:
        command = await asyncio.to_thread(pipe.recv)
        if command == "count":
            pipe.send(len(connector.accepted))
        elif command == "state":
            conversations = {
                conversation: [(posted.activity_id, posted.activity) for posted in posts]
                for conversation, posts in connector.conversations.items()
            }
            pipe.send({"accepted": list(connector.accepted), "over_limit": connector.over_limit,
                       "conversations": conversations})  # fmt: skip
        else:
            try:
                await connector.close()
            except Exception as error:
                pipe.send(str(error))
            else:
                pipe.send(None)
            return


class ShiftedClock:
    """The wall clock moved to stand-up morning: it runs at real speed (the relay's retry delays and
    Teams' rate limits are real time), and `set` jumps it to a moment of the bot's day."""

    def __init__(self, start: datetime) -> None:
        self._offset = start - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def set(self, moment: datetime) -> None:
        self._offset = moment - datetime.now(UTC)


def circles_yaml(circles: int, members: int) -> str:
    lines = [
        "defaults:",
        "  time_zone: Europe/Rome",
        "  sla:",
        *(f"    P{n}: {{acknowledge: 1h, resolve: 1d, stakeholder_updates: never}}" for n in range(1, 5)),
        "circles:",
    ]
    for c in range(circles):
        lines += [
            f"  - name: circle{c}",
            "    customer: bench",
            f"    project: p{c}",
            f"    team_id: team-{c}",
            f"    channel_id: '19:circle{c}@thread.tacv2'",
            "    team_leader: m0",
            "    jira: {project: BENCH}",
            "    standup: {}",
            "    members:",
            *(f"      - {{handle: m{i}, name: Member {c}-{i}, teams_user_id: 'u-{c}-{i}'}}" for i in range(members)),
        ]
    return "\n".join(lines) + "\n"


async def store_references(runtime: Runtime, service_url: str, circles: int, members: int) -> None:
    """As if every member had said hi once and the bot was installed in every circle's team."""
    now = runtime.clock.now()
    async with runtime.uow() as uow:
        for c in range(circles):
            channel = f"19:circle{c}@thread.tacv2"
            reference = {"serviceUrl": service_url, "channelId": "msteams", "bot": {"id": BOT_ID},
                         "conversation": {"id": channel, "tenantId": TENANT, "isGroup": True,
                                          "conversationType": "channel"}}  # fmt: skip
            await conversations.save_reference(
                uow.session,
                conversations.ConversationRecord(channel, conversations.CHANNEL, service_url, reference,
                                                 channel_id=channel, team_id=f"team-{c}", tenant_id=TENANT),
                now=now,
            )  # fmt: skip
            for i in range(members):
                chat = f"a:chat-{c}-{i}"
                conversation = {"id": chat, "tenantId": TENANT, "conversationType": "personal"}
                reference = {"serviceUrl": service_url, "channelId": "msteams", "bot": {"id": BOT_ID},
                             "conversation": conversation}  # fmt: skip
                await conversations.save_reference(
                    uow.session,
                    conversations.ConversationRecord(chat, conversations.PERSONAL, service_url, reference,
                                                     tenant_id=TENANT, user_teams_id=f"u-{c}-{i}"),
                    now=now,
                )  # fmt: skip
        await uow.commit()


def answer_activity(service_url: str, c: int, i: int) -> dict[str, Any]:
    data = {"circle": f"circle{c}", "day": STANDUP.date().isoformat(),
            "yesterday": f"closed ticket {c}-{i}", "today": f"work item {c}-{i}", "blockers": "none"}  # fmt: skip
    return {
        "type": "invoke", "name": "adaptiveCard/action", "id": uuid.uuid4().hex, "channelId": "msteams",
        "serviceUrl": service_url, "from": {"id": f"u-{c}-{i}", "name": f"Member {c}-{i}"},
        "recipient": {"id": BOT_ID}, "channelData": {"tenant": {"id": TENANT}},
        "conversation": {"id": f"a:chat-{c}-{i}", "conversationType": "personal", "tenantId": TENANT},
        "value": {"action": {"type": "Action.Execute", "verb": "standup.answer", "data": data}, "trigger": "manual"},
    }  # fmt: skip


async def wait_for(reached: Callable[[], Awaitable[bool]]) -> None:
    """Poll `reached` (asking the fake Teams or the database) until it holds; the relay works meanwhile."""
    async with asyncio.timeout(600):
        while not await reached():  # noqa: ASYNC110 - the fake runs in another process: nothing to wait on
            await asyncio.sleep(0.05)


def pending_rows(url: str) -> int:
    return _outbox_rows(url, col(OutboxRow.status) == PENDING)


def _outbox_rows(url: str, *where: Any) -> int:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            count = connection.execute(select(func.count()).select_from(OutboxRow).where(*where)).scalar_one()
    finally:
        engine.dispose()
    return int(count)


async def tick_until_quiet(runtime: Runtime) -> None:
    while await runtime.timers.tick():
        pass


def max_in_window(moments: list[float], seconds: float) -> int:
    moments = sorted(moments)
    best, start = 0, 0
    for end, moment in enumerate(moments):
        while moment - moments[start] >= seconds:
            start += 1
        best = max(best, end - start + 1)
    return best


async def run(
    circles: int, members: int, database_url: str, concurrency: int, answers_seconds: float = 60.0
) -> dict[str, Any]:
    migrate.upgrade(database_url)
    if _outbox_rows(database_url):
        # Another morning's prompts and cards would be delivered too, and counted.
        raise SystemExit(f"{database_url} has been used before: the benchmark needs an empty database")
    teams = FakeTeamsProcess()
    await teams.start()
    clock = ShiftedClock(STANDUP - timedelta(minutes=5))
    app = create_app(load_settings(DATABASE_URL=database_url, _env_file=None), clock=clock, background=False)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    runtime: Runtime = app[RUNTIME]
    relay = asyncio.create_task(runtime.relay.run_forever(poll_interval=0.05))
    people = circles * members
    try:
        async with runtime.uow() as uow:
            await uow.circles.apply(parse_circles(circles_yaml(circles, members), "bench.yaml"), clock.now())
            await uow.commit()
        await store_references(runtime, teams.url, circles, members)
        await runtime.planner.plan()

        # 1. 09:30: everyone is due at once.
        clock.set(STANDUP)
        started = time.perf_counter()
        await tick_until_quiet(runtime)
        queued_seconds = time.perf_counter() - started

        async def all_received() -> bool:
            return await teams.count() >= people + circles

        await wait_for(all_received)
        first_phase = await teams.state()
        prompt_phase = sorted(moment for moment, _, _ in first_phase.accepted)
        prompt_span = prompt_phase[-1] - prompt_phase[0]
        prompts = [
            len(first_phase.conversations.get(f"a:chat-{c}-{i}", [])) for c in range(circles) for i in range(members)
        ]

        # 2. Every member answers, the arrivals spread over a minute of the bot's clock.
        async def ticking() -> None:
            while True:
                await tick_until_quiet(runtime)
                await asyncio.sleep(0.2)

        ticker = asyncio.create_task(ticking())
        order = [(c, i) for i in range(members) for c in range(circles)]
        statuses: list[int] = []
        answers_started = time.perf_counter()
        async with ClientSession() as session:
            semaphore = asyncio.Semaphore(concurrency)

            async def answer(n: int, c: int, i: int) -> None:
                # Arrivals spread evenly over a minute; at most `concurrency` turns in flight, as Teams does.
                arrival = answers_started + answers_seconds * n / len(order)
                await asyncio.sleep(max(0.0, arrival - time.perf_counter()))
                async with semaphore:
                    url = server.make_url("/api/messages")
                    async with session.post(url, json=answer_activity(teams.url, c, i)) as response:
                        statuses.append(response.status)

            await asyncio.gather(*(answer(n, c, i) for n, (c, i) in enumerate(order)))
        answers_took = time.perf_counter() - answers_started
        await asyncio.sleep(REFRESH_EVERY.total_seconds() + 1)  # the last coalesced refresh falls due

        # 3. The windows close: every card becomes final.
        ticker.cancel()
        clock.set(STANDUP + timedelta(hours=4))
        await tick_until_quiet(runtime)

        async def outbox_drained() -> bool:
            return await asyncio.to_thread(pending_rows, runtime.database.url) == 0

        await wait_for(outbox_drained)
        final = await teams.state()
        finals_ok = 0
        per_thread: dict[str, list[float]] = defaultdict(list)
        for moment, _method, conversation in final.accepted:
            if conversation.startswith("19:"):
                per_thread[conversation].append(moment)
        async with runtime.database.session() as db:
            for c in range(circles):
                sent = await sent_messages.lookup(db, summary_key(f"circle{c}", STANDUP.date()))
                posts = final.conversations.get(f"19:circle{c}@thread.tacv2", [])
                card = next((activity for posted_id, activity in posts if sent and posted_id == sent.activity_id), {})
                shown = json.dumps(card)
                every_answer = all(f"work item {c}-{i}" in shown for i in range(members))
                finals_ok += f"{members} of {members} answered \\u00b7 final" in shown and every_answer
        updates = [len(moments) - 1 for moments in per_thread.values()]
    finally:
        relay_stop = runtime.relay.stop
        relay_stop()
        await relay
        await server.close()
        await teams.close()
    # Against the fastest schedule the limit allows: request k (from 0) can leave no earlier than
    # k // 50 seconds after the first, so 1,050 requests need 20 s at best. (Requests per span
    # would flatter bursts: 50 per second sent at 0, 1, ..., 20 s is 1,050 in 20 s, "52.5/s".)
    fastest_span = (len(prompt_phase) - 1) // TENANT_LIMIT
    of_allowed = fastest_span / prompt_span if fastest_span else 1.0  # 50 or fewer: nothing to pace
    thread_1s = max((max_in_window(m, 1.0) for m in per_thread.values()), default=0)
    thread_30s = max((max_in_window(m, 30.0) for m in per_thread.values()), default=0)
    tenant_1s = max_in_window([moment for moment, _, _ in final.accepted], 1.0)
    ok = (
        all(count == 1 for count in prompts)
        and final.over_limit == 0
        and tenant_1s <= TENANT_LIMIT
        and of_allowed >= 0.9
        and finals_ok == circles
        and statuses.count(200) == people
        and thread_1s <= 7
        and thread_30s <= 60
    )
    return {
        "benchmark": "standups",
        "ok": ok,
        "circles": circles,
        "members": people,
        "prompts": {
            "delivered_exactly_once": sum(count == 1 for count in prompts),
            "requests": len(prompt_phase),
            "seconds": round(prompt_span, 2),
            "fastest_possible_seconds": fastest_span,
            "requests_per_second": round(of_allowed * TENANT_LIMIT, 1),
            "of_allowed": round(of_allowed, 3),
            "queued_by_tick_seconds": round(queued_seconds, 2),
        },
        "tenant_limit": {
            "allowed_per_second": TENANT_LIMIT,
            "max_in_any_second": tenant_1s,
            "refused_429": final.over_limit,
        },
        "answers": {"count": len(statuses), "http_200": statuses.count(200), "seconds": round(answers_took, 2)},
        "summary_cards": {
            "final_and_complete": finals_ok,
            "updates_per_card_max": max(updates, default=0),
            "updates_per_card_mean": round(sum(updates) / len(updates), 1) if updates else 0,
            "max_per_thread_in_1s": thread_1s,
            "max_per_thread_in_30s": thread_30s,
        },
    }


async def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--circles", type=int, default=50)
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--answers-seconds", type=float, default=60.0, help="the answers arrive over this long")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{Path(scratch) / 'standups.db'}"
        result = await run(args.circles, args.members, url, args.concurrency, args.answers_seconds)
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
