"""How a feature plugs into the app: one `install(host)` that registers everything it adds.

A feature (incidents, on-call, postmortems, alerts, …) is a package per layer — `domain/<f>/`,
`storage/<f>/`, `bot/<f>/`, `dialogs/<f>/`, `adapters/<f>/` — and one `Feature` object, kept in
`dialogs/<f>/feature.py`, that `app.FEATURES` lists. `install` gets a `FeatureHost`: the running
services (settings, clock, units of work, metrics, the messenger, `teams` — the Teams notifier core
every feature's notifier is built on) and the registries a feature adds to (commands, card verbs,
channel listeners, timer kinds, recurring schedules, outbox kinds, leader jobs, HTTP routes,
cleanups). Services one feature offers another (the incident desk to postmortems and alerts) pass
through `provide`/`service` under a typed `ServiceKey`, and only from a feature named in
`requires`, which `install_features` checks is installed earlier: dependencies run one way, never
in a loop.

This lives in bot/ because the host hands out Teams pieces (command and card registries, the
messenger) as well as the runtime from adapters/; adapters/ and storage/ stay free of Teams.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar, cast

from aiohttp import web
from apscheduler.triggers.base import BaseTrigger

from adapters.metrics import Metrics
from adapters.outbox_relay import DeadRowHandler, HandlerRegistry
from adapters.runtime import Runtime
from adapters.schedule_planner import SchedulePlanner
from adapters.scheduler import Job
from adapters.settings import Settings
from adapters.timer_tick import TimerHandler
from bot.activity_handler import ChannelListener
from bot.card_actions import CardActionRegistry
from bot.commands import CommandRegistry
from bot.messenger import Messenger
from bot.teams_notifier import TeamsNotifier
from bot.wiring import BotComponents
from domain.clock import Clock
from storage.unit_of_work import UnitOfWorkFactory

T = TypeVar("T")
RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Feature(Protocol):
    """One feature of the bot, registered once at start-up."""

    @property
    def name(self) -> str:
        """Short and unique: "incidents", "oncall"; what other features name in `requires`."""
        ...

    @property
    def requires(self) -> tuple[str, ...]:
        """Features whose code or services this one uses; each must be listed before it."""
        ...

    def install(self, host: FeatureHost) -> None:
        """Register commands, card verbs, timers, outbox handlers, jobs and routes with `host`."""
        ...


@dataclass(frozen=True)
class ServiceKey(Generic[T]):
    """Names a service one feature provides to the features that require it, with its type."""

    name: str


class TimerRegistry(Protocol):
    def register(self, kind: str, handler: TimerHandler) -> None: ...


class FeatureOrderError(ValueError):
    """The feature list names a feature twice, or a feature before one it requires."""


class FeatureHost:
    """What a feature's `install` may use and register with; built once by `app.create_app`."""

    def __init__(self, app: web.Application, runtime: Runtime, bot: BotComponents, messenger: Messenger) -> None:
        self._app = app
        self._runtime = runtime
        self._bot = bot
        self._services: dict[str, object] = {}
        self.messenger = messenger
        # What every feature's notifier is built on: channel and private-chat lookup, keys, cards.
        self.teams = TeamsNotifier(messenger, runtime.clock)

    # --- the running services ---------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        return self._runtime.settings

    @property
    def clock(self) -> Clock:
        return self._runtime.clock

    @property
    def uow(self) -> UnitOfWorkFactory:
        return self._runtime.uow

    @property
    def metrics(self) -> Metrics:
        return self._runtime.metrics

    # --- what a feature registers -----------------------------------------------------------

    @property
    def commands(self) -> CommandRegistry:
        """Chat commands: `host.commands.register(Command(...))`."""
        return self._bot.commands

    @property
    def card_actions(self) -> CardActionRegistry:
        """Action.Execute verbs and Action.Submit forms: `host.card_actions.register(verb, handler)`."""
        return self._bot.card_actions

    @property
    def timers(self) -> TimerRegistry:
        """Durable timer kinds: `host.timers.register(kind, handler)`; the leader's tick runs them."""
        return self._runtime.timers

    @property
    def planner(self) -> SchedulePlanner:
        """Recurring work (domain/recurring.py): `host.planner.register(schedule)`; its runs become
        timers of the kinds registered above, planned at start-up, on a change, and caught up after
        a restart. `await host.planner.plan(circles=[name])` re-plans a circle whose rota changed."""
        return self._runtime.planner

    @property
    def outbox(self) -> HandlerRegistry:
        """Outbox row kinds the relay delivers: `host.outbox.register(kind, handler)`."""
        return self._runtime.relay

    def on_dead_row(self, handler: DeadRowHandler) -> None:
        """Be told of every outbox row the relay gives up on, to show it to the circle."""
        self._runtime.relay.on_dead(handler)

    def add_channel_listener(self, listener: ChannelListener) -> None:
        """Hear channel messages not addressed to the bot (thread notes, review comments)."""
        self._bot.bot.add_channel_listener(listener)

    def add_job(self, name: str, job: Job, trigger: BaseTrigger) -> None:
        """A scheduled job that runs on the leader replica only."""
        self._runtime.scheduler.add_leader_job(name, job, trigger)

    def add_route(self, method: str, path: str, handler: RouteHandler) -> None:
        """An HTTP endpoint beside /api/messages (webhooks, the dashboard tab)."""
        self._app.router.add_route(method, path, handler)

    def on_close(self, close: Callable[[], object]) -> None:
        """Call `close` (sync or async) when the app stops: vendor clients, connection pools."""

        async def closing(_app: web.Application) -> AsyncIterator[None]:
            yield
            result = close()
            if asyncio.iscoroutine(result):
                await result

        self._app.cleanup_ctx.append(closing)

    # --- services between features ----------------------------------------------------------

    def provide(self, key: ServiceKey[T], service: T) -> None:
        """Offer `service` to the features installed after this one."""
        if key.name in self._services:
            raise FeatureOrderError(f"service {key.name!r} is provided twice")
        self._services[key.name] = service

    def service(self, key: ServiceKey[T]) -> T:
        """A service an earlier feature provided; a missing one is a wiring mistake, said plainly."""
        if key.name not in self._services:
            raise FeatureOrderError(f"no feature provided {key.name!r}: list the feature that does earlier")
        return cast(T, self._services[key.name])


def install_features(host: FeatureHost, features: Iterable[Feature]) -> None:
    """Install `features` in order, refusing duplicates and a feature listed before one it requires."""
    installed: set[str] = set()
    for feature in features:
        if feature.name in installed:
            raise FeatureOrderError(f"feature {feature.name!r} is listed twice")
        missing = [name for name in feature.requires if name not in installed]
        if missing:
            raise FeatureOrderError(f"feature {feature.name!r} requires {', '.join(missing)}: list it earlier")
        feature.install(host)
        installed.add(feature.name)
