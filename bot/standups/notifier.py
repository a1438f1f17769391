"""The stand-up's voice in Teams: prompts, reminders, the summary card and blocker escalations, as outbox rows."""

from __future__ import annotations

import logging
import uuid
from datetime import date
from urllib.parse import quote

from bot.cards import card_activity
from bot.conversation_target import ConversationTarget
from bot.incidents.notifier import SessionUnitOfWork
from bot.messenger import Messenger
from bot.standups.cards import prompt_card, summary_card
from domain.circle import Circle, Member
from domain.ports import UnitOfWork
from domain.standups.calendar import clock_time, window_closes, zone_of
from domain.standups.model import Blocker
from domain.standups.ports import PromptDraft
from domain.standups.summary import Summary
from storage import conversations, sent_messages

log = logging.getLogger(__name__)


def summary_key(circle: str, day: date) -> str:
    """The outbox key of the day's summary card; every refresh updates the message posted under it."""
    return f"teams:standup:{circle}:{day.isoformat()}:summary"


def prompt_key(circle: str, day: date, member: str) -> str:
    return f"teams:standup:{circle}:{day.isoformat()}:{member}:prompt"


class TeamsStandupNotifier:
    """Implements domain.standups.ports.StandupNotifier with the Messenger."""

    def __init__(self, messenger: Messenger) -> None:
        self._messenger = messenger

    async def prompt(
        self, uow: UnitOfWork, circle: Circle, member: Member, draft: PromptDraft, *, on_demand: bool = False
    ) -> bool:
        session_uow = _with_session(uow)
        target = await personal_target(session_uow, member)
        if target is None:
            log.info("cannot prompt %s privately", member.handle, extra={"member": member.handle})
            return False
        activity = card_activity(prompt_card(draft))
        key = prompt_key(circle.name, draft.day, member.handle)
        # The scheduled prompt is sent once whatever happens; each `/standup` asks for a fresh card.
        key = f"{key}:asked:{uuid.uuid4().hex}" if on_demand else key
        self._messenger.send(session_uow, conversation=target, activity=activity, key=key)
        return True

    async def remind(self, uow: UnitOfWork, circle: Circle, member: Member, day: date, until: str) -> bool:
        session_uow = _with_session(uow)
        target = await personal_target(session_uow, member)
        if target is None:
            return False
        text = (
            f"Reminder: your stand-up for {circle.name} is still open until {until}. "
            "Answer on the card above, or type `standup` (`standup skip <reason>` if not today)."
        )
        key = f"teams:standup:{circle.name}:{day.isoformat()}:{member.handle}:remind"
        self._messenger.send(session_uow, conversation=target, activity=text, key=key)
        return True

    async def post_summary(self, uow: UnitOfWork, circle: Circle, summary: Summary) -> None:
        session_uow = _with_session(uow)
        channel = await channel_target(session_uow, circle)
        if channel is None:
            return
        self._messenger.send(
            session_uow,
            conversation=channel,
            activity=self._summary(circle, summary),
            key=summary_key(circle.name, summary.day),
        )

    async def update_summary(self, uow: UnitOfWork, circle: Circle, summary: Summary) -> None:
        session_uow = _with_session(uow)
        channel = await channel_target(session_uow, circle)
        if channel is None:
            return
        self._messenger.update(
            session_uow,
            target=channel,
            key_of_original=summary_key(circle.name, summary.day),
            activity=self._summary(circle, summary),
        )

    async def escalate_blocker(self, uow: UnitOfWork, circle: Circle, blocker: Blocker, age: int) -> None:
        session_uow = _with_session(uow)
        leader = circle.member(circle.team_leader)
        if leader is None:
            return
        owner = circle.member(blocker.member)
        name = owner.display_name if owner else blocker.member
        link = await self._summary_link(session_uow, circle, blocker.last_day)
        text = (
            f'{name}\'s blocker in {circle.name} is on day {age} of the stand-up: "{blocker.text}". '
            f"{link} Maybe it needs you."
        )
        key = f"teams:standup:{circle.name}:blocker:{blocker.id}:escalated"
        target = await personal_target(session_uow, leader)
        if target is not None:
            self._messenger.send(session_uow, conversation=target, activity=text, key=key)
            return
        log.warning("cannot reach the Team Leader of %s privately about a blocker", circle.name)

    def _summary(self, circle: Circle, summary: Summary) -> dict[str, object]:
        until = clock_time(window_closes(circle, summary.day), zone_of(circle))
        return card_activity(summary_card(summary, answers_until=until))

    async def _summary_link(self, uow: SessionUnitOfWork, circle: Circle, day: date) -> str:
        """A deep link to the day's summary card when Teams has answered with its id, else the command."""
        sent = await sent_messages.lookup(uow.session, summary_key(circle.name, day))
        if sent is None:
            return f"`/standup summary {day.isoformat()}` shows the answer."
        url = f"https://teams.microsoft.com/l/message/{quote(circle.channel_id)}/{quote(sent.activity_id)}"
        return f"[Open the stand-up of {day.isoformat()}]({url})."


async def personal_target(uow: SessionUnitOfWork, member: Member) -> ConversationTarget | None:
    """The member's 1:1 chat with the bot, known once they said hi (or installed the app personally)."""
    record = None
    if member.teams_user_id:
        record = await conversations.personal_conversation(uow.session, teams_user_id=member.teams_user_id)
    if record is None and member.aad_object_id:
        record = await conversations.personal_conversation(uow.session, aad_id=member.aad_object_id)
    return ConversationTarget.from_dict(record.reference) if record else None


async def channel_target(uow: SessionUnitOfWork, circle: Circle) -> ConversationTarget | None:
    record = await conversations.channel_conversation(uow.session, circle.channel_id)
    if record is None:
        log.error("no conversation reference for channel %s: install circlebot in the team first", circle.channel_id)
        return None
    return ConversationTarget.from_dict(record.reference).in_conversation(circle.channel_id)


def _with_session(uow: UnitOfWork) -> SessionUnitOfWork:
    if not hasattr(uow, "session"):
        raise TypeError("the Teams stand-up notifier needs a SQL unit of work")
    return uow  # type: ignore[return-value]
