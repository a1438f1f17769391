"""The rota's voice in Teams: handover cards, reminders and Team Leader notes, as outbox rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.cards import mention_entity
from bot.oncall.cards import handover_card, name_of, notes_prompt_card
from bot.teams_notifier import TeamsNotifier, card_activity, mentionable, message_key
from domain.circle import Circle, Member
from domain.incidents.sla import time_left
from domain.local_time import format_moment
from domain.oncall.handover import Handover, HandoverBrief
from domain.ports import UnitOfWork
from domain.recurring import late_note
from domain.rota import Shift


def handover_card_key(handover: Handover) -> str:
    """The outbox key of the incoming engineer's handover card; refreshes update it in place."""
    return message_key("handover", handover.id, "card")


def notes_prompt_key(handover: Handover) -> str:
    return message_key("handover", handover.id, "notes-prompt")


class TeamsOnCallNotifier:
    """Implements domain.oncall.ports.OnCallNotifier over the shared Teams notifier core."""

    def __init__(self, teams: TeamsNotifier) -> None:
        self._teams = teams

    async def ask_handover_notes(self, uow: UnitOfWork, circle: Circle, handover: Handover) -> bool:
        outgoing = circle.member(handover.outgoing) if handover.outgoing else None
        if outgoing is None:
            return False
        card = notes_prompt_card(circle, handover, self._teams.clock.now())
        return await self._teams.send_privately(uow, outgoing, card_activity(card), notes_prompt_key(handover))

    async def send_handover(self, uow: UnitOfWork, circle: Circle, handover: Handover, brief: HandoverBrief) -> bool:
        incoming = circle.member(handover.incoming)
        if incoming is None:
            return False
        activity = card_activity(handover_card(circle, handover, brief, self._teams.clock.now()))
        key = handover_card_key(handover)
        if not await self._teams.posted(uow, key):
            return await self._teams.send_privately(uow, incoming, activity, key)
        target = await self._teams.personal(uow, incoming)
        if target is None:
            return False
        self._teams.update(uow, target, key, activity)
        return True

    async def remind_handover(self, uow: UnitOfWork, circle: Circle, handover: Handover) -> bool:
        incoming = circle.member(handover.incoming)
        if incoming is None:
            return False
        since = format_moment(handover.shift_start, circle.rota.zone, self._teams.clock.now())
        text = (
            f"Reminder: please accept the {handover.layer} on-call handover of {circle.name} (your shift began "
            f"{since}). Use the card's **Accept handover** button or type `handover accept`."
        )
        return await self._teams.send_privately(uow, incoming, text, message_key("handover", handover.id, "remind"))

    async def handover_accepted(self, uow: UnitOfWork, circle: Circle, handover: Handover) -> None:
        outgoing = circle.member(handover.outgoing) if handover.outgoing else None
        if outgoing is None:
            return
        text = f"{name_of(circle, handover.incoming)} accepted the {handover.layer} on-call handover of {circle.name}."
        await self._teams.send_privately(uow, outgoing, text, message_key("handover", handover.id, "accepted"))

    async def remind_shift(self, uow: UnitOfWork, circle: Circle, shift: Shift, before: timedelta) -> bool:
        member = circle.member(shift.member)
        if member is None:
            return False
        now = self._teams.clock.now()
        zone = circle.rota.zone
        text = (
            f"Heads-up: you are {shift.layer} on call for {circle.name} in {time_left(shift.start - now)}, "
            f"from {format_moment(shift.start, zone, now)} to {format_moment(shift.end, zone, now)}. "
            f"`/oncall` shows who is on with you."
        )
        late = late_note("shift reminder", shift.start - before, now, zone)
        if late:
            text += f" (Late: {late}.)"
        key = message_key(
            "shift-reminder", circle.name, shift.layer, shift.start.isoformat(), int(before.total_seconds())
        )
        return await self._teams.send_privately(uow, member, text, key)

    async def tell_team_leader(self, uow: UnitOfWork, circle: Circle, text: str, *, key: str) -> None:
        leader = circle.member(circle.team_leader)
        if leader is not None and await self._teams.send_privately(uow, leader, text, message_key("tl", key)):
            return
        channel = await self._teams.channel(uow, circle.channel_id)
        name = leader.display_name if leader else circle.team_leader
        self._teams.send(uow, channel, f"{name}: {text}", message_key("tl-channel", key))

    async def ask_to_say_hi(self, uow: UnitOfWork, circle: Circle, members: Sequence[Member], *, key: str) -> None:
        reachable = mentionable(members)
        if not reachable:
            return
        channel = await self._teams.channel(uow, circle.channel_id)
        names = ", ".join(f"<at>{m.display_name}</at>" for m in reachable)
        activity = {
            "text": f"{names}: I cannot message you privately yet, so I could not reach you when you are on call. "
            "Please open a 1:1 chat with me and say hi once.",
            "entities": [mention_entity(m) for m in reachable],
        }
        self._teams.send(uow, channel, activity, message_key(key))

    async def unreachable(self, uow: UnitOfWork, members: Sequence[Member]) -> list[Member]:
        return [m for m in members if await self._teams.personal(uow, m) is None]
