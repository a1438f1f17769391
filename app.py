"""Composition root: `create_app(settings)` wires everything; `main()` is the `circlebot` CLI."""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

from adapters.start_up_gc import collection_paused, pause_until_frozen, start_up_frozen

with collection_paused():
    from aiohttp import web
    from apscheduler.triggers.interval import IntervalTrigger

    from adapters.circles_cli import CirclesConfigInvalid, add_config_commands, apply_at_startup
    from adapters.log_setup import configure_logging, request_id
    from adapters.malloc_arenas import limit_malloc_arenas
    from adapters.metrics import Metrics, metrics_middleware
    from adapters.ops_routes import add_ops_routes
    from adapters.outbox_relay import OutboxRelay
    from adapters.reports.cli import add_report_commands
    from adapters.runbooks.readiness import readiness_warnings
    from adapters.runtime import RUNTIME, Runtime
    from adapters.schedule_planner import PlanResult, SchedulePlanner
    from adapters.scheduler import LeaderScheduler
    from adapters.settings import Settings, SettingsError, load_settings
    from adapters.timer_tick import TimerTick
    from bot.feature import Feature, FeatureHost, install_features
    from bot.messenger import Messenger
    from bot.oncall.notifier import TeamsOnCallNotifier
    from bot.teams_delivery import build_teams_delivery, register_teams_handlers
    from bot.teams_notifier import TeamsNotifier
    from bot.wiring import BotComponents, install_bot
    from dialogs.activities.feature import ActivitiesFeature
    from dialogs.alerts.feature import AlertsFeature
    from dialogs.incidents.feature import IncidentsFeature
    from dialogs.oncall.feature import OnCallFeature
    from dialogs.postmortems.feature import PostmortemsFeature
    from dialogs.reports.feature import ReportsFeature
    from dialogs.runbooks.cli import check_runbooks
    from dialogs.runbooks.feature import RunbooksFeature
    from dialogs.standups.feature import StandupsFeature
    from domain.clock import Clock, SystemClock
    from domain.retry_policy import RetryPolicy
    from storage import migrate
    from storage.database import INTERACTIVE_WRITES, Database
    from storage.leader import LeaderElection
    from storage.unit_of_work import UnitOfWorkFactory

log = logging.getLogger("circlebot")

# How often the leader plans every circle's schedules again. Runs are armed a week ahead and every
# change re-plans at once, so this only moves the horizon along and catches what a crash left.
PLAN_EVERY = timedelta(minutes=10)

# Every feature of the bot, each installed once in this order; a feature comes after those it requires.
# A new feature is its packages (domain/, storage/, bot/, dialogs/, adapters/) and one line here.
FEATURES: tuple[Feature, ...] = (
    IncidentsFeature(),
    PostmortemsFeature(),
    OnCallFeature(),
    AlertsFeature(),
    ActivitiesFeature(),
    StandupsFeature(),
    ReportsFeature(),
    RunbooksFeature(),
)

# Teams requests carry at most a few KB; 256 KB bounds a hostile body without hurting real cards.
MAX_REQUEST_BYTES = 256 * 1024


def build_runtime(settings: Settings, clock: Clock | None = None) -> Runtime:
    """Every long-lived service, unstarted; create_app and the CLI share it."""
    clock = clock or SystemClock()
    database = Database(settings.database_url)
    relay_holder: list[OutboxRelay] = []
    uow = UnitOfWorkFactory(database, clock, on_outbox_commit=lambda kinds: relay_holder[0].notify(kinds))
    relay = OutboxRelay(
        database,
        {},
        clock,
        policy=RetryPolicy(max_attempts=settings.outbox_max_attempts),
        delivery_timeout=timedelta(seconds=settings.outbox_delivery_timeout),
    )
    relay_holder.append(relay)
    metrics = Metrics(database, clock)
    relay.observe(metrics.observe_delivery)
    planner = SchedulePlanner(
        uow,
        clock,
        # The Team Leader hears of runs too late to do the way they hear of other rota news.
        notifier=TeamsOnCallNotifier(TeamsNotifier(Messenger(), clock)),
        lookback=settings.plan_lookback,
        default_grace=settings.catch_up_grace,
    )
    return Runtime(
        settings=settings,
        clock=clock,
        database=database,
        uow=uow,
        relay=relay,
        timers=TimerTick(uow, {}, clock),
        scheduler=LeaderScheduler(LeaderElection(database)),
        metrics=metrics,
        planner=planner,
    )


