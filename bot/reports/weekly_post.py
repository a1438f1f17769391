"""The weekly report, posted to the circle's channel when its `reports.weekly` timer fires."""

from __future__ import annotations

import logging
from datetime import date
from zoneinfo import ZoneInfo

from adapters.reports.links import LinkSigner
from adapters.timer_tick import TimerHandler
from bot.cards import card_activity
from bot.conversation_target import ConversationTarget
from bot.messenger import Messenger
from bot.reports.cards import report_card
from domain.clock import Clock
from domain.recurring import late_note
from domain.reports.period import week_starting
from domain.reports.service import circle_report
from storage import conversations
from storage.timers import DueTimer
from storage.unit_of_work import SqlUnitOfWork

log = logging.getLogger(__name__)


def weekly_report_handler(messenger: Messenger, clock: Clock, links: LinkSigner, public_url: str) -> TimerHandler:
    """Posts the report of the week named in the timer's payload, once (the outbox key names the week)."""

    async def post_weekly_report(timer: DueTimer, uow: SqlUnitOfWork) -> None:
        circle = await uow.circles.get(str(timer.payload["circle"]))
        if circle is None or not circle.report.weekly_enabled:
            return  # the circle was removed, or its weekly report switched off, after planning
        week_of = str(timer.payload["week_of"])
        comparison = week_starting(date.fromisoformat(week_of), circle.time_zone)
        now = clock.now()
        report = await circle_report(uow.reports, circle, comparison, now)
        record = await conversations.channel_conversation(uow.session, circle.channel_id)
        if record is None:
            log.error("weekly report of %s not posted: install circlebot in the team of channel %s first",
                      circle.name, circle.channel_id)  # fmt: skip
            return
        channel = ConversationTarget.from_dict(record.reference).in_conversation(circle.channel_id)
        zone = ZoneInfo(circle.time_zone)
        link = f"{public_url}/tabs/dashboard?{links.query(circle.name, f'week:{week_of}', now)}"
        messenger.send(
            uow,
            conversation=channel,
            activity=card_activity(report_card(report, link, late=late_note("weekly report", timer.due_at, now, zone))),
            key=f"teams:report:weekly:{circle.name}:{week_of}",
        )

    return post_weekly_report
