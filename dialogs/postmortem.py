"""`/postmortem …` and the postmortem card buttons: start, review, actions, agree; the knowledge base."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from aiohttp import web
from botbuilder.core import MessageFactory, TurnContext

from adapters.gitlab_docs import gitlab_docs_from_settings
from adapters.postmortem_delivery import register_postmortem_handlers
from adapters.postmortem_timers import postmortem_timer_handlers
from adapters.runtime import Runtime
from bot.card_actions import CardActionRegistry, CardActionResult
from bot.cards import card_message
from bot.commands import ALL_SCOPES, Command, CommandArgs
from bot.incident_cards import report_card
from bot.mentions import mentioned_accounts
from bot.messenger import Messenger
from bot.postmortem_cards import postmortem_list_card
from bot.postmortem_notifier import TeamsPostmortemNotifier
from bot.wiring import BotComponents
from dialogs.incident_desk import IncidentDesk, channel_of, member_of
from domain import incident_service
from domain import postmortem_service as service
from domain.circle import Circle, Member
from domain.clock import Clock
from domain.incident import IncidentError, parse_incident_key
from domain.incident_report import IncidentReport
from domain.issue_tracker import IssueTracker
from domain.postmortem import Postmortem, PostmortemError, parse_action_key
from domain.postmortem_schedule import parse_due
from domain.postmortem_service import PostmortemContext
from storage.postmortems import SqlPostmortems
from storage.unit_of_work import SqlUnitOfWork, UnitOfWorkFactory

T = TypeVar("T")

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


@dataclass
class PostmortemDesk:
    """Runs postmortem use cases in one transaction; also where GitLab and tracker results land."""

    uow: UnitOfWorkFactory
    clock: Clock
    notifier: TeamsPostmortemNotifier
    incidents: IncidentDesk
    gitlab_enabled: bool

    def context(self, uow: SqlUnitOfWork) -> PostmortemContext:
        """The use-case context on an open unit of work."""
        return PostmortemContext(
            uow=uow,
            postmortems=SqlPostmortems(uow.session),
            clock=self.clock,
            notifier=self.notifier,
            gitlab_enabled=self.gitlab_enabled,
            jira_enabled=self.incidents.jira_enabled,
        )

    async def run(self, use_case: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Run one use case and commit it with its effects."""
        async with self.uow() as uow:
            result = await use_case(self.context(uow), *args, **kwargs)
            await uow.commit()
            return result

    async def start(self, number: int, by: Member, *, owner: str | None = None) -> Postmortem:
        """Record the decision to write a postmortem (unless taken) and start it, in one transaction."""
        found = await self.incidents.incident(number)
        if found is None:
            raise PostmortemError(f"there is no INC-{number}; `/incident list` shows the open ones")
        incident = found[0]
        if incident.is_open:
            raise PostmortemError(f"resolve {incident.key} first: `/incident resolve {incident.key} <summary>`")
        if incident.postmortem_decision is not None:
            return await self.run(service.start_postmortem, number, by, owner=owner)
        started: list[Postmortem] = []

        async def then(uow: SqlUnitOfWork, _decided: object) -> None:
            started.append(await service.start_postmortem(self.context(uow), number, by, owner=owner))

        await self.incidents.run(incident_service.decide_postmortem, number, by.display_name, start=True, then=then)
        return started[0]

    async def postmortem(self, number: int) -> tuple[Postmortem, Circle] | None:
        async with self.uow() as uow:
            postmortem = await SqlPostmortems(uow.session).get(number)
            circle = await uow.circles.get(postmortem.circle) if postmortem else None
            return (postmortem, circle) if postmortem and circle else None

    async def postmortem_here(self, turn_context: TurnContext) -> Postmortem | None:
        """The postmortem whose review thread this turn is in, or the one of the incident thread."""
        conversation_id = turn_context.activity.conversation.id
        async with self.uow() as uow:
            found = await SqlPostmortems(uow.session).by_thread(conversation_id)
        if found is not None:
            return found
        incident = await self.incidents.incident_here(turn_context)
        pair = await self.postmortem(incident.number) if incident else None
        return pair[0] if pair else None

    # --- PostmortemResults: what the outbox handlers report --------------------------------

    async def draft_ready(self, number: int, iid: int, url: str) -> None:
        await self.run(service.record_draft, number, iid, url)

    async def action_filed(self, number: int, action: int, ref: str, url: str | None) -> None:
        await self.run(service.record_action_filed, number, action, ref, url)

    async def merge_request_state(self, number: int, state: str) -> None:
        await self.run(service.record_merge_request_state, number, state)


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
            await _say(turn_context, _sentence(str(error)))

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
            here = await self._desk.incidents.incident_here(turn_context)
            if here is None:
                raise PostmortemError(f"which incident? `{SUBCOMMAND_USAGE['start']}`")
            number = here.number
        found = await self._desk.incidents.incident(number)
        if found is None:
            raise PostmortemError(f"there is no INC-{number}; `/incident list` shows the open ones")
        circle = found[1]
        by = _required_member(turn_context, circle)
        owner = _owner(turn_context, circle, words)
        postmortem = await self._desk.start(number, by, owner=owner.handle if owner else None)
        owner_name = _name(circle, postmortem.owner)
        where = "a branch and merge request in GitLab" if self._desk.gitlab_enabled else "its review thread"
        await _say(
            turn_context,
            f"Postmortem of {postmortem.incident_key} started: owner {owner_name}, due {postmortem.due.isoformat()}. "
            f"The draft goes to {where}; the card opens the review thread in the circle's channel.",
        )

    async def _review(
        self, turn_context: TurnContext, postmortem: Postmortem, circle: Circle, _rest: list[str]
    ) -> None:
        by = _required_member(turn_context, circle)
        await self._desk.run(service.request_review, postmortem.incident_number, by.display_name)
        await _say(turn_context, f"The postmortem of {postmortem.incident_key} is in review.")

    async def _action(self, turn_context: TurnContext, postmortem: Postmortem, circle: Circle, rest: list[str]) -> None:
        by = _required_member(turn_context, circle)
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
        await _say(
            turn_context,
            f"{postmortem.incident_key} {action.key} added: {action.text} — {_name(circle, action.owner)}, "
            f"due {action.due.isoformat()}." + (" See the blameless nudge in the thread." if added.blaming else ""),
        )

    async def _agree(self, turn_context: TurnContext, postmortem: Postmortem, circle: Circle, _rest: list[str]) -> None:
        by = _required_member(turn_context, circle)
        agreed = await self._desk.run(service.agree_actions, postmortem.incident_number, by.display_name)
        count = len(agreed.actions)
        await _say(turn_context, f"Review of {agreed.incident_key} done: {count} action(s) agreed and being filed.")

    async def _done(self, turn_context: TurnContext, postmortem: Postmortem, circle: Circle, rest: list[str]) -> None:
        by = _required_member(turn_context, circle)
        number = parse_action_key(rest[0]) if rest else None
        if number is None:
            raise PostmortemError(f"which action? `{SUBCOMMAND_USAGE['done']}`")
        await self._desk.run(service.complete_action, postmortem.incident_number, number, by.display_name)
        await _say(turn_context, f"{postmortem.incident_key} A{number} is done; no more reminders for it.")

    async def _comment(
        self, turn_context: TurnContext, postmortem: Postmortem, circle: Circle, rest: list[str]
    ) -> None:
        text = _MENTION_TAG.sub(" ", " ".join(rest)).strip()
        if not text:
            raise PostmortemError(f"write the comment: `{SUBCOMMAND_USAGE['comment']}`")
        findings = await self._desk.run(service.review_comment, postmortem.incident_number, text)
        verdict = "See the blameless nudge in the thread." if findings else "It reads blameless."
        await _say(turn_context, f"Noted. {verdict}")

    async def _show(self, turn_context: TurnContext, postmortem: Postmortem, circle: Circle, _rest: list[str]) -> None:
        await turn_context.send_activity(card_message(self._desk.notifier.card(postmortem, circle)))

    async def _list(self, turn_context: TurnContext, words: list[str]) -> None:
        circle = await self._circle(turn_context, words[0] if words else None)
        async with self._desk.uow() as uow:
            postmortems = await SqlPostmortems(uow.session).in_circle(circle.name)
        card = postmortem_list_card(
            f"Postmortems · {circle.name}", postmortems, empty=f"No postmortems in {circle.name} yet."
        )
        await turn_context.send_activity(card_message(card))

    async def _search(self, turn_context: TurnContext, words: list[str]) -> None:
        if not words:
            raise PostmortemError("search for what? `/postmortem search connection pool`")
        async with self._desk.uow() as uow:
            found = await SqlPostmortems(uow.session).search(words)
        query = " ".join(words)
        card = postmortem_list_card(
            f"Postmortems matching “{query}”", found, empty="No past postmortem mentions that; try fewer words."
        )
        await turn_context.send_activity(card_message(card))

    async def _circle(self, turn_context: TurnContext, name: str | None) -> Circle:
        async with self._desk.uow() as uow:
            if name:
                circle = await uow.circles.get(name.lower())
                if circle is None:
                    names = ", ".join(c.name for c in await uow.circles.active()) or "none configured"
                    raise PostmortemError(f"there is no circle `{name}`; circles: {names}")
                return circle
            channel_id = channel_of(turn_context)
            circle = await uow.circles.by_channel(channel_id) if channel_id else None
        if circle is None:
            raise PostmortemError("name the circle: `/postmortem list demo`")
        return circle


