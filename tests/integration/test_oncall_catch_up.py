"""A restart never loses a shift change: the rota planned at start, missed runs caught up or reported once.

Monday 7 December 2026 in the example circle: at 09:00 (Rome) Sara hands the primary pager to
Marco and Elena the secondary one to Paolo; each incoming engineer is reminded an hour before.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from adapters.circles_file import load_circles
from bot.oncall.cards import handover_card, notes_prompt_card
from domain.circle import Circle
from domain.clock import FixedClock
from domain.oncall.handover import HandoverBrief
from domain.rota import Layer
from storage.database import Database
from storage.unit_of_work import UnitOfWorkFactory
from tests.card_schema import assert_valid_card
from tests.conftest import EXAMPLE_CIRCLES
from tests.support.fake_oncall_notifier import FakeOnCallNotifier
from tests.support.oncall_rota import Rota

ROME = ZoneInfo("Europe/Rome")
EVERYONE = {"giulia", "marco", "luca", "sara", "paolo", "elena"}


def rome(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ROME).astimezone(UTC)


SHIFT_CHANGE = rome("2026-12-07 09:00")


@pytest.fixture
def rota(uow_factory: UnitOfWorkFactory, clock: FixedClock, circle: Circle) -> Rota:
    return Rota(uow_factory, clock, FakeOnCallNotifier(reachable=set(EVERYONE)))


def handovers_sent(rota: Rota) -> list[tuple[str, str]]:
    return rota.notifier.of("notes_prompt") + rota.notifier.of("handover_card")


async def test_started_five_minutes_before_the_shift_change_the_handover_happens_once(rota: Rota) -> None:
    await rota.start_at(rome("2026-12-07 08:55"))
    await rota.at(rome("2026-12-07 09:10"))

    assert handovers_sent(rota) == [
        ("sara", "marco"), ("elena", "paolo"), ("marco", "pending"), ("paolo", "pending"),
    ]  # fmt: skip
    handover = await rota.run(lambda ctx: ctx.handovers.find("demo", Layer.PRIMARY, SHIFT_CHANGE))
    assert handover.created_at == SHIFT_CHANGE


async def test_started_twenty_minutes_after_the_shift_change_the_handover_happens_once_and_says_it_is_late(
    rota: Rota,
) -> None:
    await rota.start_at(rome("2026-12-07 09:20"))
    await rota.at(rome("2026-12-07 09:25"))

    assert sorted(rota.notifier.of("handover_card")) == [("marco", "pending"), ("paolo", "pending")]
    assert sorted(rota.notifier.of("notes_prompt")) == [("elena", "paolo"), ("sara", "marco")]
    circle = await rota.circle()
    handover = await rota.run(lambda ctx: ctx.handovers.find("demo", Layer.PRIMARY, SHIFT_CHANGE))
    late = "Late: the 09:00 handover, sent at 09:20 CET after a restart."
    for card in (handover_card(circle, handover, HandoverBrief((), (), ()), rota.clock.now()),
                 notes_prompt_card(circle, handover, rota.clock.now())):  # fmt: skip
        assert_valid_card(card)
        assert card["body"][1]["text"] == late


async def test_a_bot_that_planned_then_went_down_at_the_shift_change_catches_up_once_on_restart(
    rota: Rota, uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    await rota.start_at(rome("2026-12-06 20:00"))
    await rota.at(rome("2026-12-07 08:58"))  # then it stops: a deploy at the worst moment

    restarted = Rota(uow_factory, clock, rota.notifier)
    await restarted.start_at(rome("2026-12-07 09:07"))
    await restarted.at(rome("2026-12-07 09:20"))

    assert sorted(rota.notifier.of("handover_card")) == [("marco", "pending"), ("paolo", "pending")]
    handover = await rota.run(lambda ctx: ctx.handovers.find("demo", Layer.PRIMARY, SHIFT_CHANGE))
    assert handover.created_at == rome("2026-12-07 09:07")


async def test_started_thirty_seconds_before_the_reminder_the_reminder_goes_out_once(rota: Rota) -> None:
    await rota.start_at(rome("2026-12-07 07:59:30"))
    await rota.at(rome("2026-12-07 08:30"))

    assert rota.notifier.of("shift_reminder") == [("marco", "primary in 1:00:00"), ("paolo", "secondary in 1:00:00")]


async def test_a_reminder_missed_by_a_restart_still_goes_out_before_the_shift_starts(rota: Rota) -> None:
    await rota.start_at(rome("2026-12-07 08:40"))

    assert rota.notifier.of("shift_reminder") == [("marco", "primary in 1:00:00"), ("paolo", "secondary in 1:00:00")]
    assert rota.notifier.of("team_leader") == []


async def test_after_the_grace_the_team_leader_gets_one_notice_and_there_is_no_handover(
    rota: Rota, uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    await rota.start_at(rome("2026-12-06 20:00"))  # Sunday evening: Monday is planned, then the bot stops
    assert rota.notifier.of("shift_reminder") == [  # the day-before reminders, 11 hours late but still useful
        ("marco", "primary in 1 day, 0:00:00"), ("paolo", "secondary in 1 day, 0:00:00"),
    ]  # fmt: skip
    rota.notifier.said.clear()

    restarted = Rota(uow_factory, clock, rota.notifier)
    await restarted.start_at(rome("2026-12-07 21:30"))  # 12 h 30 after the shift change
    await restarted.at(rome("2026-12-07 22:30"))  # more periodic plans: still one notice

    assert handovers_sent(rota) == []
    assert rota.notifier.of("shift_reminder") == []
    [(leader, text)] = rota.notifier.of("team_leader")
    assert leader == "giulia"
    assert text.splitlines() == [
        "I was not running when these were due for demo, and it is too late for them now, so I skipped them:",
        "- the reminder to Marco Bianchi of their primary shift from Mon 7 Dec 09:00 CET",
        "- the reminder to Paolo Colombo of their secondary shift from Mon 7 Dec 09:00 CET",
        "- the primary on-call handover of Mon 7 Dec 09:00 CET from Sara Romano to Marco Bianchi",
        "- the secondary on-call handover of Mon 7 Dec 09:00 CET from Elena Ricci to Paolo Colombo",
        "- the weekly rota check of Mon 7 Dec 09:00 CET",
    ]


@pytest.mark.postgres
async def test_two_replicas_starting_together_hand_over_once(postgres_database_url: str) -> None:
    clock = FixedClock(rome("2026-12-07 08:55"))
    notifier = FakeOnCallNotifier(reachable=set(EVERYONE))
    databases = [Database(postgres_database_url), Database(postgres_database_url)]
    try:
        async with UnitOfWorkFactory(databases[0], clock)() as uow:
            await uow.circles.apply(load_circles(EXAMPLE_CIRCLES), clock.now())
            await uow.commit()
        replicas = [Rota(UnitOfWorkFactory(db, clock), clock, notifier) for db in databases]
        await asyncio.gather(*(replica.start_at(clock.now()) for replica in replicas))
        clock.set(SHIFT_CHANGE)
        await asyncio.gather(*(r.planner.plan() for r in replicas), *(r.tick.tick() for r in replicas))
        clock.advance(timedelta(seconds=1))
        await asyncio.gather(*(r.tick.tick() for r in replicas))

        assert sorted(handovers_sent(replicas[0])) == [
            ("elena", "paolo"), ("marco", "pending"), ("paolo", "pending"), ("sara", "marco"),
        ]  # fmt: skip
    finally:
        for db in databases:
            await db.dispose()
