"""Replays the Jira fault scenario of issue #11 and prints the Jira issues per incident (must be 1).

    python benchmarks/jira_faults.py [--incidents 10] [--index-lag 40] [--rounds 40] [--window 60]

A local Jira (tests/support/fake_jira.py) answers like the Data Center mock behind the fault proxy
did: it finishes every first create *after* the client has given up (the response is lost), its
search shows a new issue only `--index-lag` seconds later (Jira Cloud documents its search as
eventually consistent), and on top it answers some requests with a proxy's HTML 500 page, a
plain-text 429, or drops the connection after doing the work. A relay process is "killed" (its
leased rows abandoned) half-way. The outbox retries every 5 s of a simulated clock, as in the
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

CLIENT_TIMEOUT = 0.3  # seconds; Jira's creates take three times that
RETRY_EVERY = timedelta(seconds=5)


async def replay(incidents: int, index_lag: float, rounds: int, window: float = 60.0) -> dict[str, object]:
    clock = FixedClock(START)
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'circlebot.db'}"
        migrate.upgrade(url)
        database = Database(url)
        uow = UnitOfWorkFactory(database, clock)
        async with FakeJira(search_delay=index_lag, now=lambda: clock.now().timestamp()) as jira:
            jira.create_delay = CLIENT_TIMEOUT * 3  # every create completes after the client gave up
            jira.fail_next(2, 500, only="GET /rest/api/2/search")  # the proxy's HTML page
            jira.fail_next(2, 429, retry_after=5, only="POST /rest/api/2/issue")  # plain text
            jira.lose_next_response("POST /rest/api/2/issue")  # done, then the connection drops
            tracker = JiraIssueTracker(jira.url, user=jira.user, token=jira.token, timeout=CLIENT_TIMEOUT, clock=clock)
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
                        await asyncio.sleep(CLIENT_TIMEOUT * 4)  # Jira finishes the creates it was sent
                        jira.create_delay = 0
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
