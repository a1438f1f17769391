"""The postmortem process's voice in Teams: every message is an outbox row on the caller's transaction."""

from __future__ import annotations

from typing import Any

from bot.cards import text_card
from bot.postmortems.cards import postmortem_card
from bot.teams_links import channel_message_link
from bot.teams_notifier import TeamsNotifier, card_activity, digest, mention_activity, message_key
from domain.circle import Circle, Member
from domain.ports import UnitOfWork
from domain.postmortems.model import Postmortem
from domain.postmortems.schedule import local_date
from storage.postmortems.repository import card_key

# Once the postmortem card is posted, the incident report links to its review thread (issue #12 point 7):
# this outbox row waits for the card's message id, then refreshes the report card in place.
REPORT_LINK = "postmortems.report_link"


class TeamsPostmortemNotifier:
    """Implements domain.postmortems.service.PostmortemNotifier over the shared Teams notifier core.

    The card opens a thread in the circle's channel (the review thread); later messages reply there.
    """

    def __init__(self, teams: TeamsNotifier, *, gitlab_enabled: bool) -> None:
        self._teams = teams
        self._gitlab_enabled = gitlab_enabled

    def card(self, postmortem: Postmortem, circle: Circle) -> dict[str, Any]:
        """The postmortem card as it should look now."""
        today = local_date(self._teams.clock.now(), circle.time_zone)
        return postmortem_card(postmortem, circle, gitlab_enabled=self._gitlab_enabled, today=today)

    async def postmortem_changed(self, uow: UnitOfWork, postmortem: Postmortem, circle: Circle) -> None:
        channel = await self._teams.channel(uow, circle.channel_id)
        key = card_key(postmortem.incident_number)
        if not await self._teams.posted(uow, key):
            # The card opens the review thread on its own: a first message with text and a card can come
            # back split, the text first, and then the thread's first post is not the card.
            self._teams.start_thread(uow, channel, card_activity(self.card(postmortem, circle)), key)
            n = postmortem.incident_number
            uow.outbox.add(
                REPORT_LINK, {"incident": n}, idempotency_key=f"{key}:report-link", ordering_key=f"{key}:report-link"
            )
            owner = circle.member(postmortem.owner)
            if owner is not None:
                mention = mention_activity(owner, "you own this postmortem.")
                self._teams.send(uow, channel, mention, f"{key}:owner", in_thread=key)
            return
        self._teams.update(uow, channel, key, card_activity(self.card(postmortem, circle)), in_thread=key)

    async def thread_link(self, uow: UnitOfWork, incident_number: int, circle: Circle) -> str | None:
        """The Teams link to the postmortem's review thread; None until its card is posted."""
        message_id = await uow.conversations.posted_activity_id(card_key(incident_number))
        if message_id is None:
            return None
        channel = await self._teams.channel(uow, circle.channel_id)
        return channel_message_link(circle.channel_id, message_id, tenant_id=channel.tenant_id)

    async def tell_review(self, uow: UnitOfWork, postmortem: Postmortem, circle: Circle, text: str) -> None:
        channel = await self._teams.channel(uow, circle.channel_id)
        n = postmortem.incident_number
        key = message_key("postmortem", n, "say", postmortem.revision, digest(text))
        self._teams.send(uow, channel, text, key, in_thread=card_key(n))

    async def remind(
        self, uow: UnitOfWork, postmortem: Postmortem, circle: Circle, member: Member, text: str, *, key: str
    ) -> None:
        if await self._teams.send_privately(uow, member, text, key):
            return
        channel = await self._teams.channel(uow, circle.channel_id)
        activity = card_activity(text_card(text), f"<at>{member.display_name}</at>", [member])
        self._teams.send(uow, channel, activity, key, in_thread=card_key(postmortem.incident_number))
