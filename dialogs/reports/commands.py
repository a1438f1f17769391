"""`/report [week|month|YYYY-MM] [circle]`: the report card, with a signed link to the dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from botbuilder.core import TurnContext

from adapters.reports.links import LinkSigner
from bot.cards import card_message
from bot.commands import CommandArgs
from bot.reports.cards import report_card
from dialogs.replies import say, sentence
from dialogs.reports.desk import ReportDesk
from dialogs.turns import channel_of, member_of
from domain.circle import Circle
from domain.reports.period import PERIOD_USAGE, PeriodError, parse_period

USAGE = f"`/report [week|month|2026-11] [circle]` — the period is {PERIOD_USAGE} (default: this week)"


class ReportError(ValueError):
    """Which circle or period was meant is unclear; the message says what to type."""


@dataclass
class ReportCommands:
    desk: ReportDesk
    links: LinkSigner
    public_url: str

    async def handle(self, turn_context: TurnContext, args: CommandArgs) -> None:
        """Entry point registered as the `report` command."""
        try:
            circle, period = await self._circle_and_period(turn_context, args.words)
            now = self.desk.now()
            comparison = parse_period(period, now=now, time_zone=circle.time_zone)
            report = await self.desk.report(circle, comparison, now)
        except (ReportError, PeriodError) as error:
            return await say(turn_context, sentence(str(error)))
        card = report_card(report, dashboard_link(self.public_url, self.links, circle.name, period or "week", now))
        await turn_context.send_activity(card_message(card))

    async def _circle_and_period(self, turn_context: TurnContext, words: list[str]) -> tuple[Circle, str]:
        """The circle (named, this channel's, or the caller's only one) and the period word."""
        periods = [w for w in words if _looks_like_period(w)]
        names = [w for w in words if not _looks_like_period(w)]
        if len(periods) > 1 or len(names) > 1:
            raise ReportError(f"one period and at most one circle, please: {USAGE}")
        circles = await self.desk.circles(channel_of(turn_context))
        here = circles.here
        mine = [c for c in circles.active if member_of(turn_context, c) is not None]
        named = circles.named(names[0].lower()) if names else None
        period = periods[0] if periods else ""
        if names:
            if named is None or (named not in mine and named != here):
                yours = ", ".join(c.name for c in mine) or "none"
                raise ReportError(
                    f"`{names[0]}` is neither a period ({PERIOD_USAGE}) nor one of your circles ({yours})"
                )
            return named, period
        if here is not None:
            return here, period
        if len(mine) == 1:
            return mine[0], period
        if not mine:
            raise ReportError("you are not a member of any circle, so there is no report for you here")
        raise ReportError(f"you are in {', '.join(c.name for c in mine)}: name one, e.g. `/report week {mine[0].name}`")


def dashboard_link(public_url: str, links: LinkSigner, circle: str, period: str, now: datetime) -> str:
    """The signed dashboard URL for `circle` and `period`."""
    return f"{public_url}/tabs/dashboard?{links.query(circle, period, now)}"


def _looks_like_period(word: str) -> bool:
    word = word.lower()
    return (
        word in ("week", "month", "w", "m", "this-week", "this-month")
        or (len(word) == 7 and word[4] == "-" and word[:4].isdigit())
        or word.startswith("week:")
    )
