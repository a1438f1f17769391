"""The weekly report, posted to the circle's channel when its `reports.weekly` timer fires."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from adapters.reports.links import LinkSigner
from adapters.timer_tick import TimerHandler
from bot.cards import card_activity
from bot.reports.cards import report_card
from bot.teams_notifier import TeamsNotifier
from domain.recurring import late_note
from domain.reports.period import week_starting
from domain.reports.service import circle_report
from storage.timers import DueTimer
from storage.unit_of_work import SqlUnitOfWork


def weekly_report_handler(teams: TeamsNotifier, links: LinkSigner, public_url: str) -> TimerHandler:
    """Posts the report of the week named in the timer's payload, once (the outbox key names the week)."""

    async def post_weekly_report(timer: DueTimer, uow: SqlUnitOfWork) -> None:
        circle = await uow.circles.get(str(timer.payload["circle"]))
        if circle is None or not circle.report.weekly_enabled:
            return  # the circle was removed, or its weekly report switched off, after planning
        week_of = str(timer.payload["week_of"])
        comparison = week_starting(date.fromisoformat(week_of), circle.time_zone)
        now = teams.clock.now()
        report = await circle_report(uow.reports, circle, comparison, now)
        channel = await teams.channel(uow, circle.channel_id)
        zone = ZoneInfo(circle.time_zone)
        link = f"{public_url}/tabs/dashboard?{links.query(circle.name, f'week:{week_of}', now)}"
        teams.send(
            uow,
            channel,
            card_activity(report_card(report, link, late=late_note("weekly report", timer.due_at, now, zone))),
            f"teams:report:weekly:{circle.name}:{week_of}",
        )

    return post_weekly_report
