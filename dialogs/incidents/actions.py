"""Incident card buttons (Action.Execute): each answers with the refreshed card, or a short message.

A message answer leaves the clicked card as it was, so a form with a mistake keeps what was typed.
"""

from __future__ import annotations

from typing import Any

from botbuilder.core import TurnContext

from bot.card_actions import CardActionRegistry, CardActionResult
from bot.cards import Card, text_card
from bot.incidents.cards import report_card
from dialogs.incidents.commands import IncidentCommands
from dialogs.incidents.desk import IncidentDesk, actor, channel_thread
from dialogs.replies import answering_errors
from domain.circle import Circle
from domain.incidents import service
from domain.incidents.model import Incident, IncidentError, Source, incident_number, parse_severity, parse_status


class IncidentActions:
    def __init__(self, desk: IncidentDesk, commands: IncidentCommands) -> None:
        self._desk = desk
        self._commands = commands

    def register(self, registry: CardActionRegistry) -> None:
        for verb, handler in {
            "incident.declare": self.declare,
            "incident.ack": self.acknowledge,
            "incident.status": self.status,
            "incident.note": self.note,
            "incident.update": self.update,
            "incident.resolve": self.resolve,
            "incident.postmortem.skip": self.skip_postmortem,
            "incident.stakeholder.send": self.send_update,
        }.items():
            registry.register(verb, answering_errors(handler, IncidentError))

    async def declare(self, turn_context: TurnContext, data: dict[str, Any]) -> CardActionResult:
        circle = await self._desk.circle_here(turn_context)
        if circle is None:
            named = _text(data, "circle")
            circle = await self._desk.circle(named) if named else None
        if circle is None:
            return "Choose the circle this incident belongs to."
        incident = await self._desk.run(
            service.declare_incident,
            circle,
            title=_text(data, "title"),
            severity=parse_severity(_text(data, "severity") or "P2"),
            declared_by=actor(turn_context, circle),
            description=_text(data, "description"),
            business_impact=_flag(data, "business_impact"),
            data_loss=_flag(data, "data_loss"),
            source=Source.MANUAL,
            service=service.circle_service(circle, chosen) if (chosen := _text(data, "service")) else None,
            thread=channel_thread(turn_context),
        )
        return text_card(f"{incident.key} declared: {incident.title}. Its live card is posted in this thread.")

    async def acknowledge(self, turn_context: TurnContext, data: dict[str, Any]) -> CardActionResult:
        incident, circle = await self._incident(data)
        return await self._refreshed(service.acknowledge, incident, circle, actor(turn_context, circle))

    async def status(self, turn_context: TurnContext, data: dict[str, Any]) -> CardActionResult:
        incident, circle = await self._incident(data)
        status = parse_status(_text(data, "status"))
        return await self._refreshed(
            service.change_status, incident, circle, status, actor(turn_context, circle), _text(data, "note")
        )

    async def note(self, turn_context: TurnContext, data: dict[str, Any]) -> CardActionResult:
        incident, circle = await self._incident(data)
        return await self._refreshed(
            service.add_note, incident, circle, actor(turn_context, circle), _text(data, "note")
        )

    async def update(self, turn_context: TurnContext, data: dict[str, Any]) -> CardActionResult:
        """The card's Update form: a new status with an optional note, or just a note."""
        incident, circle = await self._incident(data)
        who, status, note = actor(turn_context, circle), _text(data, "status"), _text(data, "note")
        if status:
            return await self._refreshed(service.change_status, incident, circle, parse_status(status), who, note)
        if not note:
            raise IncidentError("choose a new status or write a note, then Save update")
        return await self._refreshed(service.add_note, incident, circle, who, note)

    async def resolve(self, turn_context: TurnContext, data: dict[str, Any]) -> CardActionResult:
        incident, circle = await self._incident(data)
        report = await self._desk.run_then(
            self._commands.post_report,
            service.resolve,
            incident.number,
            actor(turn_context, circle),
            summary=_text(data, "summary"),
            root_cause=_text(data, "root_cause") or None,
            data_loss=_flag(data, "data_loss"),
            oncall_intervened=_flag(data, "oncall_intervened"),
        )
        return await self._desk.card(report.incident, circle)

    async def skip_postmortem(self, turn_context: TurnContext, data: dict[str, Any]) -> CardActionResult:
        incident, circle = await self._incident(data)
        decided = await self._desk.run(
            service.decide_postmortem,
            incident.number,
            actor(turn_context, circle),
            start=False,
            reason=_text(data, "reason"),
        )
        report = await self._desk.run(service.incident_report, decided.number)
        return report_card(report, circle)

    async def send_update(self, turn_context: TurnContext, data: dict[str, Any]) -> CardActionResult:
        incident, circle = await self._incident(data)
        await self._desk.run(
            service.send_stakeholder_update, incident.number, actor(turn_context, circle), _text(data, "update")
        )
        return text_card(f"Update for {incident.key} sent to stakeholders.")

    async def _incident(self, data: dict[str, Any]) -> tuple[Incident, Circle]:
        number = incident_number(data.get("incident"))
        if number is None:
            raise IncidentError("this button has lost its incident; type `/incident list`")
        found = await self._desk.incident(number)
        if found is None:
            raise IncidentError(f"there is no INC-{number} any more")
        return found

    async def _refreshed(self, use_case: Any, incident: Incident, circle: Circle, *args: Any) -> Card:
        updated: Incident = await self._desk.run(use_case, incident.number, *args)
        return await self._desk.card(updated, circle)


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


def _flag(data: dict[str, Any], name: str) -> bool:
    # Input.Toggle sends "true"/"false" strings.
    return str(data.get(name, "false")).lower() == "true"
