"""The incident process's voice in Teams: every message is an outbox row on the caller's transaction."""

from __future__ import annotations

from bot.cards import Card
from bot.conversation_target import ConversationTarget
from bot.incidents.cards import (
    JiraState,
    incident_card,
    page_card,
    report_card,
    stakeholder_prompt,
    stakeholder_update_card,
)
from bot.teams_notifier import TeamsNotifier, card_activity, digest, mention_activity, message_key
from domain.circle import Circle, Member
from domain.incidents.model import Incident
from domain.incidents.report import IncidentReport
from domain.ports import UnitOfWork
from storage.incidents.repository import CARD_KEY_PREFIX, CARD_KEY_SUFFIX


def card_key(incident: Incident) -> str:
    """The outbox key of the incident's live card; updates and thread replies refer to it."""
    return f"{CARD_KEY_PREFIX}{incident.number}{CARD_KEY_SUFFIX}"


async def jira_state(uow: UnitOfWork, incident: Incident, *, jira_enabled: bool) -> JiraState:
    """What the card may truthfully say about Jira: not configured, a write outstanding, one dead, or settled."""
    if not jira_enabled:
        return JiraState.NOT_CONFIGURED
    # Jira writes of an incident share the ordering key "jira:INC-7" (domain.incidents.issue_tracker).
    state = await uow.outbox.outstanding(f"jira:{incident.key}")
    return {"dead": JiraState.FAILED, "pending": JiraState.PENDING}.get(state or "", JiraState.SETTLED)


def _key(incident: Incident, *parts: object) -> str:
    return message_key("incident", incident.number, *parts)


def report_name(incident: Incident) -> str:
    """The report's message name: one per resolution (reopened and resolved again, a new report).

    Right after a resolve it is "report-<timeline length>", so it can be found again later to refresh.
    """
    resolved = [i for i, entry in enumerate(incident.timeline) if entry.kind == "resolved"]
    return f"report-{resolved[-1] + 1 if resolved else len(incident.timeline)}"


