"""Stand-ups through real storage and durable timers, on SQLite and PostgreSQL, with a fixed clock.

The example circle (circles.example.yaml): stand-up 09:30 Rome, window 3h, reminder after 1h;
Elena lives in New York (asked at 14:30 UTC); the rota puts Sara on primary from Monday 30 November.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from adapters.incidents.timers import incident_timer_handlers
from adapters.schedule_planner import SchedulePlanner
from adapters.standups.timers import standup_context, standup_timer_handlers
from adapters.timer_tick import TimerTick
from domain.circle import Circle, Severity
from domain.clock import FixedClock
from domain.incidents.service import IncidentContext, declare_incident
from domain.ports import UnitOfWork
from domain.standups import service
from domain.standups.model import Away, Blocker, Entry, EntryStatus, StandupError
from domain.standups.ports import DayState, NoWipActivities, WipActivity
from domain.standups.rules import parse_ooo
from domain.standups.schedule import StandupSchedule
from storage.standups.repository import SqlStandups
from storage.unit_of_work import UnitOfWorkFactory
from tests.support.fake_notifier import FakeNotifier
from tests.support.fake_standup_notifier import FakeStandupNotifier

TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3), date(2026, 12, 4)
EVERYONE = {"giulia", "marco", "luca", "sara", "paolo", "elena"}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def rome_0930(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 8, 30, tzinfo=UTC)  # CET in December


class FixedWip:
    async def wip_of(self, uow: UnitOfWork, circle: Circle, member: Any) -> WipActivity | None:
        return WipActivity("Migrate the ingress", None, "half the routes moved") if member.handle == "marco" else None

    async def overdue(self, uow: UnitOfWork, circle: Circle, day: date) -> list[str]:
        return ["#12 Migrate the ingress (Marco Bianchi, due Fri 27 Nov)"]


@dataclass
class Standups:
    """Runs stand-up use cases one transaction each and fires due timers, the way the bot does."""

    uow_factory: UnitOfWorkFactory
    clock: FixedClock
    notifier: FakeStandupNotifier
    circle: Circle
    wip: Any

    def __post_init__(self) -> None:
        # Incidents declared in a test run their own timers (SLA, escalation) on the same tick.
        handlers = incident_timer_handlers(self.clock, FakeNotifier(), jira_enabled=False)
        handlers |= standup_timer_handlers(self.clock, self.notifier, self.wip)
        self.tick = TimerTick(self.uow_factory, handlers, self.clock)

    async def plan(self, day: date) -> None:
        """What the shared planner does at start-up, on becoming leader and periodically: here on `day`."""
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        if self.clock.now() < midnight:
            self.clock.set(midnight)
        planner = SchedulePlanner(self.uow_factory, self.clock)
        planner.register(StandupSchedule())
        await planner.plan()

    async def at(self, moment: datetime) -> int:
        self.clock.set(moment)
        return await self.tick.tick()

    async def run(self, use_case: Any, *args: Any, **kwargs: Any) -> Any:
        async with self.uow_factory() as uow:
            result = await use_case(standup_context(uow, self.clock, self.notifier, self.wip), *args, **kwargs)
            await uow.commit()
            return result

    async def answer(self, handle: str, yesterday: str, today: str, blockers: str = "", **kw: Any) -> Entry:
        member = self.circle.member(handle)
        return await self.run(  # type: ignore[no-any-return]
            service.answer, self.circle, member, day=kw.pop("day", None), yesterday=yesterday, today=today,
            blockers=blockers, solved=kw.pop("solved", set()),
        )  # fmt: skip

    async def entry(self, day: date, handle: str) -> Entry | None:
        async with self.uow_factory() as uow:
            return await SqlStandups(uow.session).entry("demo", day, handle)

    async def declare(self, severity: Severity, at: datetime) -> None:
        self.clock.set(at)
        async with self.uow_factory() as uow:
            ctx = IncidentContext(uow=uow, clock=self.clock, notifier=FakeNotifier(), jira_enabled=False)
            await declare_incident(
                ctx, self.circle, title="checkout returns 500", severity=severity, declared_by="Marco Bianchi"
            )
            await uow.commit()

    def last_summary(self) -> Any:
        return self.notifier.summaries[-1][1]


@pytest.fixture
def notifier() -> FakeStandupNotifier:
    return FakeStandupNotifier(reachable=EVERYONE - {"elena"})  # Elena never said hi to the bot


@pytest.fixture
def standups(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, notifier: FakeStandupNotifier, circle: Circle
) -> Standups:
    return Standups(uow_factory, clock, notifier, circle, NoWipActivities())


async def test_storage_keeps_entries_blockers_time_off_and_the_days_card(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        repo = SqlStandups(uow.session)
        entry = Entry("demo", TUESDAY, "marco", EntryStatus.PROMPTED, prompted_at=utc(2026, 12, 1, 8, 30))
        await repo.save_entry(entry)
        entry.answer(yesterday="certs", today="ingress", blockers="DB access", at=utc(2026, 12, 1, 8, 45))
        await repo.save_entry(entry)
        blocker = await repo.add_blocker(Blocker("demo", "marco", "DB access", TUESDAY, TUESDAY))
        await repo.add_away(Away("demo", "paolo", TUESDAY, FRIDAY, "holiday"))
        await repo.save_day_state(DayState("demo", TUESDAY, posted_at=utc(2026, 12, 1, 8, 30)))
        await uow.commit()
    async with uow_factory() as uow:
        repo = SqlStandups(uow.session)
        [stored] = await repo.entries("demo", TUESDAY)
        assert (stored.status, stored.today, stored.answered_at) == (
            EntryStatus.ANSWERED,
            "ingress",
            utc(2026, 12, 1, 8, 45),
        )
        assert await repo.last_answers("demo", WEDNESDAY) == {"marco": stored}
        assert await repo.last_answers("demo", TUESDAY) == {}
        assert [b.id for b in await repo.known_blockers("demo", WEDNESDAY, "marco")] == [blocker.id]
        assert await repo.known_blockers("demo", WEDNESDAY, "sara") == []
        assert [a.member for a in await repo.aways("demo", THURSDAY)] == ["paolo"]
        assert await repo.end_aways("demo", "paolo", THURSDAY) == 1
        state = await repo.day_state("demo", TUESDAY)
        assert state is not None and state.posted_at == utc(2026, 12, 1, 8, 30) and state.final_at is None
        await uow.commit()
    async with uow_factory() as uow:
        repo = SqlStandups(uow.session)
        assert await repo.aways("demo", THURSDAY) == []
        assert [a.end for a in await repo.aways("demo", WEDNESDAY)] == [WEDNESDAY]


async def test_a_stand_up_day_prompts_posts_reminds_once_and_closes(
    standups: Standups, notifier: FakeStandupNotifier
) -> None:
    await standups.plan(TUESDAY)

    await standups.at(rome_0930(TUESDAY))
    assert sorted(notifier.prompted()) == ["giulia", "luca", "marco", "paolo", "sara"]
    assert [kind for kind, s in notifier.summaries if s.day == TUESDAY] == ["post"]
    assert standups.last_summary().progress == "0 of 6 answered"

    await standups.at(utc(2026, 12, 1, 8, 41))
    await standups.answer("marco", "rotated the certificates", "migrate the ingress", "waiting for DB access")
    await standups.at(utc(2026, 12, 1, 8, 41, 5))
    kind, summary = notifier.summaries[-1]
    assert (kind, summary.progress) == ("update", "1 of 6 answered")
    assert [(b.member, b.text, b.age) for b in summary.blockers] == [("Marco Bianchi", "waiting for DB access", 1)]

    await standups.at(utc(2026, 12, 1, 9, 30))  # the reminders
    assert sorted(h for h, _ in notifier.reminders) == ["giulia", "luca", "paolo", "sara"]
    await standups.at(utc(2026, 12, 1, 14, 30))  # Elena's 09:30 in New York
    assert "elena" not in notifier.prompted()  # she cannot be reached privately…
    await standups.at(utc(2026, 12, 1, 14, 30, 5))
    assert (await standups.entry(TUESDAY, "elena")).status is EntryStatus.UNREACHABLE  # type: ignore[union-attr]
    assert standups.last_summary().unreachable == ("Elena Ricci",)  # …so the summary says so

    await standups.at(utc(2026, 12, 1, 17, 30))  # three hours after the last prompt, Elena's
    final = standups.last_summary()
    assert final.final and final.progress == "1 of 6 answered"
    assert final.not_answered == ("Giulia Rossi", "Luca Ferrari", "Sara Romano", "Paolo Colombo", "Elena Ricci")
    assert len(notifier.reminders) == 4  # one each, at most


async def test_a_burst_of_answers_updates_the_card_once_per_period(
    standups: Standups, notifier: FakeStandupNotifier
) -> None:
    await standups.plan(TUESDAY)
    await standups.at(rome_0930(TUESDAY))
    await standups.at(rome_0930(TUESDAY) + timedelta(seconds=30))  # the prompts' own refresh
    notifier.summaries.clear()
    for second, handle in enumerate(["giulia", "marco", "luca", "sara", "paolo"]):
        standups.clock.set(utc(2026, 12, 1, 8, 31, second))
        await standups.answer(handle, "yesterday's work", "today's work")
    await standups.at(utc(2026, 12, 1, 8, 31, 10))
    updates = [s for kind, s in notifier.summaries if kind == "update"]
    assert [s.progress for s in updates] == ["5 of 6 answered"]


@pytest.mark.parametrize("restart_at", [utc(2026, 12, 1, 8, 29), utc(2026, 12, 1, 8, 31)])
async def test_a_restart_just_before_or_after_the_prompt_neither_loses_nor_doubles_it(
    standups: Standups, notifier: FakeStandupNotifier, restart_at: datetime
) -> None:
    await standups.plan(TUESDAY)
    await standups.at(restart_at)
    await standups.plan(TUESDAY)  # the restarted process plans again
    await standups.at(utc(2026, 12, 1, 8, 32))
    await standups.plan(TUESDAY)
    await standups.at(utc(2026, 12, 1, 8, 33))
    assert sorted(notifier.prompted()) == ["giulia", "luca", "marco", "paolo", "sara"]
    assert [kind for kind, s in notifier.summaries if s.day == TUESDAY].count("post") == 1


async def test_who_commands_an_open_p1_is_not_asked_and_the_summary_says_on_which_incident(
    standups: Standups, notifier: FakeStandupNotifier
) -> None:
    await standups.declare(Severity.P1, utc(2026, 12, 1, 2, 10))  # 03:10 in Rome: Sara is primary
    await standups.declare(Severity.P3, utc(2026, 12, 1, 4, 0))  # 05:00: Sara again, but only a P3
    await standups.plan(TUESDAY)
    await standups.at(rome_0930(TUESDAY))

    assert "sara" not in notifier.prompted()
    sara = next(p for p in standups.last_summary().people if p.handle == "sara")
    assert sara.state == "on INC-1"
    assert [line.key for line in standups.last_summary().incidents] == ["INC-1", "INC-2"]
    assert any(entry.startswith("primary: Sara Romano") for entry in standups.last_summary().on_call)


async def test_a_member_paged_at_night_on_a_p3_is_asked_with_the_incident_prefilled_and_not_reminded(
    standups: Standups, notifier: FakeStandupNotifier
) -> None:
    await standups.declare(Severity.P3, utc(2026, 12, 1, 4, 0))  # 05:00 Rome, Sara commands
    await standups.plan(TUESDAY)
    await standups.at(rome_0930(TUESDAY))
    draft = next(d for h, d in notifier.prompts if h == "sara")
    assert draft.incidents == ("INC-1 checkout returns 500: commanded",)
    assert "INC-1 checkout returns 500: commanded" in draft.yesterday
    assert draft.notes and draft.night_paged
    await standups.at(utc(2026, 12, 1, 9, 30))
    assert "sara" not in [h for h, _ in notifier.reminders]


async def test_yesterdays_today_and_the_wip_activity_prefill_the_prompt(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, notifier: FakeStandupNotifier, circle: Circle
) -> None:
    standups = Standups(uow_factory, clock, notifier, circle, FixedWip())
    await standups.plan(TUESDAY)
    await standups.at(rome_0930(TUESDAY))
    await standups.answer("marco", "certs", "migrate the ingress")
    await standups.plan(WEDNESDAY)
    await standups.at(rome_0930(WEDNESDAY))
    draft = [d for h, d in notifier.prompts if h == "marco"][-1]
    assert draft.yesterday == "migrate the ingress"
    assert draft.today == "Continue Migrate the ingress (last feedback: half the routes moved)"
    assert standups.last_summary().overdue_activities == ("#12 Migrate the ingress (Marco Bianchi, due Fri 27 Nov)",)


async def test_a_blocker_keeps_its_age_and_goes_to_the_team_leader_once_after_two_working_days(
    standups: Standups, notifier: FakeStandupNotifier
) -> None:
    for day in (TUESDAY, WEDNESDAY, THURSDAY, FRIDAY):
        await standups.plan(day)
        await standups.at(rome_0930(day))
        await standups.answer("marco", "x", "y", "Waiting for DB access")
        await standups.at(rome_0930(day) + timedelta(hours=9))  # after Elena's window, in New York
    assert notifier.escalations == [("giulia", "Waiting for DB access", 3)]
    assert [(b.text, b.age) for b in standups.last_summary().blockers] == [("Waiting for DB access", 4)]
    draft = [d for h, d in notifier.prompts if h == "marco"][-1]
    assert [(b.text, b.age) for b in draft.open_blockers] == [("Waiting for DB access", 4)]


async def test_a_blocker_ticked_as_solved_leaves_the_summary(standups: Standups, notifier: FakeStandupNotifier) -> None:
    await standups.plan(TUESDAY)
    await standups.at(rome_0930(TUESDAY))
    await standups.answer("marco", "x", "y", "VPN down")
    await standups.plan(WEDNESDAY)
    await standups.at(rome_0930(WEDNESDAY))
    [blocker] = [d for h, d in notifier.prompts if h == "marco"][-1].open_blockers
    await standups.answer("marco", "x", "y", "VPN down", solved={blocker.id})
    await standups.at(rome_0930(WEDNESDAY) + timedelta(minutes=1))
    assert standups.last_summary().blockers == ()


async def test_answering_after_the_window_counts_for_the_next_day_which_then_sends_no_prompt(
    standups: Standups, notifier: FakeStandupNotifier
) -> None:
    await standups.plan(TUESDAY)  # arms the week ahead
    standups.clock.set(utc(2026, 12, 1, 17, 0))  # Tuesday evening
    entry = await standups.answer("marco", "certs", "ingress", day=TUESDAY)
    assert entry.day == WEDNESDAY
    await standups.at(rome_0930(WEDNESDAY))
    assert "marco" not in [h for h, d in notifier.prompts if d.day == WEDNESDAY]
    assert next(p for p in standups.last_summary().people if p.handle == "marco").state == "answered"


async def test_time_off_and_skips_show_on_the_summary_and_stop_prompts(
    standups: Standups, notifier: FakeStandupNotifier
) -> None:
    paolo, giulia = standups.circle.member("paolo"), standups.circle.member("giulia")
    standups.clock.set(utc(2026, 11, 30, 18, 0))
    await standups.run(
        service.set_away, standups.circle, paolo, parse_ooo("until 2026-12-02 dentist", date(2026, 11, 30))
    )
    await standups.plan(TUESDAY)
    await standups.at(rome_0930(TUESDAY))
    assert "paolo" not in notifier.prompted()
    await standups.run(service.skip, standups.circle, giulia, "customer workshop")
    await standups.at(rome_0930(TUESDAY) + timedelta(seconds=10))
    people = {p.handle: (p.state, p.note) for p in standups.last_summary().people}
    assert people["paolo"] == ("away", "dentist") and people["giulia"] == ("skipped", "customer workshop")
    await standups.run(service.set_away, standups.circle, paolo, parse_ooo("cancel", TUESDAY))
    await standups.plan(WEDNESDAY)
    await standups.at(rome_0930(WEDNESDAY))
    assert "paolo" in [h for h, d in notifier.prompts if d.day == WEDNESDAY]


async def test_stats_are_for_the_team_leader_only(standups: Standups) -> None:
    await standups.plan(TUESDAY)
    await standups.at(rome_0930(TUESDAY))
    standups.clock.set(rome_0930(TUESDAY) + timedelta(minutes=10))
    await standups.answer("marco", "x", "y", "DB access")
    standups.clock.set(rome_0930(TUESDAY) + timedelta(minutes=30))
    await standups.answer("luca", "x", "y")
    with pytest.raises(StandupError, match="only the Team Leader"):
        await standups.run(service.stats, standups.circle, standups.circle.member("marco"), 30)
    stats = await standups.run(service.stats, standups.circle, standups.circle.member("giulia"), 30)
    by_name = {m.name: m for m in stats.members}
    assert (by_name["Marco Bianchi"].answered, by_name["Marco Bianchi"].asked) == (1, 1)
    assert by_name["Luca Ferrari"].median_answer == timedelta(minutes=30)
    assert (by_name["Sara Romano"].answered, by_name["Sara Romano"].asked) == (0, 1)
    assert (stats.blockers_raised, stats.blockers_solved) == (1, 0)


async def test_a_bot_down_at_stand_up_time_still_asks_within_the_window_and_says_it_is_late(
    standups: Standups, notifier: FakeStandupNotifier
) -> None:
    standups.clock.set(utc(2026, 12, 1, 10, 0))  # back at 11:00 Rome: the 09:30 prompts were missed
    await standups.plan(TUESDAY)
    await standups.at(utc(2026, 12, 1, 10, 0))
    draft = next(d for h, d in notifier.prompts if h == "marco")
    assert draft.notes == ("The 09:30 stand-up prompt, sent at 11:00 CET after a restart.",)
    assert [kind for kind, s in notifier.summaries if s.day == TUESDAY] == ["post"]
    standups.clock.set(utc(2026, 12, 1, 15, 0))  # after the window, nothing is asked any more
    await standups.plan(TUESDAY)
    assert len(notifier.prompts) == 5
