"""Of several replicas on PostgreSQL, exactly one runs scheduled jobs; another takes over when it stops."""

from __future__ import annotations

import asyncio

import pytest
from apscheduler.triggers.interval import IntervalTrigger

from adapters.scheduler import LeaderScheduler
from storage.database import Database
from storage.leader import LeaderElection

pytestmark = pytest.mark.postgres


async def test_exactly_one_of_two_replicas_leads_and_the_other_takes_over_when_it_stops(
    postgres_database_url: str,
) -> None:
    databases = [Database(postgres_database_url), Database(postgres_database_url)]
    first, second = (LeaderElection(db) for db in databases)
    try:
        assert await first.try_lead() is True
        assert await second.try_lead() is False
        assert await first.try_lead() is True  # leadership is sticky while held

        await first.step_down()
        assert await second.try_lead() is True
        assert await first.try_lead() is False
    finally:
        await first.step_down()
        await second.step_down()
        for db in databases:
            await db.dispose()


async def test_a_leader_whose_process_dies_is_replaced(postgres_database_url: str) -> None:
    databases = [Database(postgres_database_url), Database(postgres_database_url)]
    crashed, survivor = (LeaderElection(db) for db in databases)
    try:
        assert await crashed.try_lead()
        # The process dies: its connection goes away without an unlock.
        assert crashed._connection is not None
        await crashed._connection.invalidate()
        await crashed._connection.close()
        crashed._connection = None
        # PostgreSQL frees the lock when it notices the closed socket: allow it a moment.
        for _ in range(100):
            if await survivor.try_lead():
                break
            await asyncio.sleep(0.05)
        assert survivor.is_leader
    finally:
        await survivor.step_down()
        for db in databases:
            await db.dispose()


async def test_scheduled_jobs_run_only_on_the_leading_replica(postgres_database_url: str) -> None:
    databases = [Database(postgres_database_url), Database(postgres_database_url)]
    schedulers = [LeaderScheduler(LeaderElection(db), leadership_check_seconds=3600) for db in databases]
    runs: list[int] = []
    try:
        for index, scheduler in enumerate(schedulers):

            async def job(index: int = index) -> None:
                runs.append(index)

            scheduler.add_leader_job("probe", job, IntervalTrigger(hours=1))
            await scheduler.start()
        assert [s.leader.is_leader for s in schedulers] == [True, False]

        for scheduler in schedulers:
            await scheduler.run_job_now("probe")
        assert runs == [0]

        await schedulers[0].stop()
        await schedulers[1].refresh_leadership()
        await schedulers[1].run_job_now("probe")
        assert runs == [0, 1]
    finally:
        for scheduler in schedulers:
            await scheduler.stop()
        for db in databases:
            await db.dispose()


async def test_a_replica_taking_over_plans_before_it_runs_any_leader_job(postgres_database_url: str) -> None:
    databases = [Database(postgres_database_url), Database(postgres_database_url)]
    schedulers = [LeaderScheduler(LeaderElection(db), leadership_check_seconds=3600) for db in databases]
    events: list[str] = []
    try:
        for index, scheduler in enumerate(schedulers):

            async def plan(index: int = index) -> None:
                events.append(f"plan {index}")

            async def tick(index: int = index) -> None:
                events.append(f"tick {index}")

            scheduler.on_becoming_leader(plan)
            scheduler.add_leader_job("tick", tick, IntervalTrigger(hours=1))
            await scheduler.start()
        for scheduler in schedulers:
            await scheduler.run_job_now("tick")
        await schedulers[0].refresh_leadership()  # still leading: no second plan

        await schedulers[0].stop()
        await schedulers[1].refresh_leadership()
        await schedulers[1].run_job_now("tick")

        assert events == ["plan 0", "tick 0", "plan 1", "tick 1"]
    finally:
        for scheduler in schedulers:
            await scheduler.stop()
        for db in databases:
            await db.dispose()
