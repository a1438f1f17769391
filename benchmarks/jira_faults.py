"""Replays the Jira fault scenario of issue #11 and prints the Jira issues per incident (must be 1).

    python benchmarks/jira_faults.py [--incidents 10] [--index-lag 40] [--rounds 40] [--window 60]

A local Jira (tests/support/fake_jira.py) sits behind a fault-injecting proxy
(tests/support/fault_proxy.py), as the Data Center mock did in the report. The proxy answers
two creates with a plain-text 429 (nothing made), drops one connection after Jira made the issue,
answers every other first create *after* the client has given up (Jira did the work; the answer
is late), and sends a gateway's HTML 500 instead of two searches. Jira's search shows a new issue only `--index-lag`
seconds later (Jira Cloud documents its search as eventually consistent). A relay is "killed"
with rows leased. The outbox retries every 5 s of a simulated clock, as in the
report ("the retry's label search, 5 s later, does not see it yet"). It prints one JSON line:

    {"incidents": 10, "issues_per_incident": {"INC-1": 1, …}, "creates_sent": 10, "duplicates_closed": 0,
     "exactly_one": true}

and exits 1 unless every incident has exactly one open issue. `--window 0` turns the consistency
window off, which is the behaviour before the fix: incidents get two issues again.
tests/unit/test_benchmark_jira_faults.py runs it small, so a regression is caught by the suite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.jira.delivery import register_jira_handlers
from adapters.jira.tracker import DUPLICATE_LABEL, JiraIssueTracker
from adapters.outbox_relay import OutboxRelay
from domain.clock import FixedClock
from domain.incidents.issue_tracker import CreateIssue, incident_label, queue_issue_request
from storage import migrate, outbox
from storage.database import Database
from storage.unit_of_work import UnitOfWorkFactory
from tests.conftest import START
from tests.support.fake_jira import FakeJira
from tests.support.fault_proxy import FaultProxy

CLIENT_TIMEOUT = 0.3  # seconds; Jira's creates take three times that
RETRY_EVERY = timedelta(seconds=5)


async def replay(incidents: int, index_lag: float, rounds: int, window: float = 60.0) -> dict[str, object]:
    clock = FixedClock(START)
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'circlebot.db'}"
        migrate.upgrade(url)
        database = Database(url)
        uow = UnitOfWorkFactory(database, clock)
        async with (
            FakeJira(search_delay=index_lag, now=lambda: clock.now().timestamp()) as jira,
            FaultProxy(jira.url) as proxy,
        ):
            # Rules apply in order: the first creates are refused, the next dropped, the rest late.
            proxy.refuse("POST /rest/api/2/issue", 429, times=2, retry_after=5)  # plain text, nothing made
            proxy.drop("POST /rest/api/2/issue")  # made, then the connection drops
            proxy.late("POST /rest/api/2/issue", CLIENT_TIMEOUT * 3, times=incidents)  # made, answered too late
            proxy.refuse("GET /rest/api/2/search", 500, times=2)  # the gateway's HTML page
            tracker = JiraIssueTracker(proxy.url, user=jira.user, token=jira.token, timeout=CLIENT_TIMEOUT, clock=clock)
            try:
                async with uow() as work:
                    for number in range(1, incidents + 1):
                        queue_issue_request(
                            work.outbox,
                            CreateIssue(
                                incident=f"INC-{number}", project="DEMO", issue_type="Incident",
                                summary=f"INC-{number} [P1] Checkout returns 500s", priority="Highest",
                            ),
                        )  # fmt: skip
                    await work.commit()
                await _killed_relay(database, clock)
                relay = OutboxRelay(database, {}, clock)
                register_jira_handlers(relay, tracker, clock=clock, consistency_window=timedelta(seconds=window))
                for round_number in range(rounds):
                    await relay.run_once()
                    if round_number == 0:
                        await asyncio.sleep(CLIENT_TIMEOUT * 4)  # the late answers go out to nobody
                    clock.advance(RETRY_EVERY)
                async with database.read_session() as session:
                    pending = (await outbox.stats(session)).pending
            finally:
                tracker.close()
                await database.dispose()
            counts = {
                f"INC-{n}": len(jira.open_issues_labelled(incident_label(f"INC-{n}"))) for n in range(1, incidents + 1)
            }
            return {
                "incidents": incidents,
                "index_lag_s": index_lag,
                "issues_per_incident": counts,
                "faults_injected": len(proxy.faults_injected),
                "creates_sent": jira.creates,
                # Issues made twice and then closed as duplicates (with a link to the original).
                "duplicates_closed": len(jira.issues_labelled(DUPLICATE_LABEL)),
                "rows_pending": pending,
                "exactly_one": all(count == 1 for count in counts.values()),
            }


async def _killed_relay(database: Database, clock: FixedClock) -> None:
    """A relay that leased the first rows and was killed -9 before delivering any."""
    async with database.session() as session:
        await outbox.claim_due(
            session, now=clock.now(), lease_until=clock.now() + timedelta(seconds=50), owner="killed", limit=3
        )
        await session.commit()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=10)
    parser.add_argument("--index-lag", type=float, default=40.0, help="seconds until search shows a new issue")
    parser.add_argument("--rounds", type=int, default=40, help="relay rounds, 5 simulated seconds apart")
    parser.add_argument("--window", type=float, default=60.0, help="TRACKER_CONSISTENCY_WINDOW in seconds")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.CRITICAL)
    result = asyncio.run(replay(args.incidents, args.index_lag, args.rounds, args.window))
    print(json.dumps(result))
    return 0 if result["exactly_one"] else 1


if __name__ == "__main__":
    sys.exit(main())
