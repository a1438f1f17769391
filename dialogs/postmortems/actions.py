"""The postmortem card buttons (Action.Execute), and the incident report's "Start postmortem".

A message answer leaves the clicked card as it was, so a form with a mistake keeps what was typed.
"""

from __future__ import annotations

from typing import Any

from botbuilder.core import TurnContext

from bot.card_actions import CardActionRegistry, CardActionResult
from bot.incidents.cards import report_card
from dialogs.postmortems.desk import PostmortemDesk, required_member
from dialogs.replies import answering_errors
from domain.circle import Circle
from domain.incidents import service as incident_service
from domain.incidents.model import IncidentError, incident_number
from domain.postmortems import service
from domain.postmortems.model import Postmortem, PostmortemError


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
            registry.register(verb, answering_errors(handler, PostmortemError, IncidentError))

    async def start_from_report(self, turn_context: TurnContext, data: dict[str, Any]) -> CardActionResult:
        """The report's "Start postmortem": record the decision and start, then show the report as decided."""
        number = _number(data)
        found = await self._desk.incidents.incident(number)
        if found is None:
            raise PostmortemError(f"there is no INC-{number} any more")
        by = required_member(turn_context, found[1])
        await self._desk.start(number, by)
        report = await self._desk.incidents.run(incident_service.incident_report, number)
        return report_card(report, found[1])

    async def add_action(self, turn_context: TurnContext, data: dict[str, Any]) -> CardActionResult:
        postmortem, circle = await self._postmortem(data)
        by = required_member(turn_context, circle)
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
        by = required_member(turn_context, circle)
        updated = await self._desk.run(service.request_review, postmortem.incident_number, by.display_name)
        return self._desk.notifier.card(updated, circle)

    async def agree(self, turn_context: TurnContext, data: dict[str, Any]) -> CardActionResult:
        postmortem, circle = await self._postmortem(data)
        by = required_member(turn_context, circle)
        updated = await self._desk.run(service.agree_actions, postmortem.incident_number, by.display_name)
        return self._desk.notifier.card(updated, circle)

    async def _postmortem(self, data: dict[str, Any]) -> tuple[Postmortem, Circle]:
        number = _number(data)
        found = await self._desk.postmortem(number)
        if found is None:
            raise PostmortemError(f"INC-{number} has no postmortem any more")
        return found


def _number(data: dict[str, Any]) -> int:
    number = incident_number(data.get("incident"))
    if number is None:
        raise PostmortemError("this button has lost its incident; type `/postmortem list`")
    return number
