"""`/oncall …`: who is on call, the schedule, overrides and swaps."""

from __future__ import annotations

from datetime import timedelta

from botbuilder.core import TurnContext

from bot.cards import card_message
from bot.commands import CommandArgs
from bot.oncall.cards import name_of, oncall_card, overrides_card, schedule_card
from dialogs.oncall.desk import OnCallDesk, caller_of, find_member, mentions_as_handles
from dialogs.replies import say, sentence
from domain.circle import Circle
from domain.local_time import format_moment
from domain.oncall import service
from domain.oncall.model import primary_gaps, turns_between, who_is_on_call
from domain.oncall.moments import MOMENT_EXAMPLES, OnCallError, parse_period
from domain.rota import Layer

USAGE = (
    "`/oncall` who is on call now and next · `/oncall schedule [days]` · "
    "`/oncall override @person <from> <to> [secondary] [reason]` · `/oncall swap @person [@other] [secondary]` · "
    "`/oncall overrides` · `/oncall cancel <#>`"
)
OVERRIDE_USAGE = (
    "`/oncall override @person <from> <to> [primary|secondary] [reason]`, e.g. "
    "`/oncall override @sara tomorrow 18:00 09:00 dentist` — times like " + MOMENT_EXAMPLES
)
SWAP_USAGE = "`/oncall swap @person [primary|secondary]` swaps your next turn with theirs; the Team Leader may " \
    "swap two others: `/oncall swap @marco @sara`"  # fmt: skip
EXAMPLES = (
    "/oncall",
    "/oncall schedule 7",
    "/oncall override @Sara tomorrow 18:00 09:00 dentist",
    "/oncall swap @Sara",
    "/oncall overrides",
    "/oncall cancel 3",
)
DEFAULT_DAYS = 14
MAX_DAYS = 60