def create_app(settings: Settings, *, clock: Clock | None = None, background: bool = True) -> web.Application:
    """The aiohttp application; `background=False` leaves relay and scheduler to the caller (tests)."""
    limit_malloc_arenas()  # before any thread of ours allocates
    runtime = build_runtime(settings, clock)
    app = web.Application(
        client_max_size=MAX_REQUEST_BYTES, middlewares=[_request_id_middleware, metrics_middleware(runtime.metrics)]
    )
    app[RUNTIME] = runtime
    add_ops_routes(app, runtime.database, runtime.metrics)
    _install_features(app, runtime, install_bot(app, runtime))
    app.cleanup_ctx.append(_database_ctx(runtime))
    if background:
        app.cleanup_ctx.append(_background_ctx(runtime))
    app.cleanup_ctx.append(start_up_frozen)  # last: freezes what every start-up step built
    return app


def _install_features(app: web.Application, runtime: Runtime, bot: BotComponents) -> None:
    """The Teams delivery every feature sends through, then every feature in FEATURES, in order."""
    settings = runtime.settings
    delivery = build_teams_delivery(
        runtime.database,
        runtime.clock,
        app_id=settings.app_id,
        app_password=settings.app_password,
        app_type=settings.app_type,
        app_tenant_id=settings.app_tenant_id,
    )
    register_teams_handlers(runtime.relay, delivery)
    app.cleanup_ctx.append(_closing(delivery.close))
    install_features(FeatureHost(app, runtime, bot, Messenger()), FEATURES)


def _closing(close: Callable[[], Any]) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context that calls `close` (sync or async) when the app stops."""

    async def closing(_app: web.Application) -> AsyncIterator[None]:
        yield
        result = close()
        if asyncio.iscoroutine(result):
            await result

    return closing


def _database_ctx(runtime: Runtime) -> Callable[[web.Application], AsyncIterator[None]]:
    async def database_ctx(_app: web.Application) -> AsyncIterator[None]:
        await asyncio.to_thread(migrate.upgrade_if_behind, runtime.database.url)
        if runtime.settings.circles_config:
            await apply_at_startup(runtime.uow, runtime.settings.circles_config)
        # Before the server listens (and so before /readyz says ready): a shift change due in the
        # next minutes, or missed while the bot was down, is armed now, not at the next periodic plan.
        log.info("%s", (await runtime.planner.plan()).summary())
        yield
        await runtime.database.dispose()

    return database_ctx


def _background_ctx(runtime: Runtime) -> Callable[[web.Application], AsyncIterator[None]]:
    async def background_ctx(_app: web.Application) -> AsyncIterator[None]:
        relay_task = asyncio.create_task(runtime.relay.run_forever(), name="outbox-relay")
        runtime.scheduler.add_leader_job(
            "timer-tick", runtime.timers.tick, IntervalTrigger(seconds=runtime.settings.tick_seconds)
        )
        runtime.scheduler.add_leader_job(
            "schedule-plan", runtime.planner.plan, IntervalTrigger(seconds=PLAN_EVERY.total_seconds())
        )
        runtime.scheduler.on_becoming_leader(runtime.planner.plan_on_taking_office)
        await runtime.scheduler.start()
        yield
        # Shutdown: the HTTP server has already let in-flight turns finish.
        await runtime.scheduler.stop()
        runtime.relay.stop()
        await relay_task

    return background_ctx


@web.middleware
async def _request_id_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    token = request_id.set(request.headers.get("X-Request-Id") or uuid.uuid4().hex[:16])
    interactive = INTERACTIVE_WRITES.set(True)  # someone is waiting for this answer
    try:
        return await handler(request)
    finally:
        INTERACTIVE_WRITES.reset(interactive)
        request_id.reset(token)


# --- the `circlebot` command line -------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"circlebot: configuration error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format, _secrets(settings))
    result: int = args.run(args, settings)
    return result


def _secrets(settings: Settings) -> list[str]:
    return [
        settings.app_password,
        settings.jira_token,
        settings.gitlab_token,
        settings.alert_webhook_token,
        settings.gitlab_webhook_token,
        settings.link_secret,
    ]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="circlebot", description="SRE circle bot for Microsoft Teams")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the bot's HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=3978)
    serve.set_defaults(run=_serve)

    db = commands.add_parser("db", help="database schema").add_subparsers(required=True, metavar="ACTION")
    db.add_parser("upgrade", help="apply pending migrations").set_defaults(run=_db_upgrade)
    revision = db.add_parser("revision", help="write a migration for changed models (developers)")
    revision.add_argument("-m", "--message", required=True)
    revision.set_defaults(run=_db_revision)

    outbox = commands.add_parser("outbox", help="external writes waiting or failed")
    outbox_actions = outbox.add_subparsers(required=True, metavar="ACTION")
    listing = outbox_actions.add_parser("list", help="newest rows first")
    listing.add_argument("--status", choices=["pending", "done", "dead"])
    listing.add_argument("--limit", type=int, default=50)
    listing.set_defaults(run=_outbox_list)
    retry = outbox_actions.add_parser("retry", help="give a dead row a fresh set of attempts")
    retry.add_argument("id", type=int)
    retry.set_defaults(run=_outbox_retry)

    add_config_commands(commands, plan_schedules=_plan_schedules, extra_warnings=(readiness_warnings,))
    add_report_commands(commands)
    runbooks = commands.add_parser("runbooks", help="runbooks in the circles' DevOps repositories")
    runbook_actions = runbooks.add_subparsers(required=True, metavar="ACTION")
    check = runbook_actions.add_parser("check", help="check every runbook: template sections, alerts, age, actions")
    check.add_argument("--circle", help="only this circle")
    check.add_argument("--notify", action="store_true", help="also tell the owners and the Team Leader in Teams")
    check.set_defaults(run=_runbooks_check)
    return parser


def startup_line(settings: Settings, host: str, port: int) -> str:
    """The one line a person reads when the server listens: where, on what, and which integrations."""
    config = str(settings.circles_config) if settings.circles_config else "none (circles from the database)"
    database = _without_password(settings.database_url)
    return (
        f"circlebot listening on http://{host}:{port}/api/messages · database {database}"
        f" · config {config} · Jira {'on' if settings.jira_enabled else 'off'}"
        f" · GitLab {'on' if settings.gitlab_enabled else 'off'}"
        + (" · anonymous (no MicrosoftAppId): playground and tests only" if settings.anonymous else "")
    )


def _without_password(url: str) -> str:
    # postgresql://user:secret@host/db -> postgresql://user:***@host/db: the line lands in logs.
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


def _plan_schedules(settings: Settings) -> str:
    """Plan every circle's schedules the way the server does at start-up, serving nothing."""

    async def run() -> PlanResult | None:
        # CIRCLEBOT_CONFIG is left out: the file just applied wins over the one the server uses.
        app = create_app(settings.model_copy(update={"circles_config": None}), background=False)
        runner = web.AppRunner(app)
        await runner.setup()  # the app's start-up: migrations, then the plan
        await runner.cleanup()
        return app[RUNTIME].planner.last_result

    result = asyncio.run(run())
    return result.summary() if result else "no schedules to plan"


