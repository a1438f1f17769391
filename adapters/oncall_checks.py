"""Rota checks for `circlebot config validate`: gaps in the rota, people the bot cannot reach yet."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.circle import Circle, Member, Role
from domain.oncall.model import gap_lines
from storage import conversations
from storage.circle_config import CirclesConfig
from storage.database import Database, sync_url

log = logging.getLogger(__name__)

# What `config validate` looks at: the next four weeks, enough to see a missing rotation.
CHECK_AHEAD = timedelta(days=28)


def rota_gap_warnings(config: CirclesConfig, now: datetime) -> list[str]:
    """One line per rota gap (nobody primary on call) in the next four weeks."""
    return [
        f"circle {circle.name}: {line}"
        for circle in config.circles
        for line in gap_lines(circle.rota, now, now + CHECK_AHEAD)
    ]


async def reachability_warnings(config: CirclesConfig, database_url: str) -> list[str]:
    """People of each circle with no stored 1:1 conversation; a note instead when the database cannot tell."""
    if not database_exists(database_url):
        return ["note: no database yet, so I cannot tell who has said hi to the bot (DATABASE_URL)"]
    database = Database(database_url)
    try:
        async with database.session() as session:
            lines = []
            for circle in config.circles:
                missing = [m.display_name for m in _people(circle) if not await _reachable(session, m)]
                if missing:
                    lines.append(
                        f"circle {circle.name}: the bot cannot message {', '.join(missing)} privately yet; "
                        "ask them to say hi to it once in a 1:1 chat"
                    )
            return lines
    except Exception as error:  # an unmigrated or unreachable database must not fail validation
        log.debug("reachability check skipped", exc_info=True)
        return [f"note: cannot check who has said hi to the bot ({type(error).__name__}); run `circlebot db upgrade`"]
    finally:
        await database.dispose()


def _people(circle: Circle) -> list[Member]:
    return [m for m in circle.members if m.role is not Role.STAKEHOLDER]


async def _reachable(session: AsyncSession, member: Member) -> bool:
    if member.teams_user_id and await conversations.personal_conversation(session, teams_user_id=member.teams_user_id):
        return True
    if member.aad_object_id:
        return await conversations.personal_conversation(session, aad_id=member.aad_object_id) is not None
    return False


def database_exists(database_url: str) -> bool:
    # Opening a SQLite URL creates the file: validating must not leave an empty database behind.
    url = make_url(sync_url(database_url))
    if url.get_backend_name() != "sqlite":
        return True
    path = url.database or ""
    return path not in ("", ":memory:") and Path(path).exists()
