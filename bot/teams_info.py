"""TeamsInfo calls that botbuilder 4.17.1 makes with a blocking HTTP client, run off the event loop.

`TeamsInfo.get_team_details`, `get_team_channels`, `get_meeting_participant` and `get_meeting_info`
are `async def` but call the synchronous msrest TeamsConnectorClient (requests) inside: one slow
answer from Teams would stall every other turn. These wrappers do the same calls in a thread.
Use them instead of TeamsInfo for those four; TeamsInfo's member calls are truly async.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema.teams import ChannelInfo, MeetingInfo, TeamDetails, TeamsMeetingParticipant
from botframework.connector.teams import TeamsConnectorClient

T = TypeVar("T")


class NotInATeam(ValueError):
    """The turn is not in a team and no team id was given."""


async def get_team_details(turn_context: TurnContext, team_id: str = "") -> TeamDetails:
    """The team's name, AAD group id and counts, as TeamsInfo.get_team_details."""
    team = _team_id(turn_context, team_id)
    return await _in_thread(turn_context, lambda teams: teams.get_team_details(team))


async def get_team_channels(turn_context: TurnContext, team_id: str = "") -> list[ChannelInfo]:
    """The team's channels, as TeamsInfo.get_team_channels."""
    team = _team_id(turn_context, team_id)
    return await _in_thread(turn_context, lambda teams: list(teams.get_teams_channels(team).conversations or []))


async def get_meeting_participant(
    turn_context: TurnContext, meeting_id: str, participant_id: str, tenant_id: str
) -> TeamsMeetingParticipant:
    """A meeting participant's role and status, as TeamsInfo.get_meeting_participant."""
    return await _in_thread(turn_context, lambda teams: teams.fetch_participant(meeting_id, participant_id, tenant_id))


async def get_meeting_info(turn_context: TurnContext, meeting_id: str) -> MeetingInfo:
    """A meeting's details, as TeamsInfo.get_meeting_info."""
    return await _in_thread(turn_context, lambda teams: teams.fetch_meeting(meeting_id))


def _team_id(turn_context: TurnContext, team_id: str) -> str:
    team = team_id or TeamsInfo.get_team_id(turn_context)
    if not team:
        raise NotInATeam("this only works in a team channel (or with a team id)")
    return str(team)


# Its own few threads, never the default pool: a slow Teams API must not starve anything else.
_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="teams-info")


async def _in_thread(turn_context: TurnContext, call: Callable[[Any], T]) -> T:
    connector = turn_context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)
    if connector is None:
        raise ValueError("this needs a turn with a connector client")
    credentials, service_url = connector.config.credentials, turn_context.activity.service_url

    def blocking() -> T:
        # Built in the thread too: constructing an msrest client is itself milliseconds of CPU.
        return call(TeamsConnectorClient(credentials, service_url).teams)

    return await asyncio.get_running_loop().run_in_executor(_executor, blocking)
