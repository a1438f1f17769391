"""The activity card buttons (Action.Execute): each answers with the refreshed card, or a short sentence."""

from __future__ import annotations

from datetime import date
from typing import Any

from botbuilder.core import TurnContext

from bot.activities.cards import (
    activity_card,
    choose_card,
    feedback_card,
    feedback_posted_card,
    new_activity_form,
    ready_form,
    review_card,
)
from bot.card_actions import CardActionRegistry, CardActionResult
from bot.cards import text_card
from dialogs.activities.desk import ActivityDesk, id_of
from dialogs.replies import answering_errors
from dialogs.turns import member_of
from domain.activities import daily, service
from domain.activities.context import NewActivity
from domain.activities.feedback import Feedback
from domain.activities.model import (
    Activity,
    ActivityError,
    ActivityStatus,
    AnotherActivityInProgress,
    DefinitionOfDoneUnmet,
    Repository,
)
from domain.circle import Circle, Member


class ActivityActions:
    def __init__(self, desk: ActivityDesk) -> None:
        self._desk = desk

    def register(self, registry: CardActionRegistry) -> None:
        for verb, handler in {
            "activity.create": self.create,
            "activity.start": self.start,
            "activity.stay": self.stay,
            "activity.park": self.park,
            "activity.feedback.open": self.open_feedback,
            "activity.feedback": self.feedback,
            "activity.ready": self.ready,
            "activity.approve": self.approve,
            "activity.changes": self.changes,
        }.items():
            registry.register(verb, answering_errors(handler, ActivityError))

    async def create(self, turn_context: TurnContext, data: dict[str, Any]) -> CardActionResult:
        """The form: a mistake returns the form with the message and everything typed kept."""
        circle, member = await self._desk.member_here(turn_context)
        values = {
            k: str(data.get(k) or "")
            for k in ("title", "description", "tasks", "deadline", "done", "repository", "labels")
        }
        try:
            form = NewActivity(
                title=values["title"],
                description=values["description"],
                tasks=values["tasks"].splitlines(),
                deadline=_date(values["deadline"]),
                definition_of_done=values["done"].splitlines(),
                repository=_repository(values["repository"]),
                labels=tuple(values["labels"].split(",")),
            )
            activity = await self._desk.run(service.create_activity, circle.name, member, form)
        except ActivityError as error:
            text = str(error)
            return new_activity_form(circle, error=text[:1].upper() + text[1:], values=values)
        return text_card(
            f"Saved. The GitLab issue is being filed in {activity.project} from the template; "
            "your activity card shows the link when it is there. Your Team Leader has been told.",
            title=f"Activity · {activity.title}",
        )

    async def start(self, turn_context: TurnContext, data: dict[str, Any]) -> CardActionResult:
        activity, circle, member = await self._mine(turn_context, data)
        try:
            started = await self._desk.run(
                service.start_activity, circle.name, member, id_of(activity), park_current=bool(data.get("park"))
            )
        except AnotherActivityInProgress as busy:
            return choose_card(busy.current, busy.wanted)
        return self._card(started, circle)

    async def stay(self, turn_context: TurnContext, data: dict[str, Any]) -> CardActionResult:
        activity, circle, member = await self._mine(turn_context, data)
        other_id = data.get("other")
        if isinstance(other_id, int):
            other, _circle = await self._desk.activity(other_id)
            if other.status is ActivityStatus.WIP and other.id != activity.id:
                await self._desk.run(service.park_activity, circle.name, member, id_of(other))
        return self._card(activity, circle)

    async def park(self, turn_context: TurnContext, data: dict[str, Any]) -> CardActionResult:
        activity, circle, member = await self._mine(turn_context, data)
        parked = await self._desk.run(service.park_activity, circle.name, member, id_of(activity))
        return self._card(parked, circle)

    async def open_feedback(self, turn_context: TurnContext, data: dict[str, Any]) -> CardActionResult:
        activity, circle, member = await self._mine(turn_context, data)
        today = self._desk.today(circle)
        prefill = await self._desk.standup_answer(circle, member, today) or ""
        return feedback_card(activity, circle, prefill=prefill, today=today)

    async def feedback(self, turn_context: TurnContext, data: dict[str, Any]) -> CardActionResult:
        activity, circle, member = await self._mine(turn_context, data)
        ticked = tuple(t for t in str(data.get("ticked") or "").split(",") if t.strip())
        answer = Feedback(
            done=str(data.get("done") or ""),
            blockers=str(data.get("blockers") or ""),
            next_step=str(data.get("next") or ""),
            ticked=ticked,
        )
        today = self._desk.today(circle)
        if not answer.done.strip():
            return feedback_card(activity, circle, prefill="", today=today, note="Say in a line what was done today.")
        saved = await self._desk.run(daily.submit_feedback, circle.name, member, id_of(activity), answer)
        return feedback_posted_card(saved, circle, today=today)

    async def ready(self, turn_context: TurnContext, data: dict[str, Any]) -> CardActionResult:
        activity, circle, member = await self._mine(turn_context, data)
        reason = str(data.get("reason") or "").strip() or None
        try:
            sent = await self._desk.run(service.send_to_review, circle.name, member, id_of(activity), reason=reason)
        except DefinitionOfDoneUnmet as unmet:
            return ready_form(activity, unmet.unticked)
        return self._card(sent, circle)

    async def approve(self, turn_context: TurnContext, data: dict[str, Any]) -> CardActionResult:
        activity, circle = await self._desk.activity(_id(data))
        by = await self._leader(turn_context, circle)
        done = await self._desk.run(service.approve, circle.name, by, id_of(activity))
        return review_card(done, circle, today=self._desk.today(circle))

    async def changes(self, turn_context: TurnContext, data: dict[str, Any]) -> CardActionResult:
        activity, circle = await self._desk.activity(_id(data))
        by = await self._leader(turn_context, circle)
        comment = str(data.get("comment") or "")
        back = await self._desk.run(service.request_changes, circle.name, by, id_of(activity), comment)
        return review_card(back, circle, today=self._desk.today(circle))

    async def _mine(self, turn_context: TurnContext, data: dict[str, Any]) -> tuple[Activity, Circle, Member]:
        activity, circle = await self._desk.activity(_id(data))
        member = member_of(turn_context, circle)
        if member is None or member.handle != activity.owner:
            raise ActivityError(f"{activity.ref} is {activity.owner}'s activity; only its assignee works on it")
        return activity, circle, member

    async def _leader(self, turn_context: TurnContext, circle: Circle) -> Member:
        member = member_of(turn_context, circle)
        if member is None:
            raise ActivityError(f"only circle {circle.name}'s Team Leader reviews its activities")
        return member

    def _card(self, activity: Activity, circle: Circle) -> dict[str, Any]:
        return activity_card(activity, circle, today=self._desk.today(circle))


def _id(data: dict[str, Any]) -> int:
    value = data.get("activity")
    if not isinstance(value, int) or isinstance(value, bool):
        raise ActivityError("this button has lost its activity; type `/activity`")
    return value


def _date(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ActivityError(f"`{text}` is not a date; pick one or type YYYY-MM-DD") from None


def _repository(value: str) -> Repository:
    try:
        return Repository(value or Repository.CUSTOMER.value)
    except ValueError:
        raise ActivityError("choose the customer's repository or the team's internal one") from None