class TeamsIncidentNotifier:
    """Implements domain.ports.IncidentNotifier over the shared Teams notifier core."""

    def __init__(self, teams: TeamsNotifier, *, jira_enabled: bool) -> None:
        self._teams = teams
        self.jira_enabled = jira_enabled

    async def card(self, uow: UnitOfWork, incident: Incident, circle: Circle) -> Card:
        """The live card as of now, its Jira state read on the caller's transaction."""
        jira = await jira_state(uow, incident, jira_enabled=self.jira_enabled)
        return incident_card(incident, circle, self._teams.clock.now(), jira=jira)

    async def incident_changed(self, uow: UnitOfWork, incident: Incident, circle: Circle) -> None:
        target, in_thread = await self._thread(uow, incident, circle)
        if not await self._teams.posted(uow, card_key(incident)):
            await self._post_card(uow, incident, circle, target, in_thread)
            return
        card = card_activity(await self.card(uow, incident, circle))
        self._teams.update(uow, target, card_key(incident), card, in_thread=in_thread)

    async def _post_card(
        self, uow: UnitOfWork, incident: Incident, circle: Circle, target: ConversationTarget, in_thread: str | None
    ) -> None:
        """The card's first post, then a message @mentioning the commander, in that order.

        The card goes alone: a message with both text and a card may come back without an
        activity id (the playground splits it), and without an id the card cannot be updated.
        """
        card = card_activity(await self.card(uow, incident, circle))
        if in_thread is None:
            self._teams.send(uow, target, card, card_key(incident))
        else:
            self._teams.start_thread(uow, target, card, card_key(incident))
            in_thread = card_key(incident)
        commander = circle.member(incident.commander) if incident.commander else None
        if commander is not None:
            mention = mention_activity(commander, f"you are commander of {incident.key}.")
            self._teams.send(uow, target, mention, f"{card_key(incident)}:mention", in_thread=in_thread)

    async def post_report(self, uow: UnitOfWork, report: IncidentReport, circle: Circle) -> None:
        """The report card in the incident's thread, one per resolution (see report_name)."""
        incident = report.incident
        target, in_thread = await self._thread(uow, incident, circle)
        card = card_activity(report_card(report, circle))
        self._teams.send(uow, target, card, _key(incident, report_name(incident)), in_thread=in_thread)

    async def refresh_report(self, uow: UnitOfWork, incident: Incident, circle: Circle, card: Card) -> None:
        """Update the latest report card in place (it waits in the outbox until the report is posted)."""
        target, in_thread = await self._thread(uow, incident, circle)
        key = _key(incident, report_name(incident))
        self._teams.update(uow, target, key, card_activity(card), in_thread=in_thread)

    async def tell_thread(
        self, uow: UnitOfWork, incident: Incident, circle: Circle, text: str, *, mention: Member | None = None
    ) -> None:
        target, in_thread = await self._thread(uow, incident, circle)
        key = _key(incident, "say", len(incident.timeline), digest(text))
        activity = mention_activity(mention, text) if mention is not None else text
        self._teams.send(uow, target, activity, key, in_thread=in_thread)

    async def page(
        self, uow: UnitOfWork, incident: Incident, circle: Circle, member: Member, reason: str, *, step: int
    ) -> None:
        # For a P1 the card says whom to phone: the person paged ("strong criticality" engagement).
        call = member if incident.severity.value == "P1" else None
        now = self._teams.clock.now()
        activity = card_activity(page_card(incident, circle, member, reason, call=call, step=step, now=now))
        key = _key(incident, "page", member.handle, len(incident.timeline))
        if not await self._teams.send_privately(uow, member, activity, key):
            phone = f" — call {member.phone}" if member.phone else ""
            await self.tell_thread(
                uow, incident, circle, f"I cannot message {member.display_name} privately yet{phone}."
            )

    async def tell_team_leader(self, uow: UnitOfWork, circle: Circle, text: str, *, key: str) -> None:
        """Tell the circle's Team Leader privately, else in the circle's channel; `key` makes it once."""
        leader = circle.member(circle.team_leader)
        if leader is not None and await self._teams.send_privately(
            uow, leader, mention_activity(leader, text), message_key(key)
        ):
            return
        channel = await self._teams.channel(uow, circle.channel_id)
        name = leader.display_name if leader else circle.team_leader
        self._teams.send(uow, channel, f"{name}: {text}", message_key(key, "channel"))

    async def tell_privately(
        self, uow: UnitOfWork, incident: Incident, circle: Circle, member: Member, text: str, *, key: str
    ) -> None:
        """A private message (the outbox's idempotency key makes it once); the thread if we cannot."""
        activity = mention_activity(member, text)
        if await self._teams.send_privately(uow, member, activity, message_key(key)):
            return
        target, in_thread = await self._thread(uow, incident, circle)
        self._teams.send(uow, target, activity, message_key(key, "thread"), in_thread=in_thread)

    async def ask_stakeholder_update(
        self, uow: UnitOfWork, incident: Incident, circle: Circle, draft: str, overdue: bool
    ) -> None:
        activity = card_activity(stakeholder_prompt(incident, draft, overdue=overdue))
        generation = sum(1 for e in incident.timeline if e.kind == "stakeholder_update")
        key = _key(incident, "stakeholder-prompt", generation, len(incident.timeline), overdue)
        commander = circle.member(incident.commander) if incident.commander else None
        if commander and await self._teams.send_privately(uow, commander, activity, key):
            return
        target, in_thread = await self._thread(uow, incident, circle)
        self._teams.send(uow, target, activity, key, in_thread=in_thread)

    async def post_stakeholder_update(self, uow: UnitOfWork, incident: Incident, circle: Circle, text: str) -> None:
        channel = await self._teams.channel(uow, circle.stakeholder_channel_id or circle.channel_id)
        generation = sum(1 for e in incident.timeline if e.kind == "stakeholder_update")
        activity = card_activity(stakeholder_update_card(incident, circle, text, self._teams.clock.now()))
        self._teams.start_thread(uow, channel, activity, _key(incident, "stakeholder-update", generation))

    async def _thread(
        self, uow: UnitOfWork, incident: Incident, circle: Circle
    ) -> tuple[ConversationTarget, str | None]:
        """Where the incident is discussed: its known thread, or the one its card opens."""
        channel = await self._teams.channel(uow, circle.channel_id)
        thread = await uow.incidents.thread_of(incident.number)
        if thread:
            return channel.in_conversation(thread), None
        return channel, card_key(incident)
