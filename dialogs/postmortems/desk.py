"""The postmortem desk: runs postmortem use cases in one transaction and finds the postmortem a turn means."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botbuilder.core import TurnContext

from adapters.outbox_relay import OutboxMessage, RetryLater
from bot.incidents.cards import report_card
from bot.postmortems.notifier import TeamsPostmortemNotifier
from dialogs.desk import Desk
from dialogs.incidents.desk import IncidentDesk, member_of
from domain.circle import Circle, Member
from domain.clock import Clock
from domain.incidents import service as incident_service
from domain.ports import UnitOfWork, UnitsOfWork
from domain.postmortems import service
from domain.postmortems.model import Postmortem, PostmortemError
from domain.postmortems.service import PostmortemContext


@dataclass
class PostmortemDesk(Desk[PostmortemContext]):
    """Runs postmortem use cases in one transaction; also where GitLab and tracker results land."""

    uow: UnitsOfWork
    clock: Clock
    notifier: TeamsPostmortemNotifier
    incidents: IncidentDesk
    gitlab_enabled: bool

    def context(self, uow: UnitOfWork) -> PostmortemContext:
        """The use-case context on an open unit of work."""
        return PostmortemContext(
            uow=uow,
            postmortems=uow.postmortems,
            clock=self.clock,
            notifier=self.notifier,
            gitlab_enabled=self.gitlab_enabled,
            jira_enabled=self.incidents.jira_enabled,
        )

    async def link_report(self, message: OutboxMessage) -> dict[str, Any]:
        """The REPORT_LINK outbox row: once the review thread exists, the report card links to it, in place."""
        number = int(message.payload["incident"])
        async with self.uow() as uow:
            report = await incident_service.incident_report(self.incidents.context(uow), number)
            circle = await uow.circles.get(report.incident.circle)
            if circle is None:
                return {"link": None}
            link = await self.notifier.thread_link(uow, number, circle)
            if link is None:
                # Not an error: the card's own row is ahead in the outbox (or waits for Teams).
                raise RetryLater(f"the postmortem card of INC-{number} is not posted yet", counts=False)
            card = report_card(report, circle, postmortem_link=link)
            await self.incidents.notifier.refresh_report(uow, report.incident, circle, card)
            await uow.commit()
        return {"link": link}

    async def start(self, number: int, by: Member, *, owner: str | None = None) -> Postmortem:
        """Record the decision to write a postmortem (unless taken) and start it, in one transaction."""
        found = await self.incidents.incident(number)
        if found is None:
            raise PostmortemError(f"there is no INC-{number}; `/incident list` shows the open ones")
        incident = found[0]
        if incident.is_open:
            raise PostmortemError(f"resolve {incident.key} first: `/incident resolve {incident.key} <summary>`")
        if incident.postmortem_decision is not None:
            return await self.run(service.start_postmortem, number, by, owner=owner)
        started: list[Postmortem] = []

        async def then(uow: UnitOfWork, _decided: object) -> None:
            started.append(await service.start_postmortem(self.context(uow), number, by, owner=owner))

        await self.incidents.run_then(then, incident_service.decide_postmortem, number, by.display_name, start=True)
        return started[0]

    # --- lookups, each on a read-only unit of work -------------------------------------------

    async def postmortem(self, number: int) -> tuple[Postmortem, Circle] | None:
        async with self.uow.reader() as uow:
            postmortem = await uow.postmortems.get(number)
            circle = await uow.circles.get(postmortem.circle) if postmortem else None
            return (postmortem, circle) if postmortem and circle else None

    async def in_review_thread(self, conversation_id: str) -> Postmortem | None:
        """The postmortem whose review thread `conversation_id` is."""
        async with self.uow.reader() as uow:
            return await uow.postmortems.by_thread(conversation_id)

    async def postmortem_here(self, turn_context: TurnContext) -> Postmortem | None:
        """The postmortem whose review thread this turn is in, or the one of the incident thread."""
        found = await self.in_review_thread(turn_context.activity.conversation.id)
        if found is not None:
            return found
        here = await self.incidents.incident_here(turn_context)
        pair = await self.postmortem(here[0].number) if here else None
        return pair[0] if pair else None

    async def in_circle(self, circle: Circle) -> list[Postmortem]:
        async with self.uow.reader() as uow:
            return await uow.postmortems.in_circle(circle.name)

    async def search(self, words: list[str]) -> list[Postmortem]:
        async with self.uow.reader() as uow:
            return await uow.postmortems.search(words)

    # --- PostmortemResults: what the outbox handlers report --------------------------------

    async def draft_ready(self, number: int, iid: int, url: str) -> None:
        await self.run(service.record_draft, number, iid, url)

    async def action_filed(self, number: int, action: int, ref: str, url: str | None) -> None:
        await self.run(service.record_action_filed, number, action, ref, url)

    async def merge_request_state(self, number: int, state: str) -> None:
        await self.run(service.record_merge_request_state, number, state)


def required_member(turn_context: TurnContext, circle: Circle) -> Member:
    """The member of `circle` who sent this turn; only members may work on its postmortems."""
    member = member_of(turn_context, circle)
    if member is None:
        raise PostmortemError(
            f"only members of circle {circle.name} can work on its postmortems; "
            "ask the Team Leader to add you to circles.yaml"
        )
    return member
