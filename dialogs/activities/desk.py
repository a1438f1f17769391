"""The activity desk: runs activity use cases in one transaction, finds who and where a turn is,
and is where GitLab's answers (outbox results, webhook events) and timers land."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

from botbuilder.core import TurnContext

from adapters.gitlab.webhook import MergeRequestEvent, NoteEvent
from bot.activities.notifier import TeamsActivityNotifier
from dialogs.desk import Desk
from domain.activities import context, daily, service, sync
from domain.activities.context import ActivitiesContext, RemoteIssue
from domain.activities.daily import StandupFeedback
from domain.activities.feedback import local_date
from domain.activities.model import Activity, ActivityError
from domain.activities.ports import Availability, NobodyAway, NoStandups, StandupToday, WipSummary
from domain.activities.requests import ReadIssue
from domain.circle import Circle, Member
from domain.clock import Clock
from domain.ports import UnitOfWork, UnitsOfWork

log = logging.getLogger(__name__)


@dataclass
class ActivityDesk(Desk[ActivitiesContext]):
    uow: UnitsOfWork
    clock: Clock
    notifier: TeamsActivityNotifier
    gitlab_enabled: bool
    # Stand-ups (#13) and an away calendar plug in here; see README "Activities".
    standups: StandupToday = field(default_factory=NoStandups)
    availability: Availability = field(default_factory=NobodyAway)

    def context(self, uow: UnitOfWork) -> ActivitiesContext:
        return ActivitiesContext(
            uow=uow,
            activities=uow.activities,
            clock=self.clock,
            notifier=self.notifier,
            gitlab_enabled=self.gitlab_enabled,
            standups=self.standups,
            availability=self.availability,
        )

    # --- who and where ----------------------------------------------------------------------

    async def member_here(self, turn_context: TurnContext) -> tuple[Circle, Member]:
        """The circle and member of the person typing: the channel's circle, else the first circle they are in."""
        return await self.circle_member(
            turn_context,
            ActivityError("activities are for circle members; ask your Team Leader to add you to circles.yaml"),
        )

    async def activity(self, activity_id: int) -> tuple[Activity, Circle]:
        async with self.uow.reader() as uow:
            activity = await uow.activities.get(activity_id)
            circle = await uow.circles.get(activity.circle) if activity else None
        if activity is None or circle is None:
            raise ActivityError("that activity no longer exists; `/activity` lists yours")
        return activity, circle

    async def mine(self, circle: Circle, member: Member) -> list[Activity]:
        async with self.uow.reader() as uow:
            return await uow.activities.of_member(circle.name, member.handle)

    async def open_in_circle(self, circle: Circle) -> list[Activity]:
        async with self.uow.reader() as uow:
            return await uow.activities.open_in_circle(circle.name)

    async def find(self, circle: Circle, member: Member, ref: str) -> Activity:
        """`#15` among the circle's open activities, the member's own first."""
        return context.find_by_ref(await self.open_in_circle(circle), ref, owner=member.handle)

    async def wip(self, circle: Circle, member: Member) -> Activity:
        async with self.uow.reader() as uow:
            found = await uow.activities.wip_of(circle.name, member.handle)
        if found is None:
            raise ActivityError("you have no activity in progress; `/activity start #12` starts one")
        return found

    def today(self, circle: Circle) -> date:
        return local_date(self.clock.now(), circle.time_zone)

    async def standup_answer(self, circle: Circle, member: Member, day: date) -> str | None:
        """What the member answered "today" in the stand-up of `day`, to prefill the feedback card."""
        async with self.uow.reader() as uow:
            return await self.standups.today_answer(uow, circle.name, member.handle, day)

    # --- what stand-ups read (#13 plugs these in) ---------------------------------------------

    async def wip_summary(self, circle: str, member: str) -> WipSummary | None:
        """The member's WIP activity and its last feedback, for the stand-up prompt."""
        return await self.read(service.wip_summary, circle, member)

    async def overdue(self, circle: str, today: date) -> list[Activity]:
        """Overdue activities, for the stand-up summary."""
        return await self.read(service.overdue, circle, today)

    async def feedback_from_standup(self, circle: str, member: str, today_answer: str) -> StandupFeedback | None:
        """One place to type: a stand-up "today" answer also posted as the WIP activity's feedback note,
        at most once a day (see daily.feedback_from_standup). None when the member has no activity in progress.
        """
        return await self.run(daily.feedback_from_standup, circle, member, today_answer)

    # --- ActivityResults: what the outbox handlers report ------------------------------------

    async def issue_created(self, activity_id: int, iid: int, url: str) -> None:
        await self.run(service.record_issue, activity_id, iid, url)

    async def issue_read(self, request: ReadIssue, issue: RemoteIssue) -> None:
        if request.purpose == "import" and request.owner:
            await self.run(sync.adopt_issue, request.circle, request.owner, issue)
        else:
            await self.run(sync.issue_changed, issue)

    async def merge_requests_checked(self, activity_id: int, merge_requests: list[tuple[int, str, str]]) -> None:
        await self.run(service.merge_requests_checked, activity_id, merge_requests)

    # --- webhook events ----------------------------------------------------------------------

    async def on_issue_event(self, issue: RemoteIssue) -> None:
        await self.run(sync.issue_changed, issue)

    async def on_note_event(self, note: NoteEvent) -> None:
        await self.run(
            sync.note_written,
            note.project,
            note.iid,
            author=note.author,
            at=note.at,
            system=note.system,
            body=note.body,
        )

    async def on_merge_request_event(self, event: MergeRequestEvent) -> None:
        if event.action not in ("open", "reopen", "update"):
            return
        await self.run(
            sync.merge_request_opened,
            event.project,
            event.iid,
            source_branch=event.source_branch,
            title=event.title,
            description=event.description,
            labels=event.labels,
        )

    # --- the leader's periodic safety net ----------------------------------------------------

    async def reconcile_all(self) -> int:
        """Queue a read of every open activity issue of every circle."""
        queued = 0
        async with self.uow() as uow:
            for circle in await uow.circles.active():
                queued += await sync.reconcile(self.context(uow), circle.name)
            await uow.commit()
        return queued


def id_of(activity: Activity) -> int:
    """A stored activity's id (an activity read from the database always has one)."""
    if activity.id is None:
        raise ActivityError("that activity was never saved; `/activity` lists yours")
    return activity.id
