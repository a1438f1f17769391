"""Registers the stand-up feature: `/standup`, `/ooo`, the prompt card's buttons, the stand-up timers
and their recurring schedule; and joins it to activities both ways."""

from __future__ import annotations

from datetime import date

from adapters.standups.activities import ActivityWip
from adapters.standups.timers import standup_timer_handlers
from bot.feature import FeatureHost
from bot.standups.notifier import TeamsStandupNotifier
from dialogs.activities.feature import ACTIVITY_DESK
from dialogs.standups.commands import StandupCommands
from dialogs.standups.desk import StandupDesk
from domain.ports import UnitOfWork
from domain.standups.model import EntryStatus
from domain.standups.schedule import StandupSchedule


class StandupsFeature:
    """The daily stand-up (issue #13): private prompts, a live summary card, blockers that keep their age."""

    name = "standups"
    # Incidents and the rota for the summary and who is busy; activities for the WIP line of the prompt.
    requires: tuple[str, ...] = ("incidents", "oncall", "activities")

    def install(self, host: FeatureHost) -> None:
        activities = host.service(ACTIVITY_DESK)
        desk = StandupDesk(host.uow, host.clock, TeamsStandupNotifier(host.teams), ActivityWip())
        StandupCommands(desk).register(host.commands, host.card_actions)
        for kind, handler in standup_timer_handlers(host.clock, desk.notifier, desk.wip).items():
            host.timers.register(kind, handler)
        # The shared planner arms each day's prompts, reminders, summary and close as durable timers.
        host.planner.register(StandupSchedule())
        # Activities read back: today's "today" prefills the feedback card; nobody away is asked for it.
        activities.standups = StandupAnswers()
        activities.availability = StandupAvailability()


class StandupAnswers:
    """Activities' StandupToday port: the member's stand-up answer for "today", on the caller's transaction."""

    async def today_answer(self, uow: UnitOfWork, circle: str, member: str, day: date) -> str | None:
        entry = await uow.standups.entry(circle, day, member)
        return entry.today if entry is not None and entry.status is EntryStatus.ANSWERED and entry.today else None


class StandupAvailability:
    """Activities' Availability port: away with `/ooo` (or on holiday) means not asked for feedback."""

    async def is_away(self, uow: UnitOfWork, circle: str, member: str, day: date) -> bool:
        if any(a.member == member for a in await uow.standups.aways(circle, day)):
            return True
        found = await uow.circles.get(circle)
        person = found.member(member) if found is not None else None
        policy = found.standup if found is not None else None
        return (person is not None and day in person.holidays) or (policy is not None and day in policy.holidays)
