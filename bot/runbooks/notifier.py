"""The runbooks feature's voice in Teams: private messages and cards, each an outbox row on the caller's transaction.

Drills are personal (a member's knowledge is between them and the Team Leader), so questions and
grading cards go to 1:1 chats; a member the bot cannot reach privately is @mentioned in the circle's
channel instead, so nobody is left unasked.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from bot.cards import card_activity, text_card
from bot.runbooks.cards import check_card, grade_card, question_card, results_card
from bot.teams_notifier import TeamsNotifier, message_key
from domain.circle import Circle, Member
from domain.ports import UnitOfWork
from domain.runbooks.check import RunbookReport
from domain.runbooks.drill import Drill

log = logging.getLogger(__name__)


class TeamsRunbookNotifier:
    """Implements domain.runbooks.ports.RunbookNotifier over the shared Teams notifier core."""

    def __init__(self, teams: TeamsNotifier) -> None:
        self._teams = teams

    async def tell(self, uow: UnitOfWork, circle: Circle, member: Member, text: str, *, key: str) -> None:
        await self._private(uow, circle, member, {"text": text}, text, key=message_key(key))

    async def check_summary(
        self, uow: UnitOfWork, circle: Circle, reports: Sequence[RunbookReport], *, key: str, late: str | None
    ) -> None:
        leader = circle.member(circle.team_leader)
        if leader is None:
            return
        card = check_card(circle, reports, late=late)
        summary = f"Runbook check of {circle.name}"
        await self._private(uow, circle, leader, card_activity(card), summary, key=message_key(key))

    async def ask_question(self, uow: UnitOfWork, circle: Circle, drill: Drill, index: int) -> None:
        member = circle.member(drill.member)
        if member is None:
            return
        card = question_card(circle, drill, index)
        summary = f"Internal test: question {index + 1} of {len(drill.questions)}"
        await self._private(
            uow, circle, member, card_activity(card), summary, key=message_key("drill", drill.id, "q", index)
        )

    async def ask_grade(self, uow: UnitOfWork, circle: Circle, drill: Drill, index: int) -> None:
        leader = circle.member(circle.team_leader)
        if leader is None:
            return
        card = grade_card(circle, drill, index)
        await self._private(uow, circle, leader, card_activity(card), "An open answer to grade",
                            key=message_key("drill", drill.id, "grade", index))  # fmt: skip

    async def drill_done(self, uow: UnitOfWork, circle: Circle, drill: Drill) -> None:
        card = results_card(circle, drill)
        leader = circle.member(circle.team_leader)
        if leader is not None:
            await self._private(uow, circle, leader, card_activity(card), f"Drill #{drill.id} results",
                                key=message_key("drill", drill.id, "results"))  # fmt: skip
        member = circle.member(drill.member)
        if member is not None and member.handle != circle.team_leader:
            await self._private(uow, circle, member, card_activity(card), "Your drill results",
                                key=message_key("drill", drill.id, "results", "member"))  # fmt: skip

    async def _private(
        self, uow: UnitOfWork, circle: Circle, member: Member, activity: dict[str, Any], summary: str, *, key: str
    ) -> None:
        """To the member's 1:1 chat; without one, in the circle's channel with an @mention."""
        if await self._teams.send_privately(uow, member, activity, key):
            return
        channel = await self._teams.channel(uow, circle.channel_id)
        if channel is None:
            log.error("cannot reach %s: no personal chat and no channel reference", member.handle)
            return
        mention = f"<at>{member.display_name}</at> {activity.get('text') or summary}"
        card = activity["attachments"][0]["content"] if "attachments" in activity else text_card(summary)
        self._teams.send(uow, channel, card_activity(card, mention, [member]), key)