class OnCallCommands:
    """Parses `/oncall …` and answers with a card or a sentence."""

    def __init__(self, desk: OnCallDesk) -> None:
        self._desk = desk

    async def handle(self, turn_context: TurnContext, args: CommandArgs) -> None:
        """Entry point registered as the `oncall` command."""
        try:
            await self._dispatch(turn_context, args.text)
        except OnCallError as error:
            await say(turn_context, sentence(str(error)))

    async def _dispatch(self, turn_context: TurnContext, text: str) -> None:
        words = text.split()
        first = words[0].lower() if words else ""
        if not words:
            return await self._now(turn_context)
        if first == "schedule":
            return await self._schedule(turn_context, words[1:])
        if first in ("overrides", "list"):
            return await self._overrides(turn_context)
        if first in ("override", "swap", "cancel"):
            circle = await self._desk.one_circle(turn_context)
            rest = mentions_as_handles(turn_context, circle, text).split()[1:]
            handler = {"override": self._override, "swap": self._swap, "cancel": self._cancel}[first]
            return await handler(turn_context, circle, rest)
        raise OnCallError(f"I don't know `/oncall {words[0]}`. {USAGE}")

    async def _now(self, turn_context: TurnContext) -> None:
        circles = await self._desk.circles_for(turn_context)
        if not circles:
            circles = await self._desk.all_circles()
        if not circles:
            raise OnCallError("no circle is configured yet: see circles.example.yaml and `circlebot config apply`")
        now = self._desk.clock.now()
        for circle in circles[:5]:
            readiness = None
            caller = caller_of(turn_context, circle)
            if caller is not None and caller.handle == circle.team_leader:
                # Only the Team Leader sees who is not on-call ready (drills are between them and the member).
                readiness = await self._desk.unready(circle)
            card = oncall_card(circle, who_is_on_call(circle.rota, now), now, readiness=readiness)
            await turn_context.send_activity(card_message(card))

    async def _schedule(self, turn_context: TurnContext, words: list[str]) -> None:
        days = DEFAULT_DAYS
        if words:
            if not (words[0].isascii() and words[0].isdecimal() and len(words[0]) <= 3) or not (
                1 <= int(words[0]) <= MAX_DAYS
            ):
                raise OnCallError(f"`{words[0]}` is not a number of days from 1 to {MAX_DAYS}: `/oncall schedule 7`")
            days = int(words[0])
        circle = await self._desk.one_circle(turn_context)
        now = self._desk.clock.now()
        end = now + timedelta(days=days)
        turns = {layer: turns_between(circle.rota, now, end, layer) for layer in Layer}
        card = schedule_card(circle, turns, primary_gaps(circle.rota, now, end), start=now, days=days, now=now)
        await turn_context.send_activity(card_message(card))

    async def _overrides(self, turn_context: TurnContext) -> None:
        circle = await self._desk.one_circle(turn_context)
        now = self._desk.clock.now()
        upcoming = await self._desk.read(lambda ctx: ctx.overrides.upcoming(circle.name, now))
        await turn_context.send_activity(card_message(overrides_card(circle, upcoming, now)))

    async def _override(self, turn_context: TurnContext, circle: Circle, words: list[str]) -> None:
        if len(words) < 3:
            raise OnCallError(f"usage: {OVERRIDE_USAGE}")
        covering = find_member(circle, words[0])
        zone, now = circle.rota.zone, self._desk.clock.now()
        try:
            start, end, rest = parse_period(words[1:], zone, now)
        except OnCallError as error:
            raise OnCallError(f"{error}. Usage: {OVERRIDE_USAGE}") from None
        layer, rest = _layer(rest)
        covered = {t.member for t in turns_between(circle.rota, max(start, now), end, layer)} - {covering.handle}
        override_id, override = await self._desk.change_rota(
            service.add_override,
            circle,
            caller=caller_of(turn_context, circle),
            covering=covering,
            layer=layer,
            start=start,
            end=end,
            reason=" ".join(rest),
        )
        instead = f", instead of {', '.join(name_of(circle, h) for h in sorted(covered))}" if covered else ""
        await say(
            turn_context,
            f"Override #{override_id}: {covering.display_name} is {layer} on call from "
            f"{format_moment(override.start, zone, now)} to {format_moment(override.end, zone, now)}{instead}.",
        )

    async def _swap(self, turn_context: TurnContext, circle: Circle, words: list[str]) -> None:
        people = [w for w in words if w.lower() not in ("primary", "secondary")]
        layer, _ = _layer([w for w in words if w.lower() in ("primary", "secondary")])
        caller = caller_of(turn_context, circle)
        if len(people) == 1 and caller is not None:
            first, second = caller, find_member(circle, people[0])
        elif len(people) == 2:
            first, second = find_member(circle, people[0]), find_member(circle, people[1])
        else:
            raise OnCallError(f"usage: {SWAP_USAGE}")
        overrides = await self._desk.change_rota(
            service.swap_turns, circle, caller=caller, first=first, second=second, layer=layer
        )
        zone, now = circle.rota.zone, self._desk.clock.now()
        lines = [
            f"{name_of(circle, o.member)} covers {format_moment(o.start, zone, now)} → "
            f"{format_moment(o.end, zone, now)}"
            for o in overrides
        ]
        await say(turn_context, f"Swapped ({layer}): " + "; ".join(lines) + ".")

    async def _cancel(self, turn_context: TurnContext, circle: Circle, words: list[str]) -> None:
        if not words or not words[0].lstrip("#").isdigit():
            raise OnCallError("which override? `/oncall cancel 3` (`/oncall overrides` lists them)")
        override = await self._desk.change_rota(
            service.cancel_override,
            circle,
            caller=caller_of(turn_context, circle),
            override_id=int(words[0].lstrip("#")),
        )
        await say(turn_context, f"Override #{words[0].lstrip('#')} of {name_of(circle, override.member)} cancelled.")


def _layer(words: list[str]) -> tuple[Layer, list[str]]:
    if words and words[0].lower() in ("primary", "secondary"):
        return Layer(words[0].lower()), words[1:]
    return Layer.PRIMARY, words
