"""Every feature reaches people the same way: the shared Teams notifier core (bot/teams_notifier.py).

A person's 1:1 chat is found by their Teams user id and, failing that, by their Entra ID object
id. The circles file may name someone by both while Teams stored the chat under another user id
(a chat opened from another tenant, a user id that changed): handovers always reached them that
way, and now an incident page does too, instead of saying in the thread that it could not.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from bot.incidents.notifier import TeamsIncidentNotifier
from bot.messenger import Messenger
from bot.oncall.notifier import TeamsOnCallNotifier
from bot.postmortems.notifier import TeamsPostmortemNotifier
from bot.teams_notifier import TeamsNotifier, message_key
from domain.circle import Circle, Member, Severity
from domain.clock import FixedClock
from domain.incidents.model import Incident
from domain.postmortems.model import Postmortem
from storage.conversations import CHANNEL, PERSONAL, ConversationRecord
from storage.database import Database
from storage.outbox import OutboxRow
from storage.unit_of_work import UnitOfWorkFactory

SERVICE_URL = "https://smba.trafficmanager.net/emea/"
LUCA_CHAT = "a:1chat-with-luca"


def reference(conversation: dict[str, Any]) -> dict[str, Any]:
    return {"serviceUrl": SERVICE_URL, "channelId": "msteams", "conversation": conversation, "bot": {"id": "28:bot"}}


@pytest.fixture
async def luca(uow_factory: UnitOfWorkFactory, circle: Circle, clock: FixedClock) -> Member:
    """Luca, whose 1:1 chat Teams stored under another user id than the circles file gives: found by Entra ID."""
    member = circle.member("luca")
    assert member is not None and member.teams_user_id and member.aad_object_id
    async with uow_factory() as uow:
        await uow.conversations.save(
            ConversationRecord(
                conversation_id=circle.channel_id,
                conversation_type=CHANNEL,
                service_url=SERVICE_URL,
                reference=reference({"id": circle.channel_id, "isGroup": True, "conversationType": "channel"}),
                channel_id=circle.channel_id,
            ),
            now=clock.now(),
        )
        await uow.conversations.save(
            ConversationRecord(
                conversation_id=LUCA_CHAT,
                conversation_type=PERSONAL,
                service_url=SERVICE_URL,
                reference=reference({"id": LUCA_CHAT, "conversationType": "personal"}),
                user_teams_id="29:luca-as-another-tenant-sees-him",
                user_aad_id=member.aad_object_id,
            ),
            now=clock.now(),
        )
        await uow.commit()
    return member


async def sent(database: Database) -> list[tuple[str, str]]:
    """(conversation id, key) of every Teams message queued, in order."""
    async with database.read_session() as session:
        rows = (await session.exec(select(OutboxRow).order_by(col(OutboxRow.id)))).all()
    return [(row.payload["target"]["conversation"]["id"], row.payload["key"]) for row in rows]


@pytest.fixture
def teams(clock: FixedClock) -> TeamsNotifier:
    return TeamsNotifier(Messenger(), clock)


async def test_an_incident_page_reaches_a_person_whose_chat_is_known_only_by_their_entra_id(
    uow_factory: UnitOfWorkFactory, circle: Circle, luca: Member, teams: TeamsNotifier, clock: FixedClock
) -> None:
    incident = Incident.declare(
        number=7, circle=circle.name, title="Checkout API returns 500", severity=Severity.P1,
        declared_by="Giulia", at=clock.now(), commander="luca",
    )  # fmt: skip
    async with uow_factory() as uow:
        notifier = TeamsIncidentNotifier(teams, jira_enabled=False)
        await notifier.page(uow, incident, circle, luca, "not acknowledged in 5m", step=0)
        await uow.commit()

    key = message_key("incident", 7, "page", "luca", len(incident.timeline))
    assert await sent(uow_factory.database) == [(LUCA_CHAT, key)]  # no "I cannot message Luca" in the thread


async def test_a_handover_and_a_postmortem_reminder_reach_the_same_person_the_same_way(
    uow_factory: UnitOfWorkFactory, circle: Circle, luca: Member, teams: TeamsNotifier, clock: FixedClock
) -> None:
    postmortem = Postmortem.start(
        incident_number=7, circle=circle.name, title="Checkout API returns 500", owner="luca", started_by="Giulia",
        at=clock.now(), due=(clock.now() + timedelta(days=7)).date(), document_date=clock.now().date(),
    )  # fmt: skip
    async with uow_factory() as uow:
        oncall = TeamsOnCallNotifier(teams)
        assert await oncall.unreachable(uow, [luca]) == []
        await oncall.tell_team_leader(uow, replace(circle, team_leader="luca"), "rota gap on Sunday", key="gap:1")
        postmortems = TeamsPostmortemNotifier(teams, gitlab_enabled=False)
        await postmortems.remind(uow, postmortem, circle, luca, "The review of INC-7 is due.", key="teams:pm:7:due")
        await uow.commit()

    assert await sent(uow_factory.database) == [(LUCA_CHAT, "teams:tl:gap:1"), (LUCA_CHAT, "teams:pm:7:due")]


async def test_someone_the_bot_never_talked_to_privately_is_named_in_the_incident_thread_instead(
    uow_factory: UnitOfWorkFactory, circle: Circle, luca: Member, teams: TeamsNotifier, clock: FixedClock
) -> None:
    marco = circle.member("marco")
    assert marco is not None
    incident = Incident.declare(
        number=8, circle=circle.name, title="Search is slow", severity=Severity.P2,
        declared_by="Giulia", at=clock.now(), commander="marco",
    )  # fmt: skip
    async with uow_factory() as uow:
        notifier = TeamsIncidentNotifier(teams, jira_enabled=False)
        await notifier.page(uow, incident, circle, marco, "not acknowledged in 15m", step=0)
        await uow.commit()

    [(conversation, key)] = await sent(uow_factory.database)
    assert conversation == circle.channel_id and key.startswith("teams:incident:8:say:")
