"""The stand-up feature's wiring: commands, card buttons, timer kinds and its recurring schedule."""

from __future__ import annotations

from adapters.runtime import Runtime
from bot.messenger import Messenger
from bot.standups.notifier import TeamsStandupNotifier
from bot.wiring import BotComponents
from dialogs.standups.commands import StandupCommands
from dialogs.standups.desk import StandupDesk
from dialogs.standups.timers import standup_timer_handlers
from domain.standups.ports import NoWipActivities, WipActivityLookup
from domain.standups.schedule import StandupSchedule


def install_standups(
    bot: BotComponents, runtime: Runtime, messenger: Messenger, wip: WipActivityLookup | None = None
) -> StandupDesk:
    """Register `/standup`, `/ooo`, the prompt buttons, the stand-up timers and their schedule.

    `wip` is the activities feature's lookup of each member's WIP activity (issue #14).
    """
    desk = StandupDesk(runtime.uow, runtime.clock, TeamsStandupNotifier(messenger), wip or NoWipActivities())
    StandupCommands(desk).register(bot)
    for kind, handler in standup_timer_handlers(runtime.clock, desk.notifier, desk.wip).items():
        runtime.timers.register(kind, handler)
    # The shared planner arms each day's prompts, reminders, summary and close as durable timers.
    runtime.planner.register(StandupSchedule())
    return desk
