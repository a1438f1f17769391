"""The runbooks desk: runs runbook use cases in one transaction, reads GitLab outside them, and is
where the outbox handlers and timers land."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Concatenate, ParamSpec, TypeVar

from botbuilder.core import TurnContext

from adapters.gitlab.runbooks import GitLabRunbooks
from adapters.outbox_relay import RetryLater
from adapters.runbooks.library import RunbookLibrary
from adapters.runtime import Runtime
from bot.messenger import Messenger
from bot.runbooks.cards import RunbookView
from bot.runbooks.notifier import TeamsRunbookNotifier
from bot.teams_notifier import TeamsNotifier
from dialogs.turns import channel_of, member_of
from domain.circle import Circle, Member
from domain.clock import Clock
from domain.ports import UnitOfWork, UnitsOfWork
from domain.runbooks import requests, service
from domain.runbooks.check import RunbookReport
from domain.runbooks.drill import Drill
from domain.runbooks.escalation import live_escalation
from domain.runbooks.ports import RunbookUnavailable
from domain.runbooks.service import RunbookError, RunbooksContext

T = TypeVar("T")
P = ParamSpec("P")
UseCase = Callable[Concatenate[RunbooksContext, P], Awaitable[T]]


def desk_for(runtime: Runtime, gitlab: GitLabRunbooks | None) -> RunbookDesk:
    """A desk on the app's runtime, for the feature and the `circlebot runbooks` CLI."""
    library = RunbookLibrary(runtime.uow, runtime.clock, gitlab)
    notifier = TeamsRunbookNotifier(TeamsNotifier(Messenger(), runtime.clock))
    return RunbookDesk(runtime.uow, runtime.clock, library, notifier, gitlab is not None)


