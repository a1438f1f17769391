"""The incident process's voice in Teams: every message is an outbox row on the caller's transaction."""

from __future__ import annotations

import hashlib
import logging
from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cards import Card, truncate_for_teams
from bot.conversation_target import ConversationTarget
from bot.incidents.cards import incident_card, page_card, stakeholder_prompt, stakeholder_update_card
from bot.messenger import Messenger
from domain.circle import Circle, Member
from domain.clock import Clock
from domain.incidents.model import Incident
from domain.ports import UnitOfWork
from storage import conversations
from storage.incidents.repository import CARD_KEY_PREFIX, CARD_KEY_SUFFIX
from storage.outbox import SqlOutbox

log = logging.getLogger(__name__)


class SessionUnitOfWork(UnitOfWork, Protocol):
    """The notifier reads conversation references on the caller's own transaction (SQLite has one writer)."""

    @property
    def outbox(self) -> SqlOutbox: ...

    @property
    def session(self) -> AsyncSession: ...


def card_key(incident: Incident) -> str:
    """The outbox key of the incident's live card; updates and thread replies refer to it."""
    return f"{CARD_KEY_PREFIX}{incident.number}{CARD_KEY_SUFFIX}"


def card_activity(card: Card) -> dict[str, Any]:
    """A message activity carrying one Adaptive Card."""
    return {
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": truncate_for_teams(card)}]
    }


def mention_activity(member: Member, text: str) -> dict[str, Any] | str:
    """`<at>Name</at> text`, notifying the member; plain text when we know no id to mention."""
    account = member.teams_user_id or member.aad_object_id
    if not account:
        return f"{member.display_name}: {text}"
    tag = f"<at>{member.display_name}</at>"
    entity = {"type": "mention", "text": tag, "mentioned": {"id": account, "name": member.display_name}}
    return {"text": f"{tag} {text}", "entities": [entity]}


