"""The stand-up's voice in Teams: prompts, reminders, the summary card and blocker escalations, as outbox rows."""

from __future__ import annotations

import logging
import uuid
from datetime import date
from typing import Any
from urllib.parse import quote

from bot.standups.cards import prompt_card, summary_card
from bot.teams_notifier import TeamsNotifier, card_activity, message_key
from domain.circle import Circle, Member
from domain.ports import UnitOfWork
from domain.standups.calendar import clock_time, window_closes, zone_of
from domain.standups.model import Blocker
from domain.standups.ports import PromptDraft
from domain.standups.summary import Summary

log = logging.getLogger(__name__)


def summary_key(circle: str, day: date) -> str:
    """The outbox key of the day's summary card; every refresh updates the message posted under it."""
    return message_key("standup", circle, day.isoformat(), "summary")


def prompt_key(circle: str, day: date, member: str) -> str:
    return message_key("standup", circle, day.isoformat(), member, "prompt")


class TeamsStandupNotifier:
    """Implements domain.standups.ports.StandupNotifier over the shared Teams notifier core."""

    def __init__(self, teams: TeamsNotifier) -> None:
        self._teams = teams

    async def prompt(
        self, uow: UnitOfWork, circle: Circle, member: Member, draft: PromptDraft, *, on_demand: bool = False
    ) -> bool:
        key = prompt_key(circle.name, draft.day, member.handle)
        # The scheduled prompt is sent once whatever happens; each `/standup` asks for a fresh card.
        key = f"{key}:asked:{uuid.uuid4().hex}" if on_demand else key
        return await self._teams.send_privately(uow, member, card_activity(prompt_card(draft)), key)

    async def remind(self, uow: UnitOfWork, circle: Circle, member: Member, day: date, until: str) -> bool:
        text = (
            f"Reminder: your stand-up for {circle.name} is still open until {until}. "
            "Answer on the card above, or type `standup` (`standup skip <reason>` if not today)."
        )
        key = message_key("standup", circle.name, day.isoformat(), member.handle, "remind")
        return await self._teams.send_privately(uow, member, text, key)

    async def post_summary(self, uow: UnitOfWork, circle: Circle, summary: Summary) -> None:
        channel = await self._teams.channel(uow, circle.channel_id)
        self._teams.send(uow, channel, self._summary(circle, summary), summary_key(circle.name, summary.day))

    async def update_summary(self, uow: UnitOfWork, circle: Circle, summary: Summary) -> None:
        channel = await self._teams.channel(uow, circle.channel_id)
        self._teams.update(uow, channel, summary_key(circle.name, summary.day), self._summary(circle, summary))

    async def escalate_blocker(self, uow: UnitOfWork, circle: Circle, blocker: Blocker, age: int) -> None:
        leader = circle.member(circle.team_leader)
        if leader is None:
            return
        owner = circle.member(blocker.member)
        name = owner.display_name if owner else blocker.member
        link = await self._summary_link(uow, circle, blocker.last_day)
        text = (
            f'{name}\'s blocker in {circle.name} is on day {age} of the stand-up: "{blocker.text}". '
            f"{link} Maybe it needs you."
        )
        key = message_key("standup", circle.name, "blocker", blocker.id, "escalated")
        if not await self._teams.send_privately(uow, leader, text, key):
            log.warning("cannot reach the Team Leader of %s privately about a blocker", circle.name)

    def _summary(self, circle: Circle, summary: Summary) -> dict[str, Any]:
        until = clock_time(window_closes(circle, summary.day), zone_of(circle))
        return card_activity(summary_card(summary, answers_until=until))

    async def _summary_link(self, uow: UnitOfWork, circle: Circle, day: date) -> str:
        """A deep link to the day's summary card when Teams has answered with its id, else the command."""
        activity_id = await uow.conversations.posted_activity_id(summary_key(circle.name, day))
        if activity_id is None:
            return f"`/standup summary {day.isoformat()}` shows the answer."
        url = f"https://teams.microsoft.com/l/message/{quote(circle.channel_id)}/{quote(activity_id)}"
        return f"[Open the stand-up of {day.isoformat()}]({url})."
