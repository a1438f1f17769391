"""The running application's shared services, built once by app.create_app."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from adapters.metrics import Metrics
from adapters.outbox_relay import OutboxRelay
from adapters.schedule_planner import SchedulePlanner
from adapters.scheduler import LeaderScheduler
from adapters.settings import Settings
from adapters.timer_tick import TimerTick
from domain.clock import Clock
from storage.database import Database
from storage.unit_of_work import UnitOfWorkFactory


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    database: Database
    uow: UnitOfWorkFactory
    relay: OutboxRelay
    timers: TimerTick
    scheduler: LeaderScheduler
    planner: SchedulePlanner
    metrics: Metrics


RUNTIME = web.AppKey("runtime", Runtime)
