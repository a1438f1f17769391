"""Prometheus metrics: one registry per app, gauges read from the database at scrape time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

from domain.clock import Clock
from storage import outbox, timers
from storage.database import Database


class Metrics:
    def __init__(self, database: Database, clock: Clock) -> None:
        self._database = database
        self._clock = clock
        self.registry = CollectorRegistry()
        self.turns = Counter("circlebot_turns", "Bot Framework activities processed", ["type"], registry=self.registry)
        self.outbox_depth = Gauge("circlebot_outbox_pending", "Outbox rows waiting", registry=self.registry)
        self.outbox_oldest_age = Gauge(
            "circlebot_outbox_oldest_pending_seconds", "Age of the oldest pending row", registry=self.registry
        )
        self.outbox_dead = Gauge("circlebot_outbox_dead", "Outbox rows parked as dead", registry=self.registry)
        self.timer_lag = Gauge(
            "circlebot_timer_lag_seconds", "How late the most overdue timer is", registry=self.registry
        )
        self._refreshers: list[Callable[[datetime], Awaitable[None]]] = []

    def add_refresher(self, refresh: Callable[[datetime], Awaitable[None]]) -> None:
        """A feature's collector that reads the database before each exposition."""
        self._refreshers.append(refresh)

    async def render(self) -> bytes:
        """Refresh the database gauges and return the Prometheus text exposition."""
        now = self._clock.now()
        async with self._database.read_session() as session:
            stats = await outbox.stats(session)
            oldest_due = await timers.oldest_due_at(session, now=now)
        self.outbox_depth.set(stats.pending)
        self.outbox_dead.set(stats.dead)
        oldest = stats.oldest_pending_at
        self.outbox_oldest_age.set((now - oldest).total_seconds() if oldest else 0)
        self.timer_lag.set((now - oldest_due).total_seconds() if oldest_due else 0)
        for refresh in self._refreshers:
            await refresh(now)
        return generate_latest(self.registry)
