"""`/postmortem …` typed in chat: parses the subcommand, finds the postmortem, runs one use case."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date

from botbuilder.core import TurnContext

from bot.cards import card_message
from bot.commands import CommandArgs
from bot.mentions import mentioned_accounts
from bot.postmortems.cards import postmortem_list_card
from dialogs.postmortems.desk import PostmortemDesk, required_member
from dialogs.replies import say, sentence
from domain.circle import Circle, Member
from domain.incidents.model import IncidentError, parse_incident_key
from domain.local_time import format_date
from domain.postmortems import service
from domain.postmortems.model import Postmortem, PostmortemError, parse_action_key
from domain.postmortems.schedule import local_date, parse_due

USAGE = (
    "`/postmortem start INC-7 [@owner]` · `/postmortem action [INC-7] <what> [@owner] [due]` · "
    "`/postmortem review|agree|show [INC-7]` · `/postmortem done [INC-7] A1` · "
    "`/postmortem comment [INC-7] <text>` · `/postmortem list [circle]` · `/postmortem search <words>`"
)
SUBCOMMAND_USAGE = {
    "start": "/postmortem start INC-7 [@owner]",
    "review": "/postmortem review [INC-7]",
    "action": "/postmortem action [INC-7] <what will change> [@owner] [due: 2026-12-04, fri, 3d, 2w, 5wd]",
    "agree": "/postmortem agree [INC-7]",
    "done": "/postmortem done [INC-7] A1",
    "comment": "/postmortem comment [INC-7] <text>",
    "show": "/postmortem show [INC-7]",
}
_MENTION_TAG = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)
_SYNTAX_CHECK_DAY = date(2000, 1, 3)  # any Monday: only whether a word parses as a due date matters here

Handler = Callable[[TurnContext, Postmortem, Circle, list[str]], Awaitable[None]]


class PostmortemCommands:
    """Parses `/postmortem <sub> [INC-7] …`, finds the postmortem (id given, or the thread's), runs one use case."""

    def __init__(self, desk: PostmortemDesk) -> None:
        self._desk = desk
        self._on_postmortem: dict[str, Handler] = {
            "review": self._review,
            "action": self._action,
            "agree": self._agree,
            "done": self._done,
            "comment": self._comment,
            "show": self._show,
        }

    async def handle(self, turn_context: TurnContext, args: CommandArgs) -> None:
        """Entry point registered as the `postmortem` command."""
        try:
            await self._dispatch(turn_context, args.words)
        except (PostmortemError, IncidentError) as error:
            await say(turn_context, sentence(str(error)))

    async def _dispatch(self, turn_context: TurnContext, words: list[str]) -> None:
        if not words:
            raise PostmortemError(f"what about postmortems? {USAGE}")
        first = words[0].lower()
        if first == "start":
            return await self._start(turn_context, words[1:])
        if first == "list":
            return await self._list(turn_context, words[1:])
        if first == "search":
            return await self._search(turn_context, words[1:])
        handler = self._on_postmortem.get(first)
        if handler is None:
            raise PostmortemError(f"I don't know `/postmortem {words[0]}`. {USAGE}")
        rest = words[1:]
        number = parse_incident_key(rest[0]) if rest else None
        if number is not None:
            rest = rest[1:]
        else:
            here = await self._desk.postmortem_here(turn_context)
            if here is None:
                raise PostmortemError(
                    f"which postmortem? Use it in the review thread or give the incident: `{SUBCOMMAND_USAGE[first]}`"
                )
            number = here.incident_number
        found = await self._desk.postmortem(number)
        if found is None:
            raise PostmortemError(f"INC-{number} has no postmortem; start one with `/postmortem start INC-{number}`")
        await handler(turn_context, *found, rest)

    async def _start(self, turn_context: TurnContext, words: list[str]) -> None:
        number = parse_incident_key(words[0]) if words else None
        if number is None:
            found = await self._desk.incidents.incident_here(turn_context)
            if found is None:
                raise PostmortemError(f"which incident? `{SUBCOMMAND_USAGE['start']}`")
        else:
            found = await self._desk.incidents.incident(number)
        if found is None:
            raise PostmortemError(f"there is no INC-{number}; `/incident list` shows the open ones")
        number, circle = found[0].number, found[1]
        by = required_member(turn_context, circle)
        owner = _owner(turn_context, circle, words)
        postmortem = await self._desk.start(number, by, owner=owner.handle if owner else None)
        owner_name = _name(circle, postmortem.owner)
        where = "a branch and merge request in GitLab" if self._desk.gitlab_enabled else "its review thread"
        today = local_date(self._desk.clock.now(), circle.time_zone)
        await say(
            turn_context,
            f"Postmortem of {postmortem.incident_key} started: owner {owner_name}, "
            f"due {format_date(postmortem.due, today)}. "
            f"The draft goes to {where}; the card opens the review thread in the circle's channel.",
        )

    async def _review(
        self, turn_context: TurnContext, postmortem: Postmortem, circle: Circle, _rest: list[str]
    ) -> None:
        by = required_member(turn_context, circle)
        await self._desk.run(service.request_review, postmortem.incident_number, by.display_name)
        await say(turn_context, f"The postmortem of {postmortem.incident_key} is in review.")

    async def _action(self, turn_context: TurnContext, postmortem: Postmortem, circle: Circle, rest: list[str]) -> None:
        by = required_member(turn_context, circle)
        owner = _owner(turn_context, circle, rest)
        words = [w for w in _MENTION_TAG.sub(" ", " ".join(rest)).split() if not w.startswith("@")]
        due = None
        if words and parse_due(words[-1], _SYNTAX_CHECK_DAY, circle.working_days) is not None:
            due = words.pop()
        added = await self._desk.run(
            service.add_action,
            postmortem.incident_number,
            by.display_name,
            text=" ".join(words),
            owner=owner.handle if owner else None,
            due=due,
        )
        action = added.action
        today = local_date(self._desk.clock.now(), circle.time_zone)
        await say(
            turn_context,
            f"{postmortem.incident_key} {action.key} added: {action.text} — {_name(circle, action.owner)}, "
            f"due {format_date(action.due, today)}."
            + (" See the blameless nudge in the thread." if added.blaming else ""),
        )

    async def _agree(self, turn_context: TurnContext, postmortem: Postmortem, circle: Circle, _rest: list[str]) -> None:
        by = required_member(turn_context, circle)
        agreed = await self._desk.run(service.agree_actions, postmortem.incident_number, by.display_name)
        count = len(agreed.actions)
        await say(turn_context, f"Review of {agreed.incident_key} done: {count} action(s) agreed and being filed.")

    async def _done(self, turn_context: TurnContext, postmortem: Postmortem, circle: Circle, rest: list[str]) -> None:
        by = required_member(turn_context, circle)
        number = parse_action_key(rest[0]) if rest else None
        if number is None:
            raise PostmortemError(f"which action? `{SUBCOMMAND_USAGE['done']}`")
        await self._desk.run(service.complete_action, postmortem.incident_number, number, by.display_name)
        await say(turn_context, f"{postmortem.incident_key} A{number} is done; no more reminders for it.")

    async def _comment(
        self, turn_context: TurnContext, postmortem: Postmortem, circle: Circle, rest: list[str]
    ) -> None:
        text = _MENTION_TAG.sub(" ", " ".join(rest)).strip()
        if not text:
            raise PostmortemError(f"write the comment: `{SUBCOMMAND_USAGE['comment']}`")
        findings = await self._desk.run(service.review_comment, postmortem.incident_number, text)
        verdict = "See the blameless nudge in the thread." if findings else "It reads blameless."
        await say(turn_context, f"Noted. {verdict}")

    async def _show(self, turn_context: TurnContext, postmortem: Postmortem, circle: Circle, _rest: list[str]) -> None:
        await turn_context.send_activity(card_message(self._desk.notifier.card(postmortem, circle)))

    async def _list(self, turn_context: TurnContext, words: list[str]) -> None:
        circle = await self._circle(turn_context, words[0] if words else None)
        postmortems = await self._desk.in_circle(circle)
        card = postmortem_list_card(
            f"Postmortems · {circle.name}", postmortems, empty=f"No postmortems in {circle.name} yet."
        )
        await turn_context.send_activity(card_message(card))

    async def _search(self, turn_context: TurnContext, words: list[str]) -> None:
        if not words:
            raise PostmortemError("search for what? `/postmortem search connection pool`")
        found = await self._desk.search(words)
        query = " ".join(words)
        card = postmortem_list_card(
            f"Postmortems matching “{query}”", found, empty="No past postmortem mentions that; try fewer words."
        )
        await turn_context.send_activity(card_message(card))

    async def _circle(self, turn_context: TurnContext, name: str | None) -> Circle:
        incidents = self._desk.incidents
        if name:
            circle = await incidents.circle(name.lower())
            if circle is None:
                names = ", ".join(c.name for c in await incidents.circles()) or "none configured"
                raise PostmortemError(f"there is no circle `{name}`; circles: {names}")
            return circle
        circle = await incidents.circle_here(turn_context)
        if circle is None:
            raise PostmortemError("name the circle: `/postmortem list demo`")
        return circle


def _owner(turn_context: TurnContext, circle: Circle, words: list[str]) -> Member | None:
    """The member @mentioned (not the bot), or named as @handle; None when nobody is."""
    activity = turn_context.activity
    bot_id = activity.recipient.id if activity.recipient else None
    for account in mentioned_accounts(activity):
        if account.id == bot_id:
            continue
        member = circle.member_by_teams_id(account.id) or (
            circle.member_by_aad_id(account.aad_object_id) if account.aad_object_id else None
        )
        if member is None:
            raise PostmortemError(f"{account.name or account.id} is not a member of circle {circle.name}")
        return member
    for word in words:
        if word.startswith("@") and len(word) > 1:
            member = circle.member(word[1:].lower())
            if member is None:
                raise PostmortemError(f"{word} is not a member of circle {circle.name}; use a member's handle")
            return member
    return None


def _name(circle: Circle, handle: str) -> str:
    member = circle.member(handle)
    return member.display_name if member else handle
