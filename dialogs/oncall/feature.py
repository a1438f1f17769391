"""Installs the on-call feature: `/oncall`, `/handover` and its buttons, the rota timers, and the
leader's job that plans every circle's rota timers."""

from __future__ import annotations

from datetime import timedelta

from apscheduler.triggers.interval import IntervalTrigger

from adapters.oncall.timers import oncall_timer_handlers, plan_all_circles
from bot.commands import ALL_SCOPES, Command
from bot.feature import FeatureHost
from bot.oncall.notifier import TeamsOnCallNotifier
from dialogs.oncall.commands import OnCallCommands
from dialogs.oncall.desk import OnCallDesk
from dialogs.oncall.handover import HandoverCommands

# How often the leader re-plans every circle's rota timers: a newly applied circles file gets
# its handovers and reminders within this time. Planning is a few indexed writes per circle.
PLAN_EVERY = timedelta(minutes=10)


class OnCallFeature:
    name = "oncall"
    # The handover brief lists the open incidents and the postmortem actions coming due.
    requires: tuple[str, ...] = ("incidents", "postmortems")

    def install(self, host: FeatureHost) -> None:
        """Register `/oncall`, `/handover`, the handover buttons, the rota timers and the planning job."""
        notifier = TeamsOnCallNotifier(host.messenger, host.clock)
        desk = OnCallDesk(host.uow, host.clock, notifier)
        oncall = OnCallCommands(desk)
        host.commands.register(
            Command("oncall", "oncall [schedule [days] | override | swap | overrides | cancel]",
                    "Who is on call now and next; the schedule; overrides and swaps", ALL_SCOPES, oncall.handle)
        )  # fmt: skip
        HandoverCommands(desk).register(host)
        for kind, handler in oncall_timer_handlers(host.clock, notifier).items():
            host.timers.register(kind, handler)

        async def plan() -> None:
            await plan_all_circles(host.uow, host.clock, notifier)

        host.add_job("oncall-plan", plan, IntervalTrigger(seconds=PLAN_EVERY.total_seconds()))