class TeamsIncidentNotifier:
    """Implements domain.ports.IncidentNotifier with the Messenger."""

    def __init__(self, messenger: Messenger, clock: Clock) -> None:
        self._messenger = messenger
        self._clock = clock

    async def incident_changed(self, uow: UnitOfWork, incident: Incident, circle: Circle) -> None:
        session_uow = _with_session(uow)
        target, in_thread = await self._thread(session_uow, incident, circle)
        if target is None:
            return
        if not await session_uow.outbox.contains(card_key(incident)):
            await self._post_card(session_uow, incident, circle, target, in_thread)
            return
        card = card_activity(incident_card(incident, circle, self._clock.now()))
        self._messenger.update(
            session_uow, target=target, key_of_original=card_key(incident), activity=card, in_thread=in_thread
        )

    async def _post_card(
        self,
        uow: SessionUnitOfWork,
        incident: Incident,
        circle: Circle,
        target: ConversationTarget,
        in_thread: str | None,
    ) -> None:
        """The card's first post, then a message @mentioning the commander, in that order.

        The card goes alone: a message with both text and a card may come back without an
        activity id (the playground splits it), and without an id the card cannot be updated.
        """
        card = card_activity(incident_card(incident, circle, self._clock.now()))
        if in_thread is None:
            self._messenger.send(uow, conversation=target, activity=card, key=card_key(incident))
        else:
            self._messenger.start_thread(uow, channel_target=target, activity=card, key=card_key(incident))
            in_thread = card_key(incident)
        commander = circle.member(incident.commander) if incident.commander else None
        if commander is not None:
            mention = mention_activity(commander, f"you are commander of {incident.key}.")
            self._messenger.send(
                uow, conversation=target, activity=mention, key=f"{card_key(incident)}:mention", in_thread=in_thread
            )

    async def post_card_in_thread(
        self, uow: UnitOfWork, incident: Incident, circle: Circle, card: Card, *, name: str
    ) -> None:
        """Post a card (the report, say) in the incident's thread; `name` makes its key unique."""
        session_uow = _with_session(uow)
        target, in_thread = await self._thread(session_uow, incident, circle)
        if target is not None:
            key = f"teams:incident:{incident.number}:{name}"
            self._messenger.send(
                session_uow, conversation=target, activity=card_activity(card), key=key, in_thread=in_thread
            )

    async def tell_thread(self, uow: UnitOfWork, incident: Incident, circle: Circle, text: str) -> None:
        session_uow = _with_session(uow)
        target, in_thread = await self._thread(session_uow, incident, circle)
        if target is None:
            return
        key = f"teams:incident:{incident.number}:say:{len(incident.timeline)}:{_digest(text)}"
        self._messenger.send(session_uow, conversation=target, activity=text, key=key, in_thread=in_thread)

    async def page(self, uow: UnitOfWork, incident: Incident, circle: Circle, member: Member, reason: str) -> None:
        session_uow = _with_session(uow)
        # For a P1 the card says whom to phone: the person paged ("strong criticality" engagement).
        call = member if incident.severity.value == "P1" else None
        activity = card_activity(page_card(incident, member, reason, call=call))
        key = f"teams:incident:{incident.number}:page:{member.handle}:{len(incident.timeline)}"
        if not await self._send_privately(session_uow, member, activity, key):
            phone = f" — call {member.phone}" if member.phone else ""
            await self.tell_thread(
                uow, incident, circle, f"I cannot message {member.display_name} privately yet{phone}."
            )

    async def tell_team_leader(self, uow: UnitOfWork, circle: Circle, text: str, *, key: str) -> None:
        """Tell the circle's Team Leader privately, else in the circle's channel; `key` makes it once."""
        session_uow = _with_session(uow)
        leader = circle.member(circle.team_leader)
        if leader is not None and await self._send_privately(
            session_uow, leader, mention_activity(leader, text), f"teams:{key}"
        ):
            return
        channel = await self._channel(session_uow, circle.channel_id)
        if channel is not None:
            name = leader.display_name if leader else circle.team_leader
            self._messenger.send(session_uow, conversation=channel, activity=f"{name}: {text}", key=f"teams:{key}")

    async def tell_privately(
        self, uow: UnitOfWork, incident: Incident, circle: Circle, member: Member, text: str, *, key: str
    ) -> None:
        """A private message (the outbox's idempotency key makes it once); the thread if we cannot."""
        session_uow = _with_session(uow)
        if await self._send_privately(session_uow, member, mention_activity(member, text), f"teams:{key}"):
            return
        target, in_thread = await self._thread(session_uow, incident, circle)
        if target is not None:
            self._messenger.send(
                session_uow,
                conversation=target,
                activity=mention_activity(member, text),
                key=f"teams:{key}",
                in_thread=in_thread,
            )

    async def ask_stakeholder_update(
        self, uow: UnitOfWork, incident: Incident, circle: Circle, draft: str, overdue: bool
    ) -> None:
        session_uow = _with_session(uow)
        activity = card_activity(stakeholder_prompt(incident, draft, overdue=overdue))
        generation = sum(1 for e in incident.timeline if e.kind == "stakeholder_update")
        key = f"teams:incident:{incident.number}:stakeholder-prompt:{generation}:{len(incident.timeline)}:{overdue}"
        commander = circle.member(incident.commander) if incident.commander else None
        if commander and await self._send_privately(session_uow, commander, activity, key):
            return
        target, in_thread = await self._thread(session_uow, incident, circle)
        if target is not None:
            self._messenger.send(session_uow, conversation=target, activity=activity, key=key, in_thread=in_thread)

    async def post_stakeholder_update(self, uow: UnitOfWork, incident: Incident, circle: Circle, text: str) -> None:
        session_uow = _with_session(uow)
        channel = await self._channel(session_uow, circle.stakeholder_channel_id or circle.channel_id)
        if channel is None:
            return
        generation = sum(1 for e in incident.timeline if e.kind == "stakeholder_update")
        activity = card_activity(stakeholder_update_card(incident, circle, text, self._clock.now()))
        key = f"teams:incident:{incident.number}:stakeholder-update:{generation}"
        self._messenger.start_thread(session_uow, channel_target=channel, activity=activity, key=key)

    async def _thread(
        self, uow: SessionUnitOfWork, incident: Incident, circle: Circle
    ) -> tuple[ConversationTarget | None, str | None]:
        """Where the incident is discussed: its known thread, or the one its card opens."""
        channel = await self._channel(uow, circle.channel_id)
        if channel is None:
            return None, None
        thread = await uow.incidents.thread_of(incident.number)
        if thread:
            return channel.in_conversation(thread), None
        return channel, card_key(incident)

    async def _channel(self, uow: SessionUnitOfWork, channel_id: str) -> ConversationTarget | None:
        record = await conversations.channel_conversation(uow.session, channel_id)
        if record is None:
            log.error(
                "no conversation reference for channel %s: install circlebot in the team first",
                channel_id,
                extra={"channel_id": channel_id},
            )
            return None
        return ConversationTarget.from_dict(record.reference).in_conversation(channel_id)

    async def _send_privately(
        self, uow: SessionUnitOfWork, member: Member, activity: dict[str, Any] | str, key: str
    ) -> bool:
        if not member.teams_user_id and not member.aad_object_id:
            return False
        record = await conversations.personal_conversation(
            uow.session,
            teams_user_id=member.teams_user_id,
            aad_id=None if member.teams_user_id else member.aad_object_id,
        )
        if record is None:
            return False
        self._messenger.send(
            uow, conversation=ConversationTarget.from_dict(record.reference), activity=activity, key=key
        )
        return True


def _with_session(uow: UnitOfWork) -> SessionUnitOfWork:
    if not hasattr(uow, "session"):
        raise TypeError("the Teams notifier needs a SQL unit of work")
    return uow  # type: ignore[return-value]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]