class PostmortemActions:
    """The postmortem card buttons (Action.Execute): each answers with the refreshed card, or a short message."""

    def __init__(self, desk: PostmortemDesk) -> None:
        self._desk = desk

    def register(self, registry: CardActionRegistry) -> None:
        for verb, handler in {
            "incident.postmortem.start": self.start_from_report,
            "postmortem.action.add": self.add_action,
            "postmortem.review": self.review,
            "postmortem.agree": self.agree,
        }.items():
            registry.register(verb, _answering_errors(handler))

    async def start_from_report(self, turn_context: TurnContext, data: dict[str, Any]) -> CardActionResult:
        """The report's "Start postmortem": record the decision and start, then show the report as decided."""
        number = _number(data)
        found = await self._desk.incidents.incident(number)
        if found is None:
            raise PostmortemError(f"there is no INC-{number} any more")
        by = _required_member(turn_context, found[1])
        await self._desk.start(number, by)
        report = await self._desk.incidents.run(_report_of, number)
        return report_card(report, found[1])

    async def add_action(self, turn_context: TurnContext, data: dict[str, Any]) -> CardActionResult:
        postmortem, circle = await self._postmortem(data)
        by = _required_member(turn_context, circle)
        added = await self._desk.run(
            service.add_action,
            postmortem.incident_number,
            by.display_name,
            text=str(data.get("text") or ""),
            owner=str(data.get("owner") or "") or None,
            due=str(data.get("due") or "") or None,
        )
        return self._desk.notifier.card(added.postmortem, circle)

    async def review(self, turn_context: TurnContext, data: dict[str, Any]) -> CardActionResult:
        postmortem, circle = await self._postmortem(data)
        by = _required_member(turn_context, circle)
        updated = await self._desk.run(service.request_review, postmortem.incident_number, by.display_name)
        return self._desk.notifier.card(updated, circle)

    async def agree(self, turn_context: TurnContext, data: dict[str, Any]) -> CardActionResult:
        postmortem, circle = await self._postmortem(data)
        by = _required_member(turn_context, circle)
        updated = await self._desk.run(service.agree_actions, postmortem.incident_number, by.display_name)
        return self._desk.notifier.card(updated, circle)

    async def _postmortem(self, data: dict[str, Any]) -> tuple[Postmortem, Circle]:
        number = _number(data)
        found = await self._desk.postmortem(number)
        if found is None:
            raise PostmortemError(f"INC-{number} has no postmortem any more")
        return found


