"""Installs the reports feature: `/report`, the weekly report (its schedule and timer), the dashboard
tab under /tabs/ and the report figures on /metrics."""

from __future__ import annotations

from adapters.reports.links import LinkSigner
from adapters.reports.metrics import ReportMetrics
from adapters.reports.routes import ReportRoutes
from adapters.reports.teams_sso import TeamsSsoValidator
from bot.commands import ALL_SCOPES, Command
from bot.feature import FeatureHost
from bot.reports.weekly_post import weekly_report_handler
from dialogs.reports.commands import ReportCommands
from dialogs.reports.desk import ReportDesk
from domain.reports.schedule import WEEKLY_REPORT, WeeklyReportSchedule


class ReportsFeature:
    name = "reports"
    # Reports read incidents, postmortems and their actions, shift handovers, stand-ups and activities.
    requires: tuple[str, ...] = ("incidents", "postmortems", "oncall", "activities", "standups")

    def install(self, host: FeatureHost) -> None:
        """Register `/report`, the weekly report, the dashboard's routes and the /metrics figures."""
        settings = host.settings
        links = LinkSigner.from_settings(settings.link_secret, settings.app_password)
        commands = ReportCommands(ReportDesk(host.uow, host.clock), links, settings.public_url)
        host.commands.register(
            Command("report", "report [week|month|2026-11] [circle]",
                    "MTTA, MTTR, SLA and on-call load of your circle, with the dashboard", ALL_SCOPES, commands.handle)
        )  # fmt: skip
        host.timers.register(WEEKLY_REPORT, weekly_report_handler(host.teams, links, settings.public_url))
        host.planner.register(WeeklyReportSchedule())
        single_tenant = settings.app_tenant_id if settings.app_type != "MultiTenant" else ""
        sso = TeamsSsoValidator(settings.tab_audiences, tenant_id=single_tenant, keys_url=settings.sso_keys_url)
        database = host.uow.database
        for method, path, handler in ReportRoutes(settings, host.clock, database, links, sso).routes():
            host.add_route(method, path, handler)
        metrics = ReportMetrics(database)
        host.metrics.registry.register(metrics)
        host.metrics.add_refresher(metrics.refresh)
