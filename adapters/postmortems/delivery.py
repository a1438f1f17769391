"""Outbox handlers for postmortems: the GitLab draft, corrective-action issues, and merge-request checks."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, Protocol

from adapters.gitlab.docs import GitLabDocs, IssueRef
from adapters.outbox_relay import HandlerRegistry, OutboxHandler, PermanentFailure, parse_payload
from adapters.uncertain_create import create_once
from domain.clock import Clock, SystemClock
from domain.incidents.issue_tracker import IssueTracker
from domain.postmortems.requests import (
    CHECK_MERGE_REQUEST,
    DRAFT_IN_GITLAB,
    FILE_ACTION,
    CheckMergeRequest,
    DraftInGitLab,
    FileAction,
)
from storage.outbox import OutboxMessage

log = logging.getLogger(__name__)


# Corrective actions are tasks in the circle's Jira project, whatever type its incidents use.
JIRA_ACTION_ISSUE_TYPE = "Task"


class PostmortemResults(Protocol):
    """Where the handlers report what GitLab and the trackers answered (the composition root's desk)."""

    async def draft_ready(self, number: int, iid: int, url: str) -> None: ...

    async def action_filed(self, number: int, action: int, ref: str, url: str | None) -> None: ...

    async def merge_request_state(self, number: int, state: str) -> None: ...


class PostmortemDelivery:
    """Delivers the three postmortem outbox kinds; each reports its outcome to `results`.

    The report runs on every successful delivery, retries included: the use cases behind it are
    idempotent.
    """

    def __init__(
        self,
        *,
        gitlab: GitLabDocs | None,
        jira: IssueTracker | None,
        results: PostmortemResults,
        clock: Clock | None = None,
        consistency_window: timedelta = timedelta(seconds=60),
    ) -> None:
        self._gitlab = gitlab
        self._jira = jira
        self._results = results
        self._clock = clock or SystemClock()
        self._window = consistency_window

    def handlers(self) -> dict[str, OutboxHandler]:
        return {DRAFT_IN_GITLAB: self.draft, FILE_ACTION: self.file_action, CHECK_MERGE_REQUEST: self.check}

    async def draft(self, message: OutboxMessage) -> dict[str, Any]:
        """Branch, file and merge request in the docs repository."""
        request = parse_payload(DraftInGitLab.from_payload, message)
        merge_request = await self._needs_gitlab().ensure_draft(
            project=request.project,
            branch=request.branch,
            path=request.path,
            content=request.content,
            commit_message=request.commit_message,
            title=request.title,
            description=request.description,
            assignee=request.assignee,
            labels=request.labels,
        )
        await self._results.draft_ready(request.incident_number, merge_request.iid, merge_request.url)
        return {"iid": merge_request.iid, "url": merge_request.url}

    async def file_action(self, message: OutboxMessage) -> dict[str, Any]:
        """The action's issue in Jira or GitLab, found by its label before creating."""
        request = parse_payload(FileAction.from_payload, message)
        # A create whose answer was lost may have happened: create_once looks before creating again.
        if request.tracker == "gitlab":
            gitlab = self._needs_gitlab()

            async def close_gitlab_duplicate(duplicate: IssueRef, original: IssueRef) -> None:
                await gitlab.close_duplicate(duplicate, original, label=request.label)

            issue = await create_once(
                message,
                clock=self._clock,
                window=self._window,
                find=lambda: gitlab.find_issues(project=request.project, label=request.label),
                create=lambda: gitlab.create_issue(
                    project=request.project,
                    label=request.label,
                    title=request.title,
                    description=request.description,
                    assignee=request.owner,
                    due=request.due,
                    labels=request.labels,
                ),
                close_duplicate=close_gitlab_duplicate,
                what=f"the GitLab issue of action {request.action_number}",
            )
            ref, url = issue.ref, issue.url
        elif request.tracker == "jira":
            jira = self._jira
            if jira is None:
                raise PermanentFailure("a corrective action is to be filed in Jira, but JIRA_URL is not set")
            ref = await create_once(
                message,
                clock=self._clock,
                window=self._window,
                find=lambda: jira.find_all_by_label(request.label),
                create=lambda: jira.create_issue(
                    label=request.label,
                    project=request.project,
                    issue_type=JIRA_ACTION_ISSUE_TYPE,
                    summary=request.title,
                    description=request.description,
                    priority=None,
                    extra_labels=request.labels,
                    due=request.due,
                    assignee=request.owner,
                ),
                close_duplicate=lambda duplicate, original: jira.close_duplicate(
                    duplicate, original, label=request.label
                ),
                what=f"the Jira issue of action {request.action_number}",
            )
            url = None
        else:
            raise PermanentFailure(f"unknown tracker {request.tracker!r} for a corrective action")
        await self._results.action_filed(request.incident_number, request.action_number, ref, url)
        return {"ref": ref, "url": url}

    async def check(self, message: OutboxMessage) -> dict[str, Any]:
        """Read the merge request's state; a missing MR is reported as not merged."""
        request = parse_payload(CheckMergeRequest.from_payload, message)
        merge_request = await self._needs_gitlab().merge_request_state(
            project=request.project, branch=request.branch, iid=request.iid
        )
        if merge_request is None:
            log.warning("no merge request for %s yet", request.branch, extra={"incident": request.incident_number})
            return {"state": None}
        if request.iid is None:
            await self._results.draft_ready(request.incident_number, merge_request.iid, merge_request.url)
        await self._results.merge_request_state(request.incident_number, merge_request.state)
        return {"state": merge_request.state}

    def _needs_gitlab(self) -> GitLabDocs:
        if self._gitlab is None:
            raise PermanentFailure("a postmortem GitLab write was queued, but GITLAB_URL is not set")
        return self._gitlab


def register_postmortem_handlers(
    relay: HandlerRegistry,
    *,
    gitlab: GitLabDocs | None,
    jira: IssueTracker | None,
    results: PostmortemResults,
    clock: Clock | None = None,
    consistency_window: timedelta = timedelta(seconds=60),
) -> PostmortemDelivery:
    """Register postmortem.gitlab_draft, postmortem.file_action and postmortem.gitlab_mr_state on `relay`."""
    delivery = PostmortemDelivery(
        gitlab=gitlab, jira=jira, results=results, clock=clock, consistency_window=consistency_window
    )
    for kind, handler in delivery.handlers().items():
        relay.register(kind, handler)
    return delivery
