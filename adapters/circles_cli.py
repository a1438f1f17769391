"""`circlebot config validate|apply FILE`, and applying CIRCLEBOT_CONFIG at start-up."""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import sys
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from adapters.circles_file import CirclesFileError, load_circles
from adapters.oncall_checks import reachability_warnings, rota_gap_warnings
from adapters.settings import Settings
from domain.clock import SystemClock
from storage import migrate
from storage.circle_config import CirclesConfig
from storage.database import Database
from storage.unit_of_work import UnitOfWorkFactory

log = logging.getLogger("circlebot.circles")


class CirclesConfigInvalid(Exception):
    """CIRCLEBOT_CONFIG names a file that does not validate; the server must not start."""


async def apply_circles_file(uow: UnitOfWorkFactory, path: Path, *, dry_run: bool = False) -> list[str]:
    """Validate `path` and store its circles; the change lines, or ["no changes"].

    Raises CirclesFileError when the file is invalid; nothing is written then.
    """
    return await apply_circles(uow, load_circles(path), dry_run=dry_run)


async def apply_circles(uow: UnitOfWorkFactory, config: CirclesConfig, *, dry_run: bool = False) -> list[str]:
    """Store validated circles in one transaction; the change lines, or ["no changes"]."""
    try:
        return await _apply_once(uow, config, dry_run)
    except IntegrityError:
        # Another replica applied the same file at the same moment: its rows are there now, so
        # a second pass finds what is left to do (usually nothing).
        log.info("circles file applied concurrently by another process; applying again")
        return await _apply_once(uow, config, dry_run)


async def _apply_once(uow: UnitOfWorkFactory, config: CirclesConfig, dry_run: bool) -> list[str]:
    # A dry run only reads: a read-only unit of work neither waits for nor blocks SQLite's writer.
    async with uow.reader() if dry_run else uow() as unit:
        lines = await unit.circles.apply(config, uow.clock.now(), dry_run=dry_run)
        if not dry_run:
            await unit.commit()
    return lines


async def apply_at_startup(uow: UnitOfWorkFactory, path: Path) -> None:
    """Apply CIRCLEBOT_CONFIG, logging each change; CirclesConfigInvalid when it does not validate."""
    try:
        lines = await apply_circles_file(uow, path)
    except CirclesFileError as error:
        for line in error.errors:
            log.error("%s", line)
        raise CirclesConfigInvalid(
            f"CIRCLEBOT_CONFIG={path} is invalid ({len(error.errors)} error(s) logged above); "
            f"`circlebot config validate {path}` lists them"
        ) from None
    for line in lines:
        log.info("circles: %s", line)


# A feature's own warnings about a valid file (e.g. primaries not on-call ready): (config, DATABASE_URL, now).
ExtraWarnings = Callable[[CirclesConfig, str, datetime], Coroutine[Any, Any, list[str]]]


def validate_command(
    args: argparse.Namespace, settings: Settings, *, extra_warnings: tuple[ExtraWarnings, ...] = ()
) -> int:
    """`circlebot config validate FILE`: 0 when the file is valid, 1 with every error otherwise.

    Rota gaps, people the bot cannot reach yet and `extra_warnings` are warnings on stderr: they do not fail it.
    """
    try:
        config = load_circles(args.file)
    except CirclesFileError as error:
        print("\n".join(error.errors), file=sys.stderr)
        return 1
    count = len(config.circles)
    print(f"{args.file}: ok, {count} circle{'' if count == 1 else 's'}")
    now = SystemClock().now()
    warnings = rota_gap_warnings(config, now)
    warnings += asyncio.run(reachability_warnings(config, settings.database_url))
    for extra in extra_warnings:
        warnings += asyncio.run(extra(config, settings.database_url, now))
    for line in warnings:
        print(line if line.startswith("note:") else f"warning: {args.file}: {line}", file=sys.stderr)
    return 0


def apply_command(
    args: argparse.Namespace, settings: Settings, *, plan_schedules: Callable[[Settings], str] | None = None
) -> int:
    """`circlebot config apply FILE [--dry-run]`: print the changes, store them unless dry-run.

    Once stored, `plan_schedules` arms the circles' handovers and reminders at once, so a rota
    change never waits for the running bot's next periodic plan; it returns a line to print.
    """
    try:
        config = load_circles(args.file)
    except CirclesFileError as error:
        print("\n".join(error.errors), file=sys.stderr)
        return 1
    migrate.upgrade(settings.database_url)

    async def run() -> list[str]:
        database = Database(settings.database_url)
        try:
            uow = UnitOfWorkFactory(database, SystemClock())
            return await apply_circles(uow, config, dry_run=args.dry_run)
        finally:
            await database.dispose()

    for line in asyncio.run(run()):
        print(line)
    if args.dry_run:
        print("dry run: nothing was stored")
    elif plan_schedules is not None:
        print(plan_schedules(settings))
    return 0


def add_config_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    *,
    plan_schedules: Callable[[Settings], str] | None = None,
    extra_warnings: tuple[ExtraWarnings, ...] = (),
) -> None:
    """The `config` command group, wired into the circlebot CLI by app.py."""
    config = commands.add_parser("config", help="circles as code: validate or apply a circles file")
    actions = config.add_subparsers(required=True, metavar="ACTION")
    validate = actions.add_parser("validate", help="check a circles file and list every error")
    validate.add_argument("file", type=Path, metavar="FILE")
    validate.set_defaults(run=functools.partial(validate_command, extra_warnings=extra_warnings))
    apply = actions.add_parser("apply", help="store a circles file's circles and print what changed")
    apply.add_argument("file", type=Path, metavar="FILE")
    apply.add_argument("--dry-run", action="store_true", help="print the changes without storing them")
    apply.set_defaults(run=functools.partial(apply_command, plan_schedules=plan_schedules))