@dataclass
class RunbookDesk:
    uow: UnitsOfWork
    clock: Clock
    library: RunbookLibrary
    notifier: TeamsRunbookNotifier
    gitlab_enabled: bool

    def context(self, uow: UnitOfWork) -> RunbooksContext:
        return RunbooksContext(
            uow=uow,
            clock=self.clock,
            source=self.library.source(uow),
            history=uow.runbook_history,
            drills=uow.drills,
            notifier=self.notifier,
            gitlab_enabled=self.gitlab_enabled,
        )

    async def run(self, use_case: UseCase[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run one use case and commit it with its effects."""
        async with self.uow() as uow:
            result = await use_case(self.context(uow), *args, **kwargs)
            await uow.commit()
            return result

    async def read(self, use_case: UseCase[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a lookup on a read-only unit of work."""
        async with self.uow.reader() as uow:
            return await use_case(self.context(uow), *args, **kwargs)

    # --- who and where ----------------------------------------------------------------------

    async def member_here(self, turn_context: TurnContext) -> tuple[Circle, Member]:
        """The circle of this channel, else the first circle the person belongs to."""
        async with self.uow.reader() as uow:
            channel_id = channel_of(turn_context)
            if channel_id:
                circle = await uow.circles.by_channel(channel_id)
                member = member_of(turn_context, circle)
                if circle is not None and member is not None:
                    return circle, member
            for circle in await uow.circles.active():
                member = member_of(turn_context, circle)
                if member is not None:
                    return circle, member
        raise RunbookError(
            "runbooks and drills are for circle members; ask your Team Leader to add you to circles.yaml"
        )

    async def circle_named(self, name: str) -> Circle | None:
        async with self.uow.reader() as uow:
            return await uow.circles.get(name)

    async def active_circles(self) -> list[Circle]:
        async with self.uow.reader() as uow:
            return await uow.circles.active()

    async def drill(self, drill_id: int) -> tuple[Drill, Circle] | None:
        """A drill as stored now, with its circle."""
        async with self.uow.reader() as uow:
            drill = await uow.drills.get(drill_id)
            circle = await uow.circles.get(drill.circle) if drill else None
        return (drill, circle) if drill and circle else None

    async def recent_drills(self, circle: Circle) -> list[Drill]:
        async with self.uow.reader() as uow:
            return await uow.drills.of_circle(circle.name, limit=10)

    async def at_hand(self, turn_context: TurnContext) -> tuple[str, str | None] | None:
        """In an incident's thread: its service and the alert that opened it (the one at hand)."""
        conversation = turn_context.activity.conversation
        if conversation is None or not conversation.id:
            return None
        async with self.uow.reader() as uow:
            incident = await uow.incidents.by_thread(conversation.id)
            if incident is None or not incident.service:
                return None
            alert = None
            for group in await uow.alert_groups.of_incident(incident.number):
                names = [s.labels.get("alertname") for s in group.alerts.values() if s.labels.get("alertname")]
                alert = alert or (names[0] if names else None)
        return incident.service, alert

    # --- the runbook card ---------------------------------------------------------------------

    async def view(self, circle: Circle, service_name: str, alert: str | None) -> RunbookView:
        """Everything `/runbook <service>` shows: GitLab read now (or the stored copy), the escalation path live."""
        found = service.find_service(circle, service_name)
        try:
            copy, unavailable = await self.library.fetch(circle, found), None
        except RunbookUnavailable as error:
            copy, unavailable = None, f"Runbook text unavailable: {error}."
        async with self.uow.reader() as uow:
            postmortems = await uow.runbook_history.postmortems(circle, found)
        now = self.clock.now()
        return RunbookView(circle, found, copy, unavailable, live_escalation(circle, now), postmortems, alert, now)

    async def new_runbook(self, circle: Circle, service_name: str, by: Member) -> requests.NewRunbookMergeRequest:
        """Read the runbook first (it may exist already), then queue the merge request from the template."""
        found = service.find_service(circle, service_name)
        # GitLab down and no copy: the merge request is queued anyway, and looks before it creates.
        with contextlib.suppress(RunbookUnavailable):
            await self.library.fetch(circle, found)
        return await self.run(service.new_runbook, circle, found.name, by)

    # --- the check ----------------------------------------------------------------------------

    async def check_now(self, circle: Circle, key: str) -> tuple[list[RunbookReport], list[str]]:
        """`/runbook check` and the CLI: read every runbook, then check and notify in one transaction.

        Also returns what GitLab did not answer (then the stored copies were checked).
        """
        if not self.gitlab_enabled:
            raise RunbookError("GitLab is not configured (GITLAB_URL), so I cannot read the runbooks to check them")
        unanswered = await self.library.prefetch(circle)
        return await self.run(service.run_check, circle, key=key), unanswered

    async def check_circles(
        self, only: str | None, *, notify: bool
    ) -> list[tuple[Circle, list[RunbookReport], list[str]]]:
        """The CLI's check: per active circle (or `only`), its reports and what GitLab did not answer.

        With `notify`, owners and the Team Leader are told as by the weekly check.
        """
        if not self.gitlab_enabled:
            raise ValueError("GitLab is not configured (GITLAB_URL, GITLAB_TOKEN): there are no runbooks to read")
        circles = [c for c in await self.active_circles() if only is None or c.name == only]
        if only is not None and not circles:
            raise ValueError(f"no active circle is called {only!r}; `circlebot config apply` stores them")
        results = []
        for circle in circles:
            if notify:
                reports, unanswered = await self.check_now(
                    circle, key=f"cli:{circle.name}:{self.clock.now().isoformat()}"
                )
            else:
                unanswered = await self.library.prefetch(circle)
                async with self.uow.reader() as uow:
                    ctx = self.context(uow)
                    reports = [await service.check_service(ctx, circle, s) for s in circle.services]
            results.append((circle, reports, unanswered))
        return results

    # --- RunbookResults (outbox handlers) ------------------------------------------------------

    async def merge_request_opened(self, request: requests.NewRunbookMergeRequest, url: str) -> None:
        async with self.uow() as uow:
            circle = await uow.circles.get(request.circle)
            who = circle.member(request.requested_by) if circle else None
            if circle is not None and who is not None:
                await self.notifier.tell(
                    uow, circle, who, f"The runbook merge request for {request.service} is open: {url}",
                    key=f"runbook:new:{request.circle}:{request.service}:{request.branch}:opened",
                )  # fmt: skip
            await uow.commit()

    async def run_check(self, request: requests.RunCheck) -> int:
        async with self.uow.reader() as uow:
            circle = await uow.circles.get(request.circle)
        if circle is None or not self.gitlab_enabled:
            return 0
        if unanswered := await self.library.prefetch(circle):
            # Checking stale copies would report what may be fixed already: the relay tries again later.
            raise RetryLater(f"GitLab did not answer for the runbook check of {circle.name}: {unanswered[0]}")
        due_at = datetime.fromisoformat(request.due_at) if request.due_at else None
        reports = await self.run(service.run_check, circle, key=f"runbooks:check:{request.key}", due_at=due_at)
        return sum(not report.ok for report in reports)
