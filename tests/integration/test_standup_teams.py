"""What the stand-up queues for Teams (outbox rows), and what it offers the activities feature."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import col, select

from adapters.standups.activities import ActivityWip
from bot.messenger import Messenger
from bot.standups.notifier import TeamsStandupNotifier, summary_key
from bot.teams_notifier import TeamsNotifier
from dialogs.standups.feature import StandupAnswers, StandupAvailability
from domain.activities.model import Activity, ActivityStatus, Repository
from domain.circle import Circle
from domain.clock import FixedClock
from domain.standups.model import Away, Blocker, Entry, EntryStatus
from domain.standups.ports import WipActivity
from storage import conversations, sent_messages
from storage.activities.repository import SqlActivities
from storage.outbox import OutboxRow
from storage.standups.repository import SqlStandups
from storage.unit_of_work import UnitOfWorkFactory

TUESDAY, THURSDAY = date(2026, 12, 1), date(2026, 12, 3)
SERVICE_URL = "https://smba.trafficmanager.net/emea/"


async def say_hi(uow_factory: UnitOfWorkFactory, user_id: str) -> None:
    """Giulia once wrote to the bot in a personal chat: her conversation reference is stored."""
    chat = f"a:chat-{user_id}"
    reference = {"serviceUrl": SERVICE_URL, "channelId": "msteams", "conversation": {"id": chat, "tenantId": "t"}}
    async with uow_factory() as uow:
        await conversations.save_reference(
            uow.session,
            conversations.ConversationRecord(
                chat, conversations.PERSONAL, SERVICE_URL, reference, tenant_id="t", user_teams_id=user_id
            ),
            now=datetime(2026, 11, 30, tzinfo=UTC),
        )
        await uow.commit()


async def texts_queued(uow_factory: UnitOfWorkFactory) -> list[tuple[str, str]]:
    async with uow_factory() as uow:
        rows = (await uow.session.exec(select(OutboxRow).order_by(col(OutboxRow.id)))).all()
        return [(row.payload["target"]["conversation"]["id"], row.payload["activity"].get("text", "")) for row in rows]


async def test_an_old_blocker_reaches_the_team_leader_privately_with_a_link_to_the_days_summary(
    uow_factory: UnitOfWorkFactory, circle: Circle
) -> None:
    await say_hi(uow_factory, "user-id-0")  # Giulia, the Team Leader
    blocker = Blocker("demo", "marco", "Waiting for DB access", date(2026, 11, 27), THURSDAY, id=4)
    async with uow_factory() as uow:
        await sent_messages.record(
            uow.session, key=summary_key("demo", THURSDAY), conversation_id="team-id",
            activity_id="1764752400000", now=datetime(2026, 12, 3, 8, 30, tzinfo=UTC),
        )  # fmt: skip
        await TeamsStandupNotifier(
            TeamsNotifier(Messenger(), FixedClock(datetime(2026, 12, 3, 12, 30, tzinfo=UTC)))
        ).escalate_blocker(uow, circle, blocker, 4)
        await uow.commit()

    [(chat, text)] = await texts_queued(uow_factory)
    assert chat == "a:chat-user-id-0"
    assert text.startswith('Marco Bianchi\'s blocker in demo is on day 4 of the stand-up: "Waiting for DB access".')
    assert "(https://teams.microsoft.com/l/message/team-id/1764752400000)" in text


async def test_a_blocker_escalated_before_the_summary_was_posted_names_the_command_instead(
    uow_factory: UnitOfWorkFactory, circle: Circle
) -> None:
    await say_hi(uow_factory, "user-id-0")
    async with uow_factory() as uow:
        blocker = Blocker("demo", "sara", "VPN down", date(2026, 11, 30), THURSDAY, id=5)
        await TeamsStandupNotifier(
            TeamsNotifier(Messenger(), FixedClock(datetime(2026, 12, 3, 12, 30, tzinfo=UTC)))
        ).escalate_blocker(uow, circle, blocker, 3)
        await uow.commit()
    [(_, text)] = await texts_queued(uow_factory)
    assert "`/standup summary 2026-12-03` shows the answer." in text


async def test_activities_read_todays_answer_and_who_is_away(
    uow_factory: UnitOfWorkFactory, circle: Circle, clock: FixedClock
) -> None:
    async with uow_factory() as uow:
        repo = SqlStandups(uow.session)
        entry = Entry("demo", TUESDAY, "marco", EntryStatus.PROMPTED)
        entry.answer(yesterday="certs", today="migrate the ingress", blockers="", at=clock.now())
        await repo.save_entry(entry)
        await repo.save_entry(Entry("demo", TUESDAY, "sara", EntryStatus.SKIPPED, reason="workshop"))
        await repo.add_away(Away("demo", "paolo", TUESDAY, THURSDAY, "dentist"))
        await uow.commit()

    answers, availability = StandupAnswers(), StandupAvailability()
    async with uow_factory() as uow:
        assert await answers.today_answer(uow, "demo", "marco", TUESDAY) == "migrate the ingress"
        assert await answers.today_answer(uow, "demo", "sara", TUESDAY) is None
        assert await availability.is_away(uow, "demo", "paolo", THURSDAY)
        assert not await availability.is_away(uow, "demo", "marco", TUESDAY)
        assert await availability.is_away(uow, "demo", "elena", date(2026, 12, 7))  # her own holiday
        assert await availability.is_away(uow, "demo", "marco", date(2026, 12, 8))  # the circle's holiday


async def test_the_prompt_and_summary_read_wip_and_overdue_activities_from_the_activities_desk(
    uow_factory: UnitOfWorkFactory, circle: Circle, clock: FixedClock
) -> None:
    migrating = Activity(
        circle="demo", owner="marco", title="Migrate the ingress", description="", tasks=[], definition_of_done=[],
        deadline=date(2026, 11, 27), repository=Repository.CUSTOMER, project="acme/shop-activities",
        marker="circlebot-activity-1", created_by="giulia", created_at=clock.now(), status=ActivityStatus.WIP,
        iid=12, web_url="https://gitlab.example.com/acme/shop-activities/-/issues/12",
        last_feedback="half the routes moved",
    )  # fmt: skip
    async with uow_factory() as uow:
        await SqlActivities(uow.session).add(migrating)
        await uow.commit()
    lookup = ActivityWip()
    async with uow_factory.reader() as uow:
        wip = await lookup.wip_of(uow, circle, circle.members[1])  # Marco
        assert wip == WipActivity(
            "#12 Migrate the ingress",
            "https://gitlab.example.com/acme/shop-activities/-/issues/12",
            "half the routes moved",
        )
        assert await lookup.wip_of(uow, circle, circle.members[2]) is None  # Luca has none
        overdue = await lookup.overdue(uow, circle, TUESDAY)
    assert overdue == ["#12 Migrate the ingress (Marco Bianchi, due Fri 27 Nov)"]
