"""Wiring of the reports feature: `/report`, the weekly post, the dashboard tab and the Prometheus figures."""

from __future__ import annotations

from aiohttp import web

from adapters.reports.links import LinkSigner
from adapters.reports.metrics import ReportMetrics
from adapters.reports.routes import ReportRoutes
from adapters.reports.teams_sso import TeamsSsoValidator
from adapters.runtime import Runtime
from bot.commands import ALL_SCOPES, Command
from bot.messenger import Messenger
from bot.reports.weekly_post import weekly_report_handler
from bot.wiring import BotComponents
from dialogs.reports.commands import ReportCommands
from domain.reports.schedule import WEEKLY_REPORT, WeeklyReportSchedule


def install_reports(app: web.Application, runtime: Runtime, bot: BotComponents, messenger: Messenger) -> LinkSigner:
    """Register `/report`, the weekly report (schedule and timer), the dashboard tab and the /metrics figures."""
    settings = runtime.settings
    links = LinkSigner.from_settings(settings.link_secret, settings.app_password)
    commands = ReportCommands(runtime.uow, runtime.clock, links, settings.public_url)
    bot.commands.register(
        Command("report", "report [week|month|2026-11] [circle]",
                "MTTA, MTTR, SLA and on-call load of your circle, with the dashboard", ALL_SCOPES, commands.handle)
    )  # fmt: skip
    runtime.timers.register(WEEKLY_REPORT, weekly_report_handler(messenger, runtime.clock, links, settings.public_url))
    runtime.planner.register(WeeklyReportSchedule())
    single_tenant = settings.app_tenant_id if settings.app_type != "MultiTenant" else ""
    sso = TeamsSsoValidator(settings.tab_audiences, tenant_id=single_tenant, keys_url=settings.sso_keys_url)
    ReportRoutes(runtime, links, sso).install(app)
    metrics = ReportMetrics(runtime.database)
    runtime.metrics.registry.register(metrics)
    runtime.metrics.add_refresher(metrics.refresh)
    return links
