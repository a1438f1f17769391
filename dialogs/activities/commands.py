"""`/activity …` typed in chat: parse the subcommand, find the activity, run one use case, answer briefly."""

from __future__ import annotations

import re

from botbuilder.core import TurnContext

from bot.activities.cards import board_card, choose_card, my_activities_card, new_activity_form
from bot.cards import card_message
from bot.commands import CommandArgs
from bot.mentions import mentioned_accounts
from dialogs.activities.desk import ActivityDesk, id_of
from dialogs.replies import say, sentence
from domain.activities import daily, service, sync
from domain.activities.feedback import Feedback
from domain.activities.model import ActivityError, AnotherActivityInProgress
from domain.circle import Circle, Member

USAGE = (
    "`/activity` (yours) · `/activity new` · `/activity import <issue URL or #12>` · "
    "`/activity start #12 [park]` · `/activity park` · `/activity feedback <what you did>` · "
    "`/activity ready [because <reason>]` · `/activity list [@member]` · "
    "Team Leader: `/activity approve #12` · `/activity changes #12 <comment>`"
)


class ActivityCommands:
    def __init__(self, desk: ActivityDesk) -> None:
        self._desk = desk

    async def handle(self, turn_context: TurnContext, args: CommandArgs) -> None:
        """Entry point registered as the `activity` command."""
        try:
            await self._dispatch(turn_context, args)
        except ActivityError as error:
            await say(turn_context, sentence(str(error)))

    async def _dispatch(self, turn_context: TurnContext, args: CommandArgs) -> None:
        words = args.words
        circle, member = await self._desk.member_here(turn_context)
        sub = words[0].lower() if words else ""
        rest = words[1:]
        text_rest = args.text.strip()[len(words[0]) :].strip() if words else ""
        if sub in ("", "mine", "my"):
            cards = my_activities_card(await self._desk.mine(circle, member), circle, today=self._desk.today(circle))
            await turn_context.send_activity(card_message(cards))
        elif sub == "new":
            await turn_context.send_activity(card_message(new_activity_form(circle)))
        elif sub == "import":
            await self._import(turn_context, circle, member, rest)
        elif sub == "start":
            await self._start(turn_context, circle, member, rest)
        elif sub == "park":
            activity = await self._desk.find(circle, member, rest[0]) if rest else await self._desk.wip(circle, member)
            parked = await self._desk.run(service.park_activity, circle.name, member, id_of(activity))
            await say(turn_context, f"{parked.ref} parked: back to to-do. `/activity start {parked.ref}` resumes it.")
        elif sub == "feedback":
            await self._feedback(turn_context, circle, member, text_rest)
        elif sub == "ready":
            await self._ready(turn_context, circle, member, text_rest)
        elif sub == "list":
            await self._list(turn_context, circle)
        elif sub == "approve":
            activity = await self._desk.find(circle, member, _required(rest, "/activity approve #12"))
            done = await self._desk.run(service.approve, circle.name, member, id_of(activity))
            await say(turn_context, f"{done.ref} approved: closed on GitLab with the done label.")
        elif sub == "changes":
            ref = _required(rest, "/activity changes #12 <what should change>")
            activity = await self._desk.find(circle, member, ref)
            comment = text_rest[len(rest[0]) :].strip()
            back = await self._desk.run(service.request_changes, circle.name, member, id_of(activity), comment)
            await say(turn_context, f"{back.ref} is back in progress; your comment goes on the issue.")
        else:
            raise ActivityError(f"I don't know `/activity {words[0]}`. {USAGE}")

    async def _import(self, turn_context: TurnContext, circle: Circle, member: Member, rest: list[str]) -> None:
        ref = _required(rest, "/activity import https://gitlab.example.com/group/project/-/issues/12")
        issue = await self._desk.run(sync.request_import, circle.name, member, ref)
        await say(
            turn_context, f"Reading {issue} from GitLab; I'll tell you what its description lacks from the template."
        )

    async def _start(self, turn_context: TurnContext, circle: Circle, member: Member, rest: list[str]) -> None:
        activity = await self._desk.find(circle, member, _required(rest, "/activity start #12"))
        park = any(word.lower() == "park" for word in rest[1:])
        try:
            started = await self._desk.run(
                service.start_activity, circle.name, member, id_of(activity), park_current=park
            )
        except AnotherActivityInProgress as busy:
            await turn_context.send_activity(card_message(choose_card(busy.current, busy.wanted)))
            return
        await say(
            turn_context,
            f"{started.ref} is in progress (status::wip on GitLab). I'll ask for feedback each working day.",
        )

    async def _feedback(self, turn_context: TurnContext, circle: Circle, member: Member, text: str) -> None:
        if not text:
            raise ActivityError("what did you do today? `/activity feedback upgraded staging, prod tomorrow`")
        activity = await self._desk.wip(circle, member)
        saved = await self._desk.run(daily.submit_feedback, circle.name, member, id_of(activity), Feedback(done=text))
        await say(turn_context, f"Feedback saved; it goes on {saved.ref} as a note now.")

    async def _ready(self, turn_context: TurnContext, circle: Circle, member: Member, text: str) -> None:
        words = text.split()
        activity = None
        if words and words[0].lstrip("#").isdigit():
            activity = await self._desk.find(circle, member, words[0])
            text = text[len(words[0]) :].strip()
        activity = activity or await self._desk.wip(circle, member)
        reason = re.sub(r"^(because|:)\s*", "", text, flags=re.IGNORECASE).strip() or None
        sent = await self._desk.run(service.send_to_review, circle.name, member, id_of(activity), reason=reason)
        await say(turn_context, f"{sent.ref} is in review: assigned to the Team Leader, who has the review card.")

    async def _list(self, turn_context: TurnContext, circle: Circle) -> None:
        only = None
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        for account in mentioned_accounts(turn_context.activity):
            if account.id == bot_id:
                continue
            found = circle.member_by_teams_id(account.id) or (
                circle.member_by_aad_id(account.aad_object_id) if account.aad_object_id else None
            )
            if found is None:
                raise ActivityError(f"{account.name or account.id} is not a member of circle {circle.name}")
            only = found.handle
            break
        activities = await self._desk.open_in_circle(circle)
        await turn_context.send_activity(
            card_message(board_card(activities, circle, today=self._desk.today(circle), only=only))
        )


def _required(rest: list[str], usage: str) -> str:
    if not rest:
        raise ActivityError(f"which one? `{usage}`")
    return rest[0]
