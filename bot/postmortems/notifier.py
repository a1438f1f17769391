"""The postmortem process's voice in Teams: every message is an outbox row on the caller's transaction."""

from __future__ import annotations

import hashlib
import logging
from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cards import card_activity
from bot.conversation_target import ConversationTarget
from bot.messenger import Messenger
from bot.postmortems.cards import postmortem_card
from domain.circle import Circle, Member
from domain.clock import Clock
from domain.ports import UnitOfWork
from domain.postmortems.model import Postmortem
from domain.postmortems.schedule import local_date
from storage import conversations
from storage.outbox import SqlOutbox
from storage.postmortems.repository import card_key

log = logging.getLogger(__name__)


class _SessionUnitOfWork(UnitOfWork, Protocol):
    @property
    def outbox(self) -> SqlOutbox: ...

    @property
    def session(self) -> AsyncSession: ...


class TeamsPostmortemNotifier:
    """Implements domain.postmortems.service.PostmortemNotifier with the Messenger.

    The card opens a thread in the circle's channel (the review thread); later messages reply there.
    """

    def __init__(self, messenger: Messenger, clock: Clock, *, gitlab_enabled: bool) -> None:
        self._messenger = messenger
        self._clock = clock
        self._gitlab_enabled = gitlab_enabled

    def card(self, postmortem: Postmortem, circle: Circle) -> dict[str, Any]:
        """The postmortem card as it should look now."""
        today = local_date(self._clock.now(), circle.time_zone)
        return postmortem_card(postmortem, circle, gitlab_enabled=self._gitlab_enabled, today=today)

    async def postmortem_changed(self, uow: UnitOfWork, postmortem: Postmortem, circle: Circle) -> None:
        session_uow = _with_session(uow)
        channel = await self._channel(session_uow, circle)
        if channel is None:
            return
        key = card_key(postmortem.incident_number)
        if not await session_uow.outbox.contains(key):
            owner = circle.member(postmortem.owner)
            text = f"<at>{owner.display_name}</at> you own this postmortem." if owner else None
            activity = card_activity(self.card(postmortem, circle), text, [owner] if owner else None)
            self._messenger.start_thread(session_uow, channel_target=channel, activity=activity, key=key)
            return
        self._messenger.update(
            session_uow,
            target=channel,
            key_of_original=key,
            activity=card_activity(self.card(postmortem, circle)),
            in_thread=key,
        )

    async def tell_review(self, uow: UnitOfWork, postmortem: Postmortem, circle: Circle, text: str) -> None:
        session_uow = _with_session(uow)
        channel = await self._channel(session_uow, circle)
        if channel is None:
            return
        n = postmortem.incident_number
        key = f"teams:postmortem:{n}:say:{postmortem.revision}:{_digest(text)}"
        self._messenger.send(session_uow, conversation=channel, activity=text, key=key, in_thread=card_key(n))

    async def remind(
        self, uow: UnitOfWork, postmortem: Postmortem, circle: Circle, member: Member, text: str, *, key: str
    ) -> None:
        session_uow = _with_session(uow)
        record = None
        if member.teams_user_id or member.aad_object_id:
            record = await conversations.personal_conversation(
                session_uow.session,
                teams_user_id=member.teams_user_id,
                aad_id=None if member.teams_user_id else member.aad_object_id,
            )
        if record is not None:
            target = ConversationTarget.from_dict(record.reference)
            self._messenger.send(session_uow, conversation=target, activity=text, key=key)
            return
        channel = await self._channel(session_uow, circle)
        if channel is not None:
            activity = card_activity(
                {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": text, "wrap": True}]},
                f"<at>{member.display_name}</at>",
                [member],
            )
            self._messenger.send(
                session_uow,
                conversation=channel,
                activity=activity,
                key=key,
                in_thread=card_key(postmortem.incident_number),
            )

    async def _channel(self, uow: _SessionUnitOfWork, circle: Circle) -> ConversationTarget | None:
        record = await conversations.channel_conversation(uow.session, circle.channel_id)
        if record is None:
            log.error(
                "no conversation reference for channel %s: install circlebot in the team first",
                circle.channel_id,
                extra={"channel_id": circle.channel_id},
            )
            return None
        return ConversationTarget.from_dict(record.reference).in_conversation(circle.channel_id)


def _with_session(uow: UnitOfWork) -> _SessionUnitOfWork:
    if not hasattr(uow, "session"):
        raise TypeError("the Teams notifier needs a SQL unit of work")
    return uow  # type: ignore[return-value]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]
