"""The activity process's voice in Teams: private cards and messages, each an outbox row on the caller's transaction.

Activity work is personal (the handbook's "one activity at a time" is each engineer's), so
everything goes to the member's 1:1 chat with the bot; without one (the bot was never opened
there) it goes to the circle's channel with an @mention instead, so nobody is left unasked.
"""

from __future__ import annotations

import logging

from bot.activities.cards import activity_card, choose_card, feedback_card, review_card
from bot.cards import Card, card_activity
from bot.teams_notifier import TeamsNotifier, message_key
from domain.activities.feedback import local_date
from domain.activities.model import Activity
from domain.circle import Circle, Member
from domain.ports import UnitOfWork

log = logging.getLogger(__name__)


def card_key(activity: Activity) -> str:
    """The outbox key of the member's card for this activity (sent once, then updated in place)."""
    return message_key("activity", activity.marker, "card")


class TeamsActivityNotifier:
    """Implements domain.activities.ports.ActivityNotifier over the shared Teams notifier core."""

    def __init__(self, teams: TeamsNotifier) -> None:
        self._teams = teams

    def card(self, activity: Activity, circle: Circle) -> Card:
        return activity_card(activity, circle, today=local_date(self._teams.clock.now(), circle.time_zone))

    async def activity_changed(self, uow: UnitOfWork, activity: Activity, circle: Circle) -> None:
        member = circle.member(activity.owner)
        if member is None:
            return
        target = await self._teams.personal(uow, member)
        if target is None:
            return  # no 1:1 chat yet: buttons answer with the card where they were clicked instead
        key = card_key(activity)
        card = card_activity(self.card(activity, circle))
        if await self._teams.posted(uow, key):
            self._teams.update(uow, target, key, card)
        else:
            self._teams.send(uow, target, card, key)

    async def tell(self, uow: UnitOfWork, circle: Circle, member: Member, text: str, *, key: str) -> None:
        await self._teams.to_member(uow, circle, member, {"text": text}, text, key=key)

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
        today = local_date(self._teams.clock.now(), circle.time_zone)
        note = f"This is {late}." if late else None
        card = feedback_card(activity, circle, prefill=prefill, today=today, note=note)
        await self._teams.to_member(uow, circle, member, card_activity(card), f"Feedback on {activity.ref}?", key=key)

    async def ask_review(self, uow: UnitOfWork, activity: Activity, circle: Circle) -> None:
        leader = circle.member(circle.team_leader)
        if leader is None:
            log.error("circle %s has no team leader to review %s", circle.name, activity.ref)
            return
        today = local_date(self._teams.clock.now(), circle.time_zone)
        card = review_card(activity, circle, today=today)
        key = message_key("activity", activity.marker, "review", activity.revision)
        await self._teams.to_member(uow, circle, leader, card_activity(card), f"Review {activity.ref}", key=key)

    async def ask_which(self, uow: UnitOfWork, current: Activity, started: Activity, circle: Circle) -> None:
        member = circle.member(started.owner)
        if member is None:
            return
        key = message_key("activity", started.marker, "which", started.revision)
        text = f"{started.ref} was started on GitLab while {current.ref} is in progress"
        await self._teams.to_member(uow, circle, member, card_activity(choose_card(current, started)), text, key=key)
