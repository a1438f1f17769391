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
from bot.conversation_target import ConversationTarget
from bot.messenger import Messenger
from bot.runbooks.cards import check_card, grade_card, question_card, results_card
from domain.circle import Circle, Member
from domain.ports import UnitOfWork
from domain.runbooks.check import RunbookReport
from domain.runbooks.drill import Drill
from storage import conversations

log = logging.getLogger(__name__)


class TeamsRunbookNotifier:
    """Implements domain.runbooks.ports.RunbookNotifier with the Messenger."""

    def __init__(self, messenger: Messenger) -> None:
        self._messenger = messenger

    async def tell(self, uow: UnitOfWork, circle: Circle, member: Member, text: str, *, key: str) -> None:
        await self._private(uow, circle, member, {"text": text}, text, key=key)

    async def check_summary(
        self, uow: UnitOfWork, circle: Circle, reports: Sequence[RunbookReport], *, key: str, late: str | None
    ) -> None:
        leader = circle.member(circle.team_leader)
        if leader is None:
            return
        card = check_card(circle, reports, late=late)
        await self._private(uow, circle, leader, card_activity(card), f"Runbook check of {circle.name}", key=key)

    async def ask_question(self, uow: UnitOfWork, circle: Circle, drill: Drill, index: int) -> None:
        member = circle.member(drill.member)
        if member is None:
            return
        card = question_card(circle, drill, index)
        summary = f"Internal test: question {index + 1} of {len(drill.questions)}"
        await self._private(uow, circle, member, card_activity(card), summary, key=f"drill:{drill.id}:q{index}")

    async def ask_grade(self, uow: UnitOfWork, circle: Circle, drill: Drill, index: int) -> None:
        leader = circle.member(circle.team_leader)
        if leader is None:
            return
        card = grade_card(circle, drill, index)
        await self._private(uow, circle, leader, card_activity(card), "An open answer to grade",
                            key=f"drill:{drill.id}:grade{index}")  # fmt: skip

    async def drill_done(self, uow: UnitOfWork, circle: Circle, drill: Drill) -> None:
        card = results_card(circle, drill)
        leader = circle.member(circle.team_leader)
        if leader is not None:
            await self._private(uow, circle, leader, card_activity(card), f"Drill #{drill.id} results",
                                key=f"drill:{drill.id}:results")  # fmt: skip
        member = circle.member(drill.member)
        if member is not None and member.handle != circle.team_leader:
            await self._private(uow, circle, member, card_activity(card), "Your drill results",
                                key=f"drill:{drill.id}:results:member")  # fmt: skip

    async def _private(
        self, uow: UnitOfWork, circle: Circle, member: Member, activity: dict[str, Any], summary: str, *, key: str
    ) -> None:
        session = getattr(uow, "session", None)
        if session is None:
            raise TypeError("the Teams runbook notifier needs a SQL unit of work")
        record = None
        if member.teams_user_id or member.aad_object_id:
            record = await conversations.personal_conversation(
                session, teams_user_id=member.teams_user_id,
                aad_id=None if member.teams_user_id else member.aad_object_id,
            )  # fmt: skip
        if record is not None:
            target = ConversationTarget.from_dict(record.reference)
            self._messenger.send(uow, conversation=target, activity=activity, key=key)
            return
        channel_record = await conversations.channel_conversation(session, circle.channel_id)
        if channel_record is None:
            log.error("cannot reach %s: no personal chat and no channel reference", member.handle)
            return
        channel = ConversationTarget.from_dict(channel_record.reference).in_conversation(circle.channel_id)
        mention = f"<at>{member.display_name}</at> {activity.get('text') or summary}"
        card = activity["attachments"][0]["content"] if "attachments" in activity else text_card(summary)
        self._messenger.send(uow, conversation=channel, activity=card_activity(card, mention, [member]), key=key)
