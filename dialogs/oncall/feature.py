"""Installs the on-call feature: `/oncall`, `/handover` and its buttons, the rota timers, and the
rota's recurring schedules (shift changes, shift reminders, the weekly rota check) on the shared planner."""

from __future__ import annotations

from adapters.oncall.timers import oncall_timer_handlers
from bot.commands import ALL_SCOPES, Command
from bot.feature import FeatureHost, ServiceKey
from bot.oncall.notifier import TeamsOnCallNotifier
from dialogs.oncall.commands import EXAMPLES, OnCallCommands
from dialogs.oncall.desk import OnCallDesk
from dialogs.oncall.handover import HandoverCommands
from domain.oncall.ports import PluggableReadiness
from domain.oncall.schedule import oncall_schedules

# The runbooks feature plugs its drills in here: `/oncall` and the weekly rota check then say who is not ready.
ONCALL_READINESS = ServiceKey[PluggableReadiness]("oncall.readiness")


class OnCallFeature:
    name = "oncall"
    # The handover brief lists the open incidents and the postmortem actions coming due.
    requires: tuple[str, ...] = ("incidents", "postmortems")

    def install(self, host: FeatureHost) -> None:
        """Register `/oncall`, `/handover`, the handover buttons, the rota timers and the rota's schedules."""
        notifier = TeamsOnCallNotifier(host.teams)
        readiness = PluggableReadiness()
        desk = OnCallDesk(host.uow, host.clock, notifier, host.planner, readiness)
        oncall = OnCallCommands(desk)
        host.commands.register(
            Command("oncall", "oncall [schedule [days] | override | swap | overrides | cancel]",
                    "Who is on call now and next; the schedule; overrides and swaps", ALL_SCOPES, oncall.handle,
                    EXAMPLES)
        )  # fmt: skip
        HandoverCommands(desk).register(host)
        for kind, handler in oncall_timer_handlers(host.clock, notifier, readiness).items():
            host.timers.register(kind, handler)
        for schedule in oncall_schedules(host.settings.shift_change_grace):
            host.planner.register(schedule)
        host.provide(ONCALL_READINESS, readiness)
