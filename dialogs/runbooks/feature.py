"""Registers the runbooks feature: `/runbook`, `/drill` and the drill buttons, the GitLab outbox
handlers, the weekly runbook check (on the shared planner), and drill readiness for `/oncall`."""

from __future__ import annotations

from adapters.gitlab.runbooks import gitlab_runbooks_from_settings
from adapters.runbooks.delivery import register_runbook_handlers, runbook_timer_handlers
from adapters.runbooks.library import RunbookLibrary
from adapters.runbooks.readiness import DrillReadiness
from bot.commands import ALL_SCOPES, Command
from bot.feature import FeatureHost, ServiceKey
from bot.runbooks.notifier import TeamsRunbookNotifier
from dialogs.oncall.feature import ONCALL_READINESS
from dialogs.runbooks.actions import DrillActions
from dialogs.runbooks.commands import RunbookCommands
from dialogs.runbooks.desk import RunbookDesk
from domain.runbooks.schedule import SCHEDULES

RUNBOOK_DESK = ServiceKey[RunbookDesk]("runbooks.desk")


class RunbooksFeature:
    """Runbooks at 3 a.m. (read from GitLab, cached with ETag) and internal tests before the first shift."""

    name = "runbooks"
    # The card shows the live escalation path (rota), the service's postmortems, and readiness goes to /oncall.
    requires: tuple[str, ...] = ("incidents", "postmortems", "oncall", "alerts")

    def install(self, host: FeatureHost) -> None:
        gitlab = gitlab_runbooks_from_settings(host.settings)
        library = RunbookLibrary(host.uow, host.clock, gitlab)
        desk = RunbookDesk(host.uow, host.clock, library, TeamsRunbookNotifier(host.teams), gitlab is not None)
        commands = RunbookCommands(desk)
        host.commands.register(
            Command("runbook", "runbook [<service> [alert] | new <service> | check]",
                    "A service's runbook with who is on call now; new runbooks; the runbook check",
                    ALL_SCOPES, commands.runbook)
        )  # fmt: skip
        host.commands.register(
            Command("drill", "drill [start @member [topics] [n] | review]",
                    "Internal tests: a private quiz, graded per topic; gaps become corrective actions",
                    ALL_SCOPES, commands.drill)
        )  # fmt: skip
        DrillActions(desk).register(host.card_actions)
        register_runbook_handlers(host.outbox, gitlab, desk)
        for kind, handler in runbook_timer_handlers().items():
            host.timers.register(kind, handler)
        if gitlab is not None:
            # Without GitLab there is nothing to read: no weekly check (and `/runbook check` says why).
            for schedule in SCHEDULES:
                host.planner.register(schedule)
        host.service(ONCALL_READINESS).plug(DrillReadiness(host.clock))
        if gitlab is not None:
            host.on_close(gitlab.close)
        host.provide(RUNBOOK_DESK, desk)
