"""Prometheus metrics: one registry per app; counters and histograms as things happen, gauges read
from the database at scrape time. deploy/prometheus/circlebot-rules.yml alerts on them."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web
from aiohttp.typedefs import Middleware
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from adapters.outbox_relay import DEFAULT_CONCURRENCY, Delivery, lane_of
from domain.clock import Clock
from storage import migrate, outbox, timers
from storage.database import Database

# Teams answers in tens of milliseconds, Jira and GitLab in seconds; a hung peer hits the timeout.
DELIVERY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 60)
TURN_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
LANES = tuple(DEFAULT_CONCURRENCY)


class Metrics:
    def __init__(self, database: Database, clock: Clock) -> None:
        self._database = database
        self._clock = clock
        self.registry = CollectorRegistry()
        self.turns = Counter("circlebot_turns", "Bot Framework activities processed", ["type"], registry=self.registry)
        self.turn_seconds = Histogram(
            "circlebot_turn_seconds", "Time to process one activity", ["type"], buckets=TURN_BUCKETS,
            registry=self.registry,
        )  # fmt: skip
        self.http_responses = Counter(
            "circlebot_http_responses", "HTTP answers by route and status class (2xx, 4xx, 5xx)",
            ["route", "code"], registry=self.registry,
        )  # fmt: skip
        self.outbox_depth = Gauge("circlebot_outbox_pending", "Outbox rows waiting", registry=self.registry)
        self.outbox_oldest_age = Gauge(
            "circlebot_outbox_oldest_pending_seconds", "Age of the oldest pending row", registry=self.registry
        )
        self.outbox_dead = Gauge("circlebot_outbox_dead", "Outbox rows parked as dead", registry=self.registry)
        self.lane_pending = Gauge(
            "circlebot_outbox_lane_pending", "Outbox rows waiting, per lane", ["lane"], registry=self.registry
        )
        self.lane_dead = Gauge(
            "circlebot_outbox_lane_dead", "Outbox rows parked as dead, per lane", ["lane"], registry=self.registry
        )
        self.lane_oldest_age = Gauge(
            "circlebot_outbox_lane_oldest_pending_seconds", "Age of the oldest pending row, per lane", ["lane"],
            registry=self.registry,
        )  # fmt: skip
        self.delivery_seconds = Histogram(
            "circlebot_outbox_delivery_seconds", "Time of one delivery attempt, per lane", ["lane"],
            buckets=DELIVERY_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.deliveries = Counter(
            "circlebot_outbox_deliveries", "Delivery attempts per lane (the peer) and outcome (delivered, retry, dead)",
            ["lane", "outcome"], registry=self.registry,
        )  # fmt: skip
        self.timer_lag = Gauge(
            "circlebot_timer_lag_seconds", "How late the most overdue timer is", registry=self.registry
        )
        self.ready = Gauge(
            "circlebot_ready", "1 when the database answers and its schema is current", registry=self.registry
        )
        for lane in LANES:  # every lane is exported from the start, so rules see 0, not "no data"
            for gauge in (self.lane_pending, self.lane_dead, self.lane_oldest_age):
                gauge.labels(lane=lane).set(0)
        self._refreshers: list[Callable[[datetime], Awaitable[None]]] = []

    def add_refresher(self, refresh: Callable[[datetime], Awaitable[None]]) -> None:
        """A feature's collector that reads the database before each exposition."""
        self._refreshers.append(refresh)

    def observe_delivery(self, delivery: Delivery) -> None:
        """The relay's observer: one finished attempt."""
        self.delivery_seconds.labels(lane=delivery.lane).observe(delivery.seconds)
        self.deliveries.labels(lane=delivery.lane, outcome=delivery.outcome).inc()

    async def render(self) -> bytes:
        """Refresh the database gauges and return the Prometheus text exposition."""
        now = self._clock.now()
        try:
            async with self._database.read_session() as session:
                stats = await outbox.stats(session)
                by_kind = await outbox.stats_by_kind(session)
                oldest_due = await timers.oldest_due_at(session, now=now)
                self.ready.set(1 if await migrate.is_current_in(session) else 0)
        except Exception:
            self.ready.set(0)
            return generate_latest(self.registry)
        self.outbox_depth.set(stats.pending)
        self.outbox_dead.set(stats.dead)
        oldest = stats.oldest_pending_at
        self.outbox_oldest_age.set((now - oldest).total_seconds() if oldest else 0)
        self.timer_lag.set((now - oldest_due).total_seconds() if oldest_due else 0)
        lanes = {lane: [0, 0, 0.0] for lane in LANES}
        for kind in by_kind:
            lane = lanes.setdefault(lane_of(kind.kind), [0, 0, 0.0])
            lane[0] += kind.pending
            lane[1] += kind.dead
            if kind.oldest_pending_at is not None:
                lane[2] = max(lane[2], (now - kind.oldest_pending_at).total_seconds())
        for name, (pending, dead, age) in lanes.items():
            self.lane_pending.labels(lane=name).set(pending)
            self.lane_dead.labels(lane=name).set(dead)
            self.lane_oldest_age.labels(lane=name).set(age)
        for refresh in self._refreshers:
            await refresh(now)
        return generate_latest(self.registry)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def metrics_middleware(metrics: Metrics) -> Middleware:
    """Counts every answer by route and status class (the 5xx-rate alert reads it)."""

    @web.middleware
    async def count(request: web.Request, handler: Handler) -> web.StreamResponse:
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as error:
            status = error.status
            raise
        finally:
            resource = request.match_info.route.resource
            route = resource.canonical if resource is not None else "unmatched"
            metrics.http_responses.labels(route=route, code=f"{status // 100}xx").inc()

    return count


def timed_turns(metrics: Metrics, activity_type: str) -> Callable[[], None]:
    """Start timing a turn; call the result when it ends."""
    started = time.monotonic()
    return lambda: metrics.turn_seconds.labels(type=activity_type).observe(time.monotonic() - started)