def install_postmortems(bot: BotComponents, desk: PostmortemDesk) -> PostmortemCommands:
    """Register `/postmortem`, the postmortem card verbs (and the report's "Start postmortem"), and the
    review-thread listener that nudges towards blameless wording."""
    commands = PostmortemCommands(desk)
    bot.commands.register(
        Command(
            "postmortem",
            "postmortem start | action | review | agree | done | comment | show | list | search",
            "Write the postmortem of a resolved incident, agree corrective actions, search past ones",
            ALL_SCOPES,
            commands.handle,
        )
    )
    PostmortemActions(desk).register(bot.card_actions)

    async def scan_review_comment(turn_context: TurnContext, text: str) -> None:
        # Comments in a review thread get the blameless check; the nudge goes through the outbox.
        if not text.strip() or ";messageid=" not in (turn_context.activity.conversation.id or ""):
            return
        async with desk.uow() as uow:
            postmortem = await SqlPostmortems(uow.session).by_thread(turn_context.activity.conversation.id)
        if postmortem is not None and not postmortem.is_closed:
            await desk.run(service.review_comment, postmortem.incident_number, text)

    bot.bot.add_channel_listener(scan_review_comment)
    return commands


def install_postmortem_feature(
    app: web.Application,
    runtime: Runtime,
    bot: BotComponents,
    incidents: IncidentDesk,
    messenger: Messenger,
    jira: IssueTracker | None,
) -> PostmortemDesk:
    """The whole postmortem feature: chat, card buttons, GitLab/tracker outbox handlers and timers.

    GitLab is used when GITLAB_URL is set; without it the postmortem lives in its Teams thread.
    """
    gitlab = gitlab_docs_from_settings(runtime.settings)
    enabled = gitlab is not None
    notifier = TeamsPostmortemNotifier(messenger, runtime.clock, gitlab_enabled=enabled)
    desk = PostmortemDesk(runtime.uow, runtime.clock, notifier, incidents, gitlab_enabled=enabled)
    install_postmortems(bot, desk)
    register_postmortem_handlers(runtime.relay, gitlab=gitlab, jira=jira, results=desk)
    for kind, handler in postmortem_timer_handlers(desk.context).items():
        runtime.timers.register(kind, handler)
    if gitlab is not None:

        async def close_gitlab(_app: web.Application) -> AsyncIterator[None]:
            yield
            gitlab.close()

        app.cleanup_ctx.append(close_gitlab)
    return desk


