"""`/standup …`, `/ooo …` and the prompt card's Send and Edit buttons."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from botbuilder.core import TurnContext

from bot.card_actions import CardActionRegistry
from bot.cards import Card, card_message, text_block
from bot.commands import ALL_SCOPES, PERSONAL, Command, CommandArgs, CommandRegistry
from bot.standups.cards import (
    ANSWER_VERB,
    BLOCKERS,
    EDIT_VERB,
    SOLVED_PREFIX,
    TODAY,
    YESTERDAY,
    answered_card,
    day_label,
    prompt_card,
    skipped_card,
    stats_card,
    summary_card,
)
from dialogs.replies import answering_errors, say, sentence
from dialogs.standups.desk import StandupDesk
from domain.circle import Circle, Member
from domain.standups import service
from domain.standups.calendar import clock_time, local_day, window_closes, zone_name, zone_of
from domain.standups.model import StandupError
from domain.standups.rules import parse_day, parse_ooo

USAGE = (
    "`/standup` answer (or edit today's answer) · `/standup skip [reason]` · `/standup summary [date]` · "
    "`/standup stats [30d]` (Team Leader) · `/ooo 3d|until 2026-12-10|cancel [reason]`"
)
DEFAULT_STATS_DAYS = 30


class StandupCommands:
    """Parses what members type and click, runs one use case, answers briefly."""

    def __init__(self, desk: StandupDesk) -> None:
        self._desk = desk

    def register(self, commands: CommandRegistry, card_actions: CardActionRegistry) -> None:
        commands.register(
            Command("standup", "standup [skip [reason] | summary [date] | stats [30d]]",
                    "Answer or edit your daily stand-up; skip it; the day's summary; participation (Team Leader)",
                    ALL_SCOPES, self.standup)
        )  # fmt: skip
        commands.register(
            Command("ooo", "ooo 3d|until 2026-12-10|cancel [reason]",
                    "Out of office: no stand-up prompts, shown as away", ALL_SCOPES, self.ooo)
        )  # fmt: skip
        card_actions.register(ANSWER_VERB, answering_errors(self.answer_button, StandupError))
        card_actions.register(EDIT_VERB, answering_errors(self.edit_button, StandupError))

    async def standup(self, turn_context: TurnContext, args: CommandArgs) -> None:
        """Entry point registered as the `standup` command."""
        try:
            await self._dispatch(turn_context, args)
        except StandupError as error:
            await say(turn_context, sentence(str(error)))

    async def ooo(self, turn_context: TurnContext, args: CommandArgs) -> None:
        """Entry point registered as the `ooo` command."""
        try:
            circle, member = await self._member(turn_context)
            today = local_day(self._desk.clock.now(), zone_of(circle, member))
            request = parse_ooo(args.text, today)
            away = await self._desk.run(service.set_away, circle, member, request)
            if away is None:
                await say(turn_context, f"Welcome back: your stand-up prompts in {circle.name} start again.")
                return
            reason = f" ({away.reason})" if away.reason else ""
            await say(
                turn_context,
                f"Away from {away.start.isoformat()} to {away.end.isoformat()}{reason}: no stand-up prompts in "
                f"{circle.name}, and the summary shows you as away. `/ooo cancel` ends it.",
            )
        except StandupError as error:
            await say(turn_context, sentence(str(error)))

    async def _dispatch(self, turn_context: TurnContext, args: CommandArgs) -> None:
        words = args.words
        first = words[0].lower() if words else ""
        if first == "":
            return await self._prompt(turn_context, args.scope)
        if first == "skip":
            return await self._skip(turn_context, " ".join(words[1:]))
        if first == "summary":
            return await self._summary(turn_context, words[1:])
        if first == "stats":
            return await self._stats(turn_context, words[1:], args.scope)
        if first in ("help", "?"):
            return await say(turn_context, USAGE)
        raise StandupError(f"I don't know `/standup {words[0]}`. {USAGE}")

    async def _member(self, turn_context: TurnContext) -> tuple[Circle, Member]:
        circle, member = await self._desk.caller_circle(turn_context)
        if member is None:
            raise StandupError(f"you are not a member of {circle.name}, so you have no stand-up there")
        return circle, member

    async def _prompt(self, turn_context: TurnContext, scope: str) -> None:
        circle, member = await self._member(turn_context)
        if scope == PERSONAL:
            draft = await self._desk.read(service.draft_for, circle, member)
            await turn_context.send_activity(card_message(prompt_card(draft)))
            return
        # In a channel the card would be everyone's: send it to the person's chat instead.
        sent = await self._desk.run(service.prompt_privately, circle, member)
        if not sent:
            raise StandupError("I cannot message you privately yet: open a chat with me, say hi, then `standup`")
        await say(turn_context, f"{member.display_name}, I sent you the stand-up in our personal chat.")

    async def _skip(self, turn_context: TurnContext, reason: str) -> None:
        circle, member = await self._member(turn_context)
        entry = await self._desk.run(service.skip, circle, member, reason)
        await turn_context.send_activity(card_message(skipped_card(circle.name, entry)))

    async def _summary(self, turn_context: TurnContext, words: list[str]) -> None:
        circle, _member = await self._desk.caller_circle(turn_context)
        now = self._desk.clock.now()
        today = local_day(now, zone_of(circle))
        day = parse_day(words[0], today) if words else today
        if day > today:
            raise StandupError(f"{day.isoformat()} has not happened yet; `/standup summary` shows today's")
        summary = await self._desk.read(service.summarize, circle, day)
        until = clock_time(window_closes(circle, day), zone_of(circle))
        await turn_context.send_activity(card_message(summary_card(summary, answers_until=until)))

    async def _stats(self, turn_context: TurnContext, words: list[str], scope: str) -> None:
        if scope != PERSONAL:
            raise StandupError("`/standup stats` works in our personal chat, so nobody's numbers show in a channel")
        days = DEFAULT_STATS_DAYS
        if words:
            match = re.fullmatch(r"(\d{1,3})d?", words[0].lower())
            if match is None:
                raise StandupError(f"`{words[0]}` is not a number of days: `/standup stats 30d`")
            days = int(match.group(1))
        circle, member = await self._desk.caller_circle(turn_context, words[1] if len(words) > 1 else None)
        result = await self._desk.read(service.stats, circle, member, days)
        await turn_context.send_activity(card_message(stats_card(result)))

    # --- buttons ----------------------------------------------------------------------------------

    async def answer_button(self, turn_context: TurnContext, data: dict[str, Any]) -> Card:
        """Send / Save changes: the prompt becomes the answer as sent (an error answers in words)."""
        circle, member, day = await self._from_button(turn_context, data)
        solved = {
            int(name.removeprefix(SOLVED_PREFIX))
            for name, value in data.items()
            if name.startswith(SOLVED_PREFIX) and name.removeprefix(SOLVED_PREFIX).isdigit() and value == "true"
        }
        entry = await self._desk.run(
            service.answer,
            circle,
            member,
            day=day,
            yesterday=_text(data, YESTERDAY),
            today=_text(data, TODAY),
            blockers=_text(data, BLOCKERS),
            solved=solved,
        )
        sent_at = clock_time(self._desk.clock.now(), zone_of(circle, member))
        assert circle.standup is not None
        card = answered_card(circle.name, entry, circle.standup.questions, f"{sent_at} ({zone_name(circle, member)})")
        if day is not None and entry.day != day:
            card["body"].insert(1, text_block(f"The window had closed: this counts for {day_label(entry.day)}."))
        return card

    async def edit_button(self, turn_context: TurnContext, data: dict[str, Any]) -> Card:
        """Edit: the prompt again, prefilled with the answer."""
        circle, member, day = await self._from_button(turn_context, data)
        draft = await self._desk.read(service.draft_for, circle, member)
        if day is not None and draft.day != day:
            raise StandupError(f"the stand-up of {day.isoformat()} is closed; `standup` answers the next one")
        return prompt_card(draft)

    async def _from_button(self, turn_context: TurnContext, data: dict[str, Any]) -> tuple[Circle, Member, date | None]:
        name = data.get("circle")
        if not isinstance(name, str):
            raise StandupError("this card is out of date; type `standup` for a fresh one")
        circle, member = await self._desk.caller_circle(turn_context, name)
        if member is None:
            raise StandupError(f"only members of {circle.name} answer its stand-up")
        raw_day = data.get("day")
        try:
            day = date.fromisoformat(raw_day) if isinstance(raw_day, str) else None
        except ValueError:
            day = None
        return circle, member, day


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    return value if isinstance(value, str) else ""