def _runbooks_check(args: argparse.Namespace, settings: Settings) -> int:
    """`circlebot runbooks check`: the weekly check's findings, printed; 1 when a runbook needs attention."""

    async def run() -> list[str]:
        app = create_app(settings.model_copy(update={"circles_config": None}), background=False)
        runner = web.AppRunner(app)
        await runner.setup()
        try:
            return await check_runbooks(app[RUNTIME], circle=args.circle, notify=args.notify)
        finally:
            await runner.cleanup()

    try:
        lines = asyncio.run(run())
    except ValueError as error:
        print(f"circlebot: {error}", file=sys.stderr)
        return 2
    for line in lines:
        print(line)
    return 1 if any(line.startswith("  - ") for line in lines) else 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    line = startup_line(settings, args.host, args.port)
    pause_until_frozen()  # building the app and its start-up steps, up to /readyz
    try:
        # aiohttp calls `print` once the socket listens; its own banner is replaced by our line.
        web.run_app(
            create_app(settings),
            host=args.host,
            port=args.port,
            shutdown_timeout=30,
            print=lambda _banner: print(line, flush=True),
        )
    except CirclesConfigInvalid as error:
        print(f"circlebot: {error}", file=sys.stderr)
        return 1
    return 0


def _db_upgrade(_args: argparse.Namespace, settings: Settings) -> int:
    migrate.upgrade(settings.database_url)
    print("database schema is current")
    return 0


def _db_revision(args: argparse.Namespace, settings: Settings) -> int:
    migrate.revision(settings.database_url, args.message)
    print("new migration written under storage/migrations/versions/: review it, then commit it")
    return 0


def _outbox_list(args: argparse.Namespace, settings: Settings) -> int:
    from storage import outbox

    async def run() -> list[outbox.OutboxRow]:
        database = Database(settings.database_url)
        try:
            async with database.session() as session:
                return await outbox.list_rows(session, status=args.status, limit=args.limit)
        finally:
            await database.dispose()

    rows = asyncio.run(run())
    if not rows:
        print("outbox is empty" if not args.status else f"no {args.status} rows")
    for row in rows:
        error = f"  last error: {row.last_error}" if row.last_error else ""
        attempts = f"attempts={row.attempts}"
        print(f"{row.id:>6}  {row.status:<7} {row.kind:<28} {attempts:<12} key={row.idempotency_key}{error}")
    return 0


def _outbox_retry(args: argparse.Namespace, settings: Settings) -> int:
    from storage import outbox

    async def run() -> bool:
        database = Database(settings.database_url)
        try:
            async with database.session() as session:
                revived = await outbox.revive(session, args.id, now=SystemClock().now())
                await session.commit()
                return revived
        finally:
            await database.dispose()

    if asyncio.run(run()):
        print(f"outbox row {args.id} will be retried by the running relay")
        return 0
    print(
        f"no dead outbox row with id {args.id}; `circlebot outbox list --status dead` lists them",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
