"""Outbox and timer handlers of the runbooks feature.

`runbooks.new_runbook_mr` and `runbooks.file_drill_gap` write to GitLab with the docs adapter's
look-before-create calls; `runbooks.run_check` reads GitLab (prefetching outside the transaction)
and then checks and notifies in one. The weekly timer only queues a `run_check`, so a check that
finds GitLab down is retried by the relay instead of being lost with the timer.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any, Protocol

from adapters.gitlab.runbooks import GitLabRunbooks
from adapters.outbox_relay import HandlerRegistry, OutboxHandler, PermanentFailure, parse_payload
from adapters.timer_tick import TimerHandler
from domain.runbooks import requests
from domain.runbooks.schedule import RUNBOOK_CHECK_TIMER
from storage.outbox import OutboxMessage
from storage.timers import DueTimer
from storage.unit_of_work import SqlUnitOfWork

log = logging.getLogger(__name__)


class RunbookResults(Protocol):
    """Where the handlers report (the runbooks desk)."""

    async def merge_request_opened(self, request: requests.NewRunbookMergeRequest, url: str) -> None: ...

    async def run_check(self, request: requests.RunCheck) -> int: ...


def runbook_outbox_handlers(gitlab: GitLabRunbooks | None, results: RunbookResults) -> dict[str, OutboxHandler]:
    def needs_gitlab() -> GitLabRunbooks:
        if gitlab is None:
            raise PermanentFailure("a runbooks GitLab write was queued, but GITLAB_URL is not set")
        return gitlab

    async def new_runbook(message: OutboxMessage) -> dict[str, Any]:
        request = parse_payload(requests.NewRunbookMergeRequest.from_payload, message)
        merge_request = await needs_gitlab().ensure_draft(
            project=request.project,
            branch=request.branch,
            path=request.path,
            content=request.content,
            commit_message=f"Runbook for {request.service} from the template",
            title=request.title,
            description=request.description,
            assignee=request.assignee,
            labels=("runbook",),
        )
        await results.merge_request_opened(request, merge_request.url)
        return {"iid": merge_request.iid, "url": merge_request.url}

    async def file_gap(message: OutboxMessage) -> dict[str, Any]:
        request = parse_payload(requests.FileDrillGap.from_payload, message)
        issue = await needs_gitlab().ensure_issue(
            project=request.project,
            label=request.label,
            title=request.title,
            description=request.description,
            assignee=request.assignee,
            due=None,
            labels=requests.GAP_LABELS,
        )
        return {"ref": issue.ref, "url": issue.url}

    async def run_check(message: OutboxMessage) -> dict[str, Any]:
        request = parse_payload(requests.RunCheck.from_payload, message)
        return {"runbooks_with_findings": await results.run_check(request)}

    return {requests.NEW_RUNBOOK: new_runbook, requests.FILE_GAP: file_gap, requests.RUN_CHECK: run_check}


def register_runbook_handlers(relay: HandlerRegistry, gitlab: GitLabRunbooks | None, results: RunbookResults) -> None:
    for kind, handler in runbook_outbox_handlers(gitlab, results).items():
        relay.register(kind, handler)


def runbook_timer_handlers() -> dict[str, TimerHandler]:
    """The weekly check's timer: queue the check in the timer's own transaction (it reads GitLab after)."""

    async def weekly_check(timer: DueTimer, uow: SqlUnitOfWork) -> None:
        payload = timer.payload
        circle = await uow.circles.get(payload["circle"])
        if circle is None:
            log.warning("timer %s dropped: circle %s is gone", timer.key, payload["circle"])
            return
        day = date.fromisoformat(payload["day"])
        requests.queue(
            uow.outbox,
            requests.RunCheck(
                circle=circle.name, key=f"weekly:{circle.name}:{day.isoformat()}", due_at=timer.due_at.isoformat()
            ),
        )

    return {RUNBOOK_CHECK_TIMER: weekly_check}
