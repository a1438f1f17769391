"""APScheduler 3 wiring: scheduled jobs run on the leader only; the timer tick is one of them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from storage.leader import LeaderElection

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]


class LeaderScheduler:
    """An AsyncIOScheduler whose jobs do nothing unless this process leads.

    APScheduler 3 does not coordinate replicas, so every replica schedules the same jobs and
    each run first checks the PostgreSQL advisory lock (see storage.leader).
    """

    def __init__(self, leader: LeaderElection, *, leadership_check_seconds: float = 5.0) -> None:
        self.leader = leader
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._leadership_check_seconds = leadership_check_seconds
        self._jobs: dict[str, Job] = {}
        self._on_leading: list[Job] = []
        # True once this process's takeover work (see on_becoming_leader) is done; leader jobs wait for it.
        self._in_office = False
        self._taking_office = asyncio.Lock()

    def add_leader_job(self, name: str, job: Job, trigger: BaseTrigger) -> None:
        """Run `job` on `trigger`, on the leader only, never overlapping itself."""

        async def run_if_leader() -> None:
            if not self.leader.is_leader:
                return
            await self._take_office()
            try:
                await job()
            except Exception:
                log.exception("scheduled job %s failed", name, extra={"job": name})

        self._jobs[name] = run_if_leader
        self._scheduler.add_job(
            run_if_leader, trigger, id=name, name=name, max_instances=1, coalesce=True, misfire_grace_time=30
        )

    def on_becoming_leader(self, job: Job) -> None:
        """Run `job` each time this process takes leadership, before any leader job runs there."""
        self._on_leading.append(job)

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    async def run_job_now(self, name: str) -> None:
        """Run a job's leader-guarded body once, outside its trigger (CLI, tests)."""
        await self._jobs[name]()

    async def start(self) -> None:
        await self.refresh_leadership()
        self._scheduler.add_job(
            self.refresh_leadership,
            IntervalTrigger(seconds=self._leadership_check_seconds),
            id="leadership",
            max_instances=1,
            coalesce=True,
        )
        self._scheduler.start()

    async def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self._in_office = False
        await self.leader.step_down()

    async def refresh_leadership(self) -> None:
        """Take leadership if free, confirm it if held; never raises.

        On taking it, the takeover jobs run first (planning what the last leader may have left
        unplanned), so e.g. the timer tick never fires a run the planner would have skipped.
        """
        try:
            await self.leader.try_lead()
        except Exception:
            log.exception("leader election failed; not leading until the next check")
            self.leader.is_leader = False
        if not self.leader.is_leader:
            self._in_office = False
            return
        await self._take_office()

    async def _take_office(self) -> None:
        """Run the takeover jobs once per leadership, before the first leader job (whichever comes first)."""
        async with self._taking_office:
            if self._in_office:
                return
            for job in self._on_leading:
                try:
                    await job()
                except Exception:
                    log.exception("a job on becoming leader failed; leading anyway")
            self._in_office = True
