"""What the incident dialogs share: running a use case in one transaction, and who/where a turn is."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Concatenate, ParamSpec, TypeVar

from botbuilder.core import TurnContext

from bot.cards import Card
from bot.incidents.notifier import TeamsIncidentNotifier
from dialogs.desk import Desk

# Re-exported: other dialogs import these from here; they live in the core dialogs.turns.
from dialogs.turns import channel_of as channel_of
from dialogs.turns import member_of as member_of
from domain.circle import Circle
from domain.clock import Clock
from domain.incidents.model import Incident
from domain.incidents.service import IncidentContext
from domain.ports import UnitOfWork, UnitsOfWork

T = TypeVar("T")
P = ParamSpec("P")
Then = Callable[[UnitOfWork, T], Awaitable[None]]


@dataclass
class IncidentDesk(Desk[IncidentContext]):
    """Where the incident dialogs (and the features requiring incidents) reach the incident process."""

    uow: UnitsOfWork
    clock: Clock
    notifier: TeamsIncidentNotifier
    jira_enabled: bool

    def context(self, uow: UnitOfWork) -> IncidentContext:
        """The use-case context on an open unit of work."""
        return IncidentContext(uow=uow, clock=self.clock, notifier=self.notifier, jira_enabled=self.jira_enabled)

    async def run_then(
        self,
        then: Then[T],
        use_case: Callable[Concatenate[IncidentContext, P], Awaitable[T]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """`run`, and `then` queues more in the same transaction (the report after a resolve)."""
        async with self.uow() as uow:
            result = await use_case(self.context(uow), *args, **kwargs)
            await then(uow, result)
            await uow.commit()
            return result

    async def card(self, incident: Incident, circle: Circle) -> Card:
        """The incident's live card as of now, with the true state of its Jira issue."""
        async with self.uow.reader() as uow:
            return await self.notifier.card(uow, incident, circle)

    async def circle_here(self, turn_context: TurnContext) -> Circle | None:
        """The circle bound to the channel this turn happens in."""
        channel_id = channel_of(turn_context)
        if not channel_id:
            return None
        async with self.uow.reader() as uow:
            return await uow.circles.by_channel(channel_id)

    async def open_incidents(self, circle: Circle) -> list[Incident]:
        async with self.uow.reader() as uow:
            return await uow.incidents.open_in_circle(circle.name)

    async def incident_here(self, turn_context: TurnContext) -> tuple[Incident, Circle] | None:
        """The incident whose thread this turn happens in, with its circle (one read)."""
        async with self.uow.reader() as uow:
            incident = await uow.incidents.by_thread(turn_context.activity.conversation.id)
            circle = await uow.circles.get(incident.circle) if incident else None
            return (incident, circle) if incident and circle else None

    async def incident(self, number: int) -> tuple[Incident, Circle] | None:
        async with self.uow.reader() as uow:
            incident = await uow.incidents.get(number)
            circle = await uow.circles.get(incident.circle) if incident else None
            return (incident, circle) if incident and circle else None


def channel_thread(turn_context: TurnContext) -> str | None:
    """The channel thread of the turn ("<channel>;messageid=<root>"); None outside a thread."""
    conversation = turn_context.activity.conversation
    if conversation is None or conversation.conversation_type != "channel" or ";messageid=" not in str(conversation.id):
        return None
    return str(conversation.id)


def actor(turn_context: TurnContext, circle: Circle | None) -> str:
    """How the timeline names the person acting: their circle name, else their Teams name."""
    member = member_of(turn_context, circle)
    if member is not None:
        return member.display_name
    user = turn_context.activity.from_property
    return (user.name if user and user.name else None) or "someone"
