"""The activity process's voice in Teams: private cards and messages, each an outbox row on the caller's transaction.

Activity work is personal (the handbook's "one activity at a time" is each engineer's), so
everything goes to the member's 1:1 chat with the bot; without one (the bot was never opened
there) it goes to the circle's channel with an @mention instead, so nobody is left unasked.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.activities.cards import activity_card, choose_card, feedback_card, review_card
from bot.cards import Card, card_activity, text_card
from bot.conversation_target import ConversationTarget
from bot.messenger import Messenger
from domain.activities.feedback import local_date
from domain.activities.model import Activity
from domain.circle import Circle, Member
from domain.clock import Clock
from domain.ports import UnitOfWork
from storage import conversations
from storage.outbox import SqlOutbox
from storage.sent_messages import lookup

log = logging.getLogger(__name__)


def card_key(activity: Activity) -> str:
    """The outbox key of the member's card for this activity (sent once, then updated in place)."""
    return f"teams:activity:{activity.marker}:card"


class TeamsActivityNotifier:
    """Implements domain.activities.ports.ActivityNotifier with the Messenger."""

    def __init__(self, messenger: Messenger, clock: Clock) -> None:
        self._messenger = messenger
        self._clock = clock

    def card(self, activity: Activity, circle: Circle) -> Card:
        return activity_card(activity, circle, today=local_date(self._clock.now(), circle.time_zone))

    async def activity_changed(self, uow: UnitOfWork, activity: Activity, circle: Circle) -> None:
        member = circle.member(activity.owner)
        if member is None:
            return
        target = await self._personal(uow, member)
        if target is None:
            return  # no 1:1 chat yet: buttons answer with the card where they were clicked instead
        key = card_key(activity)
        sql = _sql(uow)
        # Sent before (the outbox row, or the posted message once the row is gone): update it in place.
        if not await sql.outbox.contains(key) and await lookup(sql.session, key) is None:
            self._messenger.send(uow, conversation=target, activity=card_activity(self.card(activity, circle)), key=key)
            return
        self._messenger.update(
            uow, target=target, key_of_original=key, activity=card_activity(self.card(activity, circle))
        )

    async def tell(self, uow: UnitOfWork, circle: Circle, member: Member, text: str, *, key: str) -> None:
        await self._private(uow, circle, member, {"text": text}, text, key=key)

    async def ask_feedback(
        self,
        uow: UnitOfWork,
        activity: Activity,
        circle: Circle,
        member: Member,
        prefill: str,
        *,
        key: str,
        late: str | None = None,
    ) -> None:
        today = local_date(self._clock.now(), circle.time_zone)
        note = f"This is {late}." if late else None
        card = feedback_card(activity, circle, prefill=prefill, today=today, note=note)
        await self._private(uow, circle, member, card_activity(card), f"Feedback on {activity.ref}?", key=key)

    async def ask_review(self, uow: UnitOfWork, activity: Activity, circle: Circle) -> None:
        leader = circle.member(circle.team_leader)
        if leader is None:
            log.error("circle %s has no team leader to review %s", circle.name, activity.ref)
            return
        today = local_date(self._clock.now(), circle.time_zone)
        card = review_card(activity, circle, today=today)
        key = f"teams:activity:{activity.marker}:review:{activity.revision}"
        await self._private(uow, circle, leader, card_activity(card), f"Review {activity.ref}", key=key)

    async def ask_which(self, uow: UnitOfWork, current: Activity, started: Activity, circle: Circle) -> None:
        member = circle.member(started.owner)
        if member is None:
            return
        key = f"teams:activity:{started.marker}:which:{started.revision}"
        text = f"{started.ref} was started on GitLab while {current.ref} is in progress"
        await self._private(uow, circle, member, card_activity(choose_card(current, started)), text, key=key)

    async def _personal(self, uow: UnitOfWork, member: Member) -> ConversationTarget | None:
        if not (member.teams_user_id or member.aad_object_id):
            return None
        record = await conversations.personal_conversation(
            _sql(uow).session,
            teams_user_id=member.teams_user_id,
            aad_id=None if member.teams_user_id else member.aad_object_id,
        )
        return ConversationTarget.from_dict(record.reference) if record else None

    async def _private(
        self, uow: UnitOfWork, circle: Circle, member: Member, activity: dict[str, Any], summary: str, *, key: str
    ) -> None:
        target = await self._personal(uow, member)
        if target is not None:
            self._messenger.send(uow, conversation=target, activity=activity, key=key)
            return
        record = await conversations.channel_conversation(_sql(uow).session, circle.channel_id)
        if record is None:
            log.error("cannot reach %s: no personal chat and no channel reference", member.handle)
            return
        channel = ConversationTarget.from_dict(record.reference).in_conversation(circle.channel_id)
        mention = f"<at>{member.display_name}</at> {activity.get('text') or summary}"
        card = activity["attachments"][0]["content"] if "attachments" in activity else text_card(summary)
        self._messenger.send(uow, conversation=channel, activity=card_activity(card, mention, [member]), key=key)


class _SqlUnitOfWork(UnitOfWork, Protocol):
    @property
    def outbox(self) -> SqlOutbox: ...

    @property
    def session(self) -> AsyncSession: ...


def _sql(uow: UnitOfWork) -> _SqlUnitOfWork:
    if not hasattr(uow, "session"):
        raise TypeError("the Teams activity notifier needs a SQL unit of work")
    return uow  # type: ignore[return-value]
