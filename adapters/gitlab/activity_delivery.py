"""Outbox handlers for activities: create the issue, post notes, move labels, read issues back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Protocol

from adapters.gitlab.activities import GitLabActivities, IssueLink
from adapters.outbox_relay import HandlerRegistry, OutboxHandler, PermanentFailure, parse_payload
from adapters.uncertain_create import create_once
from domain.activities.context import RemoteIssue
from domain.activities.requests import (
    CREATE_ISSUE,
    LABEL_MERGE_REQUEST,
    POST_NOTE,
    READ_ISSUE,
    UPDATE_ISSUE,
    CreateIssue,
    LabelMergeRequest,
    PostNote,
    ReadIssue,
    UpdateIssue,
)
from domain.clock import Clock, SystemClock
from storage.outbox import OutboxMessage


class ActivityResults(Protocol):
    """Where the handlers report what GitLab answered (the activity desk); each use case is idempotent."""

    async def issue_created(self, activity_id: int, iid: int, url: str) -> None: ...

    async def issue_read(self, request: ReadIssue, issue: RemoteIssue) -> None: ...

    async def merge_requests_checked(self, activity_id: int, merge_requests: list[tuple[int, str, str]]) -> None: ...


class ActivityDelivery:
    def __init__(
        self,
        gitlab: GitLabActivities | None,
        results: ActivityResults,
        *,
        clock: Clock | None = None,
        consistency_window: timedelta = timedelta(seconds=60),
    ) -> None:
        self._gitlab = gitlab
        self._results = results
        self._clock = clock or SystemClock()
        self._window = consistency_window

    def handlers(self) -> dict[str, OutboxHandler]:
        return {
            CREATE_ISSUE: self.create,
            POST_NOTE: self.note,
            UPDATE_ISSUE: self.update,
            READ_ISSUE: self.read,
            LABEL_MERGE_REQUEST: self.label_merge_request,
        }

    async def create(self, message: OutboxMessage) -> dict[str, Any]:
        request = parse_payload(CreateIssue.from_payload, message)
        gitlab = self._needs_gitlab()

        async def close_duplicate(duplicate: IssueLink, original: IssueLink) -> None:
            await gitlab.close_duplicate_activity(
                project=request.project, marker=request.marker, duplicate=duplicate, original=original
            )

        # A create whose answer was lost may have happened: create_once looks before creating again.
        link = await create_once(
            message,
            clock=self._clock,
            window=self._window,
            find=lambda: gitlab.find_issues_with_marker(project=request.project, marker=request.marker),
            create=lambda: gitlab.create_issue_with_marker(
                project=request.project,
                title=request.title,
                description=request.description,
                labels=request.labels,
                due_date=request.due_date,
                assignee=request.assignee,
            ),
            close_duplicate=close_duplicate,
            what=f"the GitLab issue of activity {request.activity_id}",
        )
        await self._results.issue_created(request.activity_id, link.iid, link.url)
        return {"iid": link.iid, "url": link.url}

    async def note(self, message: OutboxMessage) -> dict[str, Any]:
        request = parse_payload(PostNote.from_payload, message)
        note_id = await self._needs_gitlab().ensure_note(
            project=request.project, iid=request.iid, marker=request.marker, body=request.body
        )
        return {"note": note_id}

    async def update(self, message: OutboxMessage) -> dict[str, Any]:
        request = parse_payload(UpdateIssue.from_payload, message)
        # Going to review: the issue's merge requests carry the same labels and the same reviewer.
        mr_labels = request.add_labels if request.reviewer else ()
        merge_requests = await self._needs_gitlab().update_issue(
            project=request.project,
            iid=request.iid,
            add_labels=request.add_labels,
            remove_labels=request.remove_labels,
            assignee=request.assignee,
            state_event=request.state_event,
            tick=request.tick,
            merge_request_labels=mr_labels,
            reviewer=request.reviewer,
        )
        if request.reviewer and request.activity_id is not None:
            await self._results.merge_requests_checked(request.activity_id, merge_requests)
        return {"merge_requests": [iid for iid, _state, _url in merge_requests]}

    async def read(self, message: OutboxMessage) -> dict[str, Any]:
        request = parse_payload(ReadIssue.from_payload, message)
        issue = await self._needs_gitlab().read_issue(
            project=request.project, iid=request.iid, assignee=request.assignee
        )
        await self._results.issue_read(request, issue)
        return {"state": issue.state, "labels": list(issue.labels)}

    async def label_merge_request(self, message: OutboxMessage) -> dict[str, Any]:
        request = parse_payload(LabelMergeRequest.from_payload, message)
        await self._needs_gitlab().label_merge_request(
            project=request.project, mr_iid=request.mr_iid, labels=request.labels
        )
        return {"labels": list(request.labels)}

    def _needs_gitlab(self) -> GitLabActivities:
        if self._gitlab is None:
            raise PermanentFailure("an activity GitLab write was queued, but GITLAB_URL is not set")
        return self._gitlab


def register_activity_handlers(
    relay: HandlerRegistry,
    gitlab: GitLabActivities | None,
    results: ActivityResults,
    *,
    clock: Clock | None = None,
    consistency_window: timedelta = timedelta(seconds=60),
) -> ActivityDelivery:
    delivery = ActivityDelivery(gitlab, results, clock=clock, consistency_window=consistency_window)
    for kind, handler in delivery.handlers().items():
        relay.register(kind, handler)
    return delivery
