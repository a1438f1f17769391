"""Drill card buttons (Action.Execute): answer a question, grade an open answer, file the gaps."""

from __future__ import annotations

from typing import Any

from botbuilder.core import TurnContext

from bot.card_actions import CardActionRegistry, CardActionResult
from bot.runbooks.cards import (
    ANSWER_INPUT,
    ANSWER_VERB,
    FILE_GAPS_VERB,
    GRADE_VERB,
    NOTE_INPUT,
    answered_card,
    gaps_card,
    grade_card,
    question_card,
)
from dialogs.replies import answering_errors
from dialogs.runbooks.desk import RunbookDesk
from domain.circle import Circle
from domain.runbooks import service
from domain.runbooks.service import RunbookError


class DrillActions:
    def __init__(self, desk: RunbookDesk) -> None:
        self._desk = desk

    def register(self, registry: CardActionRegistry) -> None:
        registry.register(ANSWER_VERB, answering_errors(self.answer, RunbookError))
        registry.register(GRADE_VERB, answering_errors(self.grade, RunbookError))
        registry.register(FILE_GAPS_VERB, answering_errors(self.file_gaps, RunbookError))

    async def answer(self, turn_context: TurnContext, data: dict[str, Any]) -> CardActionResult:
        """The member's answer; the card becomes the verdict, or comes back with the mistake and the answer kept."""
        _circle, member = await self._desk.member_here(turn_context)
        drill_id, index = _ids(data)
        given = str(data.get(ANSWER_INPUT) or "")
        try:
            drill = await self._desk.run(service.answer_question, drill_id, member, index, given)
        except RunbookError as error:
            found = await self._desk.drill(drill_id)
            if found is None:
                raise
            drill_now, circle = found
            if index >= len(drill_now.questions) or drill_now.member != member.handle:
                raise
            if index in drill_now.answers:
                return answered_card(circle, drill_now, index)  # a second click: the verdict again
            text = str(error)
            return question_card(circle, drill_now, index, error=text[:1].upper() + text[1:])
        circle = await self._circle(drill.circle)
        return answered_card(circle, drill, index)

    async def grade(self, turn_context: TurnContext, data: dict[str, Any]) -> CardActionResult:
        _circle, leader = await self._desk.member_here(turn_context)
        drill_id, index = _ids(data)
        right = data.get("right") in (True, "true", "True")
        drill = await self._desk.run(
            service.grade_answer, drill_id, leader, index, right, str(data.get(NOTE_INPUT) or "")
        )
        return grade_card(await self._circle(drill.circle), drill, index)

    async def file_gaps(self, turn_context: TurnContext, _data: dict[str, Any]) -> CardActionResult:
        circle, leader = await self._desk.member_here(turn_context)
        filed = await self._desk.run(service.file_gaps, circle, leader)
        return gaps_card(circle, [], filed=len(filed))

    async def _circle(self, name: str) -> Circle:
        circle = await self._desk.circle_named(name)
        if circle is None:
            raise RunbookError("that drill's circle no longer exists")
        return circle


def _ids(data: dict[str, Any]) -> tuple[int, int]:
    try:
        return int(data["drill"]), int(data["question"])
    except (KeyError, TypeError, ValueError):
        raise RunbookError("this card is out of date; `/drill` lists the drills") from None