async def _report_of(ctx: incident_service.IncidentContext, number: int) -> IncidentReport:
    incident, circle = await incident_service.load(ctx, number)
    return await incident_service.report_for(ctx, incident, circle)


def _required_member(turn_context: TurnContext, circle: Circle) -> Member:
    member = member_of(turn_context, circle)
    if member is None:
        raise PostmortemError(
            f"only members of circle {circle.name} can work on its postmortems; "
            "ask the Team Leader to add you to circles.yaml"
        )
    return member


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


def _number(data: dict[str, Any]) -> int:
    number = data.get("incident")
    if not isinstance(number, int) or isinstance(number, bool):
        raise PostmortemError("this button has lost its incident; type `/postmortem list`")
    return number


def _name(circle: Circle, handle: str) -> str:
    member = circle.member(handle)
    return member.display_name if member else handle


def _answering_errors(
    handler: Callable[[TurnContext, dict[str, Any]], Awaitable[CardActionResult]],
) -> Callable[[TurnContext, dict[str, Any]], Awaitable[CardActionResult]]:
    """A broken rule answers as a short message; the clicked card stays as it was."""

    async def guarded(turn_context: TurnContext, data: dict[str, Any]) -> CardActionResult:
        try:
            return await handler(turn_context, data)
        except (PostmortemError, IncidentError) as error:
            return _sentence(str(error))

    return guarded


async def _say(turn_context: TurnContext, text: str) -> None:
    await turn_context.send_activity(MessageFactory.text(text))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
