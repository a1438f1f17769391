"""On-call readiness from the drills: what `/oncall`, the weekly rota check and `config validate` say."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from adapters.oncall_checks import database_exists
from domain.circle import Circle
from domain.clock import Clock
from domain.ports import UnitOfWork
from domain.runbooks.readiness import tracks_readiness, unready_members, unready_primary_lines
from storage.circle_config import CirclesConfig
from storage.database import Database
from storage.runbooks.repository import SqlDrills

log = logging.getLogger(__name__)

# What `config validate` looks at, like its rota-gap check: the next four weeks.
CHECK_AHEAD = timedelta(days=28)


class DrillReadiness:
    """Implements domain.oncall.ports.Readiness on the drill table."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def unready(self, uow: UnitOfWork, circle: Circle) -> dict[str, str] | None:
        if not tracks_readiness(circle):
            return None
        return unready_members(circle, await uow.drills.last_passed(circle.name), self._clock.now())

    async def warnings(self, uow: UnitOfWork, circle: Circle, start: datetime, end: datetime) -> list[str]:
        last = await uow.drills.last_passed(circle.name)
        return unready_primary_lines(circle, last, self._clock.now(), start, end)


async def readiness_warnings(config: CirclesConfig, database_url: str, now: datetime) -> list[str]:
    """For `config validate`: primaries in the next four weeks who are not on-call ready."""
    if not any(tracks_readiness(circle) for circle in config.circles):
        return []
    if not database_exists(database_url):
        return ["note: no database yet, so I cannot tell who passed a drill (DATABASE_URL)"]
    database = Database(database_url)
    try:
        async with database.session() as session:
            drills = SqlDrills(session)
            lines = []
            for circle in config.circles:
                last = await drills.last_passed(circle.name)
                lines += [f"circle {circle.name}: {line}" for line in
                          unready_primary_lines(circle, last, now, now, now + CHECK_AHEAD)]  # fmt: skip
            return lines
    except Exception as error:  # an unmigrated or unreachable database must not fail validation
        log.debug("readiness check skipped", exc_info=True)
        return [f"note: cannot check drill readiness ({type(error).__name__}); run `circlebot db upgrade`"]
    finally:
        await database.dispose()
