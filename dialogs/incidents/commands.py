"""`/incident …` typed in a channel: declare, work and close incidents."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from botbuilder.core import TurnContext

from bot.cards import card_message
from bot.commands import CommandArgs
from bot.incidents.cards import declare_form, incident_list_card, resolve_form
from bot.mentions import mentioned_accounts
from dialogs.incidents.desk import IncidentDesk, actor, channel_thread
from dialogs.replies import say, sentence
from domain.circle import Circle, Member, Severity
from domain.incidents import service
from domain.incidents.model import (
    Incident,
    IncidentError,
    looks_like_severity,
    parse_incident_key,
    parse_severity,
    parse_status,
)
from domain.incidents.report import IncidentReport
from domain.ports import UnitOfWork

USAGE = (
    "`/incident` opens the form · `/incident P2 <title>` declares at once · "
    "`/incident ack|status|note|assign|severity|impact|service|resolve|reopen|close [INC-7] …` · "
    "`/incident show INC-7` · `/incident list`"
)
SUBCOMMAND_USAGE = {
    "ack": "/incident ack [INC-7]",
    "status": "/incident status [INC-7] <investigating|identified|monitoring> [note]",
    "note": "/incident note [INC-7] <text>",
    "assign": "/incident assign [INC-7] @person",
    "severity": "/incident severity [INC-7] <P1-P4>",
    "impact": "/incident impact [INC-7] <business|data-loss|both|none>",
    "service": "/incident service [INC-7] <service>",
    "resolve": "/incident resolve [INC-7] [summary]",
    "reopen": "/incident reopen [INC-7] <reason>",
    "close": "/incident close [INC-7]",
    "update": "/incident update [INC-7] <text for stakeholders>",
    "show": "/incident show INC-7",
    "list": "/incident list",
}

# One example per sub-command, for the help card (in the incident's thread the INC-7 may be left out).
EXAMPLES = (
    "/incident (opens the form)",
    "/incident P1 Checkout API returns 500",
    "/incident ack INC-7",
    "/incident status INC-7 identified bad deploy v2.3",
    "/incident note INC-7 restarted the pods",
    "/incident assign INC-7 @Luca",
    "/incident severity INC-7 P1",
    "/incident impact INC-7 business",
    "/incident service INC-7 checkout",
    "/incident update INC-7 Checkout works again for most customers",
    "/incident resolve INC-7 rolled back to v2.2",
    "/incident reopen INC-7 the errors are back",
    "/incident close INC-7",
    "/incident show INC-7",
    "/incident list",
)

Handler = Callable[[TurnContext, Incident, Circle, list[str]], Awaitable[None]]


class IncidentCommands:
    """Parses the subcommand, finds the incident (id given, or the thread's), runs one use case."""

    def __init__(self, desk: IncidentDesk) -> None:
        self._desk = desk
        self._on_incident: dict[str, Handler] = {
            "ack": self._ack,
            "status": self._status,
            "note": self._note,
            "assign": self._assign,
            "severity": self._severity,
            "impact": self._impact,
            "service": self._service,
            "resolve": self._resolve,
            "reopen": self._reopen,
            "close": self._close,
            "update": self._update,
            "show": self._show,
        }

    async def handle(self, turn_context: TurnContext, args: CommandArgs) -> None:
        """Entry point registered as the `incident` command."""
        try:
            await self._dispatch(turn_context, args.words)
        except IncidentError as error:
            await say(turn_context, sentence(str(error)))

    async def _dispatch(self, turn_context: TurnContext, words: list[str]) -> None:
        if not words:
            return await self._open_form(turn_context)
        first = words[0].lower()
        if looks_like_severity(first):
            return await self._declare(turn_context, parse_severity(words[0]), " ".join(words[1:]))
        if first == "list":
            return await self._list(turn_context)
        handler = self._on_incident.get(first)
        if handler is None:
            raise IncidentError(f"I don't know `/incident {words[0]}`. {USAGE}")
        number, rest = _incident_number(words[1:])
        if number is None:
            found = await self._desk.incident_here(turn_context)
            if found is None:
                raise IncidentError(
                    f"which incident? Use it in the incident's thread or give the id: `{SUBCOMMAND_USAGE[first]}`"
                )
        else:
            found = await self._desk.incident(number)
        if found is None:
            raise IncidentError(f"there is no INC-{number}; `/incident list` shows the open ones")
        incident, circle = found
        await handler(turn_context, incident, circle, rest)

    # --- declaring ------------------------------------------------------------------------

    async def _circle(self, turn_context: TurnContext) -> Circle:
        circle = await self._desk.circle_here(turn_context)
        if circle is None:
            raise IncidentError(
                "this channel belongs to no circle: use `/incident` in your circle's channel, "
                "or bind this channel with channel_id in circles.yaml"
            )
        return circle

    async def _open_form(self, turn_context: TurnContext) -> None:
        circle = await self._desk.circle_here(turn_context)
        circles = [circle] if circle else await self._desk.circles()
        if not circles:
            raise IncidentError("no circle is configured yet: see circles.example.yaml and `circlebot config apply`")
        await turn_context.send_activity(card_message(declare_form(circles, circle.name if circle else None)))

    async def _declare(self, turn_context: TurnContext, severity: Severity, title: str) -> None:
        circle = await self._circle(turn_context)
        incident = await self._desk.run(
            service.declare_incident,
            circle,
            title=title,
            severity=severity,
            declared_by=actor(turn_context, circle),
            thread=channel_thread(turn_context),
        )
        if channel_thread(turn_context) is None:
            # Only here does the card open a thread of its own; in a thread, the card itself is the answer.
            await say(turn_context, f"{incident.key} declared; its card opens a new thread in the channel.")

    async def _list(self, turn_context: TurnContext) -> None:
        circle = await self._circle(turn_context)
        incidents = await self._desk.open_incidents(circle)
        await turn_context.send_activity(card_message(incident_list_card(circle, incidents, self._desk.clock.now())))

    # --- working an incident --------------------------------------------------------------

    async def _ack(self, turn_context: TurnContext, incident: Incident, circle: Circle, _rest: list[str]) -> None:
        who = actor(turn_context, circle)
        await self._desk.run(service.acknowledge, incident.number, who)
        await say(turn_context, f"{incident.key} acknowledged by {who}.")

    async def _status(self, turn_context: TurnContext, incident: Incident, circle: Circle, rest: list[str]) -> None:
        if not rest:
            raise IncidentError(f"which status? `{SUBCOMMAND_USAGE['status']}`")
        status = parse_status(rest[0])
        await self._desk.run(
            service.change_status, incident.number, status, actor(turn_context, circle), " ".join(rest[1:])
        )
        await say(turn_context, f"{incident.key} is now {status}.")

    async def _note(self, turn_context: TurnContext, incident: Incident, circle: Circle, rest: list[str]) -> None:
        await self._desk.run(service.add_note, incident.number, actor(turn_context, circle), " ".join(rest))
        await say(turn_context, f"Noted on {incident.key}.")

    async def _assign(self, turn_context: TurnContext, incident: Incident, circle: Circle, rest: list[str]) -> None:
        member = _mentioned_member(turn_context, circle) or (circle.member(rest[0].lstrip("@")) if rest else None)
        if member is None:
            raise IncidentError(
                f"@mention a member of {circle.name}, or give their handle: `{SUBCOMMAND_USAGE['assign']}`"
            )
        await self._desk.run(service.assign, incident.number, member.handle, actor(turn_context, circle))
        await say(turn_context, f"{member.display_name} now commands {incident.key}.")

    async def _severity(self, turn_context: TurnContext, incident: Incident, circle: Circle, rest: list[str]) -> None:
        if not rest:
            raise IncidentError(f"which severity? `{SUBCOMMAND_USAGE['severity']}`")
        severity = parse_severity(rest[0])
        await self._desk.run(service.change_severity, incident.number, severity, actor(turn_context, circle))
        await say(turn_context, f"{incident.key} is now {severity}; SLA clocks moved.")

    async def _impact(self, turn_context: TurnContext, incident: Incident, circle: Circle, rest: list[str]) -> None:
        choice = rest[0].lower() if rest else ""
        impacts = {"business": (True, False), "data-loss": (False, True), "both": (True, True), "none": (False, False)}
        if choice not in impacts:
            raise IncidentError(f"which impact? `{SUBCOMMAND_USAGE['impact']}`")
        business, data_loss = impacts[choice]
        who = actor(turn_context, circle)
        await self._desk.run(service.change_impact, incident.number, who, business_impact=business, data_loss=data_loss)
        await say(turn_context, f"Impact of {incident.key} updated.")

    async def _service(self, turn_context: TurnContext, incident: Incident, circle: Circle, rest: list[str]) -> None:
        if not rest:
            known = ", ".join(s.name for s in circle.services) or "none in circles.yaml"
            raise IncidentError(f"which service ({known})? `{SUBCOMMAND_USAGE['service']}`")
        updated = await self._desk.run(
            service.change_service, incident.number, " ".join(rest), actor(turn_context, circle)
        )
        await say(turn_context, f"{incident.key} is linked to {updated.service}; `/runbook` here opens its runbook.")

    async def _resolve(self, turn_context: TurnContext, incident: Incident, circle: Circle, rest: list[str]) -> None:
        if not rest:
            await turn_context.send_activity(card_message(resolve_form(incident)))
            return
        await self._desk.run_then(
            self.post_report, service.resolve, incident.number, actor(turn_context, circle), summary=" ".join(rest)
        )
        if not await self._in_thread_of(turn_context, incident):
            await say(turn_context, f"{incident.key} resolved; the report is in its thread.")

    async def _in_thread_of(self, turn_context: TurnContext, incident: Incident) -> bool:
        """True when this turn happens in the incident's own thread, where its card and report are."""
        here = await self._desk.incident_here(turn_context)
        return here is not None and here[0].number == incident.number

    async def post_report(self, uow: UnitOfWork, report: IncidentReport) -> None:
        """Queue the report in the incident's thread, in the resolving transaction."""
        incident = report.incident
        circle = await uow.circles.get(incident.circle)
        if circle is not None:
            await self._desk.notifier.post_report(uow, report, circle)

    async def _reopen(self, turn_context: TurnContext, incident: Incident, circle: Circle, rest: list[str]) -> None:
        await self._desk.run(service.reopen, incident.number, actor(turn_context, circle), " ".join(rest))
        await say(turn_context, f"{incident.key} reopened.")

    async def _close(self, turn_context: TurnContext, incident: Incident, circle: Circle, _rest: list[str]) -> None:
        await self._desk.run(service.close, incident.number, actor(turn_context, circle))
        await say(turn_context, f"{incident.key} closed.")

    async def _update(self, turn_context: TurnContext, incident: Incident, circle: Circle, rest: list[str]) -> None:
        text = " ".join(rest)
        await self._desk.run(service.send_stakeholder_update, incident.number, actor(turn_context, circle), text)
        await say(turn_context, f"Update for {incident.key} sent to stakeholders.")

    async def _show(self, turn_context: TurnContext, incident: Incident, circle: Circle, _rest: list[str]) -> None:
        await turn_context.send_activity(card_message(await self._desk.card(incident, circle)))


def _incident_number(words: list[str]) -> tuple[int | None, list[str]]:
    """The INC-<n> right after the subcommand, if any, and the words after it."""
    if words and (number := parse_incident_key(words[0])) is not None:
        return number, words[1:]
    return None, words


def _mentioned_member(turn_context: TurnContext, circle: Circle) -> Member | None:
    activity = turn_context.activity
    bot_id = activity.recipient.id if activity.recipient else None
    for mentioned in mentioned_accounts(activity):
        if mentioned.id == bot_id:
            continue
        member = circle.member_by_teams_id(mentioned.id) or (
            circle.member_by_aad_id(mentioned.aad_object_id) if mentioned.aad_object_id else None
        )
        if member is not None:
            return member
    return None
