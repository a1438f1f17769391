"""The rota's voice in Teams: handover cards, reminders and Team Leader notes, as outbox rows."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from bot.conversation_target import ConversationTarget
from bot.incidents.notifier import SessionUnitOfWork, card_activity
from bot.messenger import Messenger
from bot.oncall.cards import handover_card, name_of, notes_prompt_card
from domain.circle import Circle, Member
from domain.clock import Clock
from domain.incidents.sla import humanize
from domain.oncall.handover import Handover, HandoverBrief
from domain.oncall.moments import format_local
from domain.ports import UnitOfWork
from domain.recurring import late_note
from domain.rota import Shift
from storage import conversations

log = logging.getLogger(__name__)


def handover_card_key(handover: Handover) -> str:
    """The outbox key of the incoming engineer's handover card; refreshes update it in place."""
    return f"teams:handover:{handover.id}:card"


def notes_prompt_key(handover: Handover) -> str:
    return f"teams:handover:{handover.id}:notes-prompt"


class TeamsOnCallNotifier:
    """Implements domain.oncall.ports.OnCallNotifier with the Messenger."""

    def __init__(self, messenger: Messenger, clock: Clock) -> None:
        self._messenger = messenger
        self._clock = clock

    async def ask_handover_notes(self, uow: UnitOfWork, circle: Circle, handover: Handover) -> bool:
        outgoing = circle.member(handover.outgoing) if handover.outgoing else None
        if outgoing is None:
            return False
        card = notes_prompt_card(circle, handover, self._clock.now())
        return await self._send_privately(_with_session(uow), outgoing, card_activity(card), notes_prompt_key(handover))

    async def send_handover(self, uow: UnitOfWork, circle: Circle, handover: Handover, brief: HandoverBrief) -> bool:
        session_uow = _with_session(uow)
        incoming = circle.member(handover.incoming)
        if incoming is None:
            return False
        activity = card_activity(handover_card(circle, handover, brief, self._clock.now()))
        key = handover_card_key(handover)
        if not await session_uow.outbox.contains(key):
            return await self._send_privately(session_uow, incoming, activity, key)
        target = await self._personal(session_uow, incoming)
        if target is None:
            return False
        self._messenger.update(session_uow, target=target, key_of_original=key, activity=activity)
        return True

    async def remind_handover(self, uow: UnitOfWork, circle: Circle, handover: Handover) -> bool:
        incoming = circle.member(handover.incoming)
        if incoming is None:
            return False
        since = format_local(handover.shift_start, circle.rota.zone, self._clock.now())
        text = (
            f"Reminder: please accept the {handover.layer} on-call handover of {circle.name} (your shift began "
            f"{since}). Use the card's **Accept handover** button or type `handover accept`."
        )
        return await self._send_privately(_with_session(uow), incoming, text, f"teams:handover:{handover.id}:remind")

    async def handover_accepted(self, uow: UnitOfWork, circle: Circle, handover: Handover) -> None:
        outgoing = circle.member(handover.outgoing) if handover.outgoing else None
        if outgoing is None:
            return
        text = f"{name_of(circle, handover.incoming)} accepted the {handover.layer} on-call handover of {circle.name}."
        await self._send_privately(_with_session(uow), outgoing, text, f"teams:handover:{handover.id}:accepted")

    async def remind_shift(self, uow: UnitOfWork, circle: Circle, shift: Shift, before: timedelta) -> bool:
        member = circle.member(shift.member)
        if member is None:
            return False
        now = self._clock.now()
        zone = circle.rota.zone
        text = (
            f"Heads-up: you are {shift.layer} on call for {circle.name} in {humanize(shift.start - now)}, "
            f"from {format_local(shift.start, zone, now)} to {format_local(shift.end, zone, now)} "
            f"({circle.rota.time_zone}). `/oncall` shows who is on with you."
        )
        late = late_note("shift reminder", shift.start - before, now, zone)
        if late:
            text += f" (Late: {late}.)"
        key = (
            f"teams:shift-reminder:{circle.name}:{shift.layer}:{shift.start.isoformat()}:{int(before.total_seconds())}"
        )
        return await self._send_privately(_with_session(uow), member, text, _short(key))

    async def tell_team_leader(self, uow: UnitOfWork, circle: Circle, text: str, *, key: str) -> None:
        session_uow = _with_session(uow)
        leader = circle.member(circle.team_leader)
        if leader is not None and await self._send_privately(session_uow, leader, text, _short(f"teams:tl:{key}")):
            return
        channel = await self._channel(session_uow, circle)
        if channel is not None:
            name = leader.display_name if leader else circle.team_leader
            self._messenger.send(
                session_uow, conversation=channel, activity=f"{name}: {text}", key=_short(f"teams:tl-channel:{key}")
            )

    async def ask_to_say_hi(self, uow: UnitOfWork, circle: Circle, members: Sequence[Member], *, key: str) -> None:
        session_uow = _with_session(uow)
        channel = await self._channel(session_uow, circle)
        mentionable = [m for m in members if m.teams_user_id or m.aad_object_id]
        if channel is None or not mentionable:
            return
        names = ", ".join(f"<at>{m.display_name}</at>" for m in mentionable)
        activity: dict[str, Any] = {
            "text": f"{names}: I cannot message you privately yet, so I could not reach you when you are on call. "
            "Please open a 1:1 chat with me and say hi once.",
            "entities": [
                {
                    "type": "mention",
                    "text": f"<at>{m.display_name}</at>",
                    "mentioned": {"id": m.teams_user_id or m.aad_object_id, "name": m.display_name},
                }
                for m in mentionable
            ],
        }
        self._messenger.send(session_uow, conversation=channel, activity=activity, key=_short(f"teams:{key}"))

    async def unreachable(self, uow: UnitOfWork, members: Sequence[Member]) -> list[Member]:
        session_uow = _with_session(uow)
        return [m for m in members if await self._personal(session_uow, m) is None]

    async def _send_privately(
        self, uow: SessionUnitOfWork, member: Member, activity: dict[str, Any] | str, key: str
    ) -> bool:
        target = await self._personal(uow, member)
        if target is None:
            log.info("cannot reach %s privately", member.handle, extra={"member": member.handle})
            return False
        self._messenger.send(uow, conversation=target, activity=activity, key=key)
        return True

    async def _personal(self, uow: SessionUnitOfWork, member: Member) -> ConversationTarget | None:
        if not member.teams_user_id and not member.aad_object_id:
            return None
        record = None
        if member.teams_user_id:
            record = await conversations.personal_conversation(uow.session, teams_user_id=member.teams_user_id)
        if record is None and member.aad_object_id:
            record = await conversations.personal_conversation(uow.session, aad_id=member.aad_object_id)
        return ConversationTarget.from_dict(record.reference) if record else None

    async def _channel(self, uow: SessionUnitOfWork, circle: Circle) -> ConversationTarget | None:
        record = await conversations.channel_conversation(uow.session, circle.channel_id)
        if record is None:
            log.error(
                "no conversation reference for channel %s: install circlebot in the team first", circle.channel_id
            )
            return None
        return ConversationTarget.from_dict(record.reference).in_conversation(circle.channel_id)


def _with_session(uow: UnitOfWork) -> SessionUnitOfWork:
    if not hasattr(uow, "session"):
        raise TypeError("the Teams on-call notifier needs a SQL unit of work")
    return uow  # type: ignore[return-value]


def _short(key: str) -> str:
    """Outbox keys hold 255 characters; long circle names and ISO times can come close."""
    return key if len(key) <= 200 else key[:140] + ":" + hashlib.sha256(key.encode()).hexdigest()[:32]
