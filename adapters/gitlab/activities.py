"""GitLab for activities: issues from the template, feedback notes, labels and tasks, all idempotent.

Every write looks before it creates, so the outbox may retry any call after an ambiguous failure
(timeout, dropped connection): the issue is found by the marker hidden in its description, a
note by the marker hidden in its body. python-gitlab runs in a thread, never sleeps on a 429
(the outbox honours Retry-After), and once GitLab says `RateLimit-Remaining: 0` calls wait for
`RateLimit-Reset` instead of spending requests GitLab would refuse.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import gitlab
import requests

from adapters.gitlab.docs import GitLabDocs
from adapters.outbox_relay import RetryLater
from adapters.settings import Settings
from domain.activities.context import RemoteIssue
from domain.activities.template import marker_comment, tick_tasks

log = logging.getLogger(__name__)

T = TypeVar("T")

# Notes are read newest first; a retry comes within hours, so its note is among the last page.
NOTES_PAGE = 100
# GitLab.com lets one user create at most 60 notes a minute (its "notes create" limit); staying under
# it here spares a 429 when a whole circle answers the 17:30 feedback card at once.
NOTES_PER_MINUTE = 60


@dataclass(frozen=True)
class IssueLink:
    iid: int
    url: str


class GitLabActivities(GitLabDocs):
    """Shares the docs adapter's connection, thread and failure translation; adds the activity calls."""

    def __init__(
        self, url: str, *, token: str, timeout: float = 15.0, notes_per_minute: int = NOTES_PER_MINUTE
    ) -> None:
        super().__init__(url, token=token, timeout=timeout)
        self._paused_until = 0.0  # epoch seconds: GitLab's RateLimit-Reset after it said none remain
        self._notes_per_minute = notes_per_minute
        self._recent_notes: deque[float] = deque()  # monotonic times of the notes created this minute
        self._notes_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"GitLabActivities(url={self._url!r})"

    async def ensure_issue_with_marker(
        self,
        *,
        project: str,
        marker: str,
        title: str,
        description: str,
        labels: tuple[str, ...],
        due_date: str | None,
        assignee: str | None,
    ) -> IssueLink:
        """The issue whose description carries `marker`, created first if no earlier attempt made it."""

        def ensure(client: gitlab.Gitlab) -> IssueLink:
            found = _issues_with_marker(client, project, marker)
            if found:
                return found[0]
            return _create_issue(client, project, title, description, labels, due_date, assignee)

        return await self._call(f"create the activity issue in {project}", ensure)

    async def find_issues_with_marker(self, *, project: str, marker: str) -> list[IssueLink]:
        """Every issue whose description carries `marker`, oldest first."""
        return await self._call(
            f"look for the activity issue in {project}", lambda client: _issues_with_marker(client, project, marker)
        )

    async def create_issue_with_marker(
        self,
        *,
        project: str,
        title: str,
        description: str,
        labels: tuple[str, ...],
        due_date: str | None,
        assignee: str | None,
    ) -> IssueLink:
        """Create the issue (its description carries the marker) without looking first: see create_once."""
        return await self._call(
            f"create the activity issue in {project}",
            lambda client: _create_issue(client, project, title, description, labels, due_date, assignee),
        )

    async def close_duplicate_activity(
        self, *, project: str, marker: str, duplicate: IssueLink, original: IssueLink
    ) -> None:
        """Close an activity issue made twice, with a note pointing at the one kept (idempotent)."""
        tag = f"[circlebot:duplicate-of-{original.iid}]"

        def close(client: gitlab.Gitlab) -> None:
            issue = client.projects.get(project, lazy=True).issues.get(duplicate.iid)
            if not any(tag in str(note.body or "") for note in issue.notes.list(get_all=True)):
                issue.notes.create({"body": f"Duplicate of #{original.iid}; closed by circlebot.\n\n{tag}"})
            # The marker goes, so later lookups find only the original.
            hidden = marker_comment(marker)
            issue.description = str(issue.description or "").replace(hidden, f"<!-- duplicate of #{original.iid} -->")
            issue.state_event = "close"
            issue.save()

        await self._call(f"close #{duplicate.iid} in {project} as a duplicate of #{original.iid}", close)

    async def ensure_note(self, *, project: str, iid: int, marker: str, body: str) -> int:
        """The note carrying `marker` on issue `iid`, posted unless an earlier attempt did; returns its id."""

        def ensure(client: gitlab.Gitlab) -> int:
            issue = client.projects.get(project, lazy=True).issues.get(iid, lazy=True)
            for note in issue.notes.list(sort="desc", order_by="created_at", per_page=NOTES_PAGE, get_all=False):
                if marker in str(note.body or ""):
                    return int(note.id)
            self._take_note_slot()
            return int(issue.notes.create({"body": body}).id)

        return await self._call(f"comment on {project}#{iid}", ensure)

    async def update_issue(
        self,
        *,
        project: str,
        iid: int,
        add_labels: tuple[str, ...],
        remove_labels: tuple[str, ...],
        assignee: str | None,
        state_event: str | None,
        tick: tuple[str, ...],
        merge_request_labels: tuple[str, ...] = (),
        reviewer: str | None = None,
    ) -> list[tuple[int, str, str]]:
        """Labels, assignee, state and ticked tasks (on the description as GitLab has it now).

        With `merge_request_labels`, the issue's related merge requests get them too (and `reviewer`);
        returns those merge requests as (iid, state, url). Every part may be repeated safely.
        """

        def update(client: gitlab.Gitlab) -> list[tuple[int, str, str]]:
            repo = client.projects.get(project, lazy=True)
            data: dict[str, Any] = {}
            if add_labels:
                data["add_labels"] = ",".join(add_labels)
            if remove_labels:
                data["remove_labels"] = ",".join(remove_labels)
            assignee_id = _user_id(client, assignee)
            if assignee_id is not None:
                data["assignee_ids"] = [assignee_id]
            if state_event:
                data["state_event"] = state_event
            if tick:
                current = repo.issues.get(iid)
                description = str(current.description or "")
                ticked = tick_tasks(description, list(tick))
                if ticked != description:
                    data["description"] = ticked
            if data:
                repo.issues.update(iid, data)
            merge_requests: list[tuple[int, str, str]] = []
            if merge_request_labels:
                reviewer_id = _user_id(client, reviewer)
                related = repo.issues.get(iid, lazy=True).related_merge_requests(get_all=False)
                for mr in related:
                    mr_iid = int(mr["iid"])
                    mr_data: dict[str, Any] = {"add_labels": ",".join(merge_request_labels)}
                    if reviewer_id is not None:
                        mr_data["reviewer_ids"] = [reviewer_id]
                    # A related merge request may live in another project: update it where it is.
                    client.projects.get(mr["project_id"], lazy=True).mergerequests.update(mr_iid, mr_data)
                    merge_requests.append((mr_iid, str(mr["state"]), str(mr["web_url"])))
            return merge_requests

        return await self._call(f"update {project}#{iid}", update)

    async def label_merge_request(self, *, project: str, mr_iid: int, labels: tuple[str, ...]) -> None:
        """Add `labels` to the merge request (adding a label twice is a no-op in GitLab)."""

        def label(client: gitlab.Gitlab) -> None:
            client.projects.get(project, lazy=True).mergerequests.update(mr_iid, {"add_labels": ",".join(labels)})

        await self._call(f"label {project}!{mr_iid}", label)

    async def read_issue(self, *, project: str, iid: int, assignee: str | None) -> RemoteIssue:
        """The issue now, and when `assignee` last wrote a (non-system) note on it."""

        def read(client: gitlab.Gitlab) -> RemoteIssue:
            issue = client.projects.get(project, lazy=True).issues.get(iid)
            last_note = None
            if assignee:
                for note in issue.notes.list(sort="desc", order_by="created_at", per_page=NOTES_PAGE, get_all=False):
                    author = (note.author or {}).get("username", "")
                    if not note.system and author.lower() == assignee.lower() and "<!-- circlebot:" not in note.body:
                        last_note = _parse_time(str(note.created_at))
                        break
            return RemoteIssue(
                project=project,
                iid=int(issue.iid),
                title=str(issue.title),
                description=str(issue.description or ""),
                labels=tuple(issue.labels or ()),
                state=str(issue.state),
                web_url=str(issue.web_url),
                due_date=date.fromisoformat(issue.due_date) if issue.due_date else None,
                assignees=tuple(a.get("username", "") for a in (issue.assignees or [])),
                last_assignee_note_at=last_note,
                updated_at=_parse_time(str(issue.updated_at)) if getattr(issue, "updated_at", None) else None,
            )

        return await self._call(f"read {project}#{iid}", read)

    async def _call(self, what: str, work: Callable[[gitlab.Gitlab], T]) -> T:
        wait = self._paused_until - time.time()
        if wait > 0:
            raise RetryLater(f"GitLab's rate limit is spent; waiting {wait:.0f} s to {what}", timedelta(seconds=wait))
        return await super()._call(what, work)

    def _take_note_slot(self) -> None:
        """Count a note against the per-minute budget, or ask the outbox to come back when one is free."""
        now = time.monotonic()
        with self._notes_lock:
            while self._recent_notes and now - self._recent_notes[0] >= 60:
                self._recent_notes.popleft()
            if len(self._recent_notes) >= self._notes_per_minute:
                wait = 60 - (now - self._recent_notes[0])
                raise RetryLater(
                    f"{self._notes_per_minute} notes posted in the last minute, GitLab's limit; the rest wait",
                    timedelta(seconds=max(1, round(wait))),
                )
            self._recent_notes.append(now)

    def _remember_headers(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        super()._remember_headers(response, *args, **kwargs)
        remaining = response.headers.get("RateLimit-Remaining", "")
        reset = response.headers.get("RateLimit-Reset", "")
        if remaining.strip() == "0" and reset.strip().isdigit():
            self._paused_until = float(reset)


def _issues_with_marker(client: gitlab.Gitlab, project: str, marker: str) -> list[IssueLink]:
    repo = client.projects.get(project, lazy=True)
    hidden = marker_comment(marker)
    found = repo.issues.list(search=marker, query_parameters={"in": "description"}, state="all", get_all=False)
    links = [IssueLink(int(i.iid), str(i.web_url)) for i in found if hidden in str(i.description or "")]
    return sorted(links, key=lambda link: link.iid)


def _create_issue(
    client: gitlab.Gitlab,
    project: str,
    title: str,
    description: str,
    labels: tuple[str, ...],
    due_date: str | None,
    assignee: str | None,
) -> IssueLink:
    repo = client.projects.get(project, lazy=True)
    data: dict[str, Any] = {"title": title, "description": description, "labels": ",".join(labels)}
    if due_date:
        data["due_date"] = due_date
    assignee_id = _user_id(client, assignee)
    if assignee_id is not None:
        data["assignee_ids"] = [assignee_id]
    created = repo.issues.create(data)
    log.info("created an activity issue", extra={"gitlab_project": project, "iid": created.iid})
    return IssueLink(int(created.iid), str(created.web_url))


def _user_id(client: gitlab.Gitlab, username: str | None) -> int | None:
    if not username:
        return None
    users = client.users.list(username=username, get_all=False)
    if not users:
        log.warning("GitLab has no user %r; leaving the assignee as it is", username)
        return None
    return int(users[0].id)


def _parse_time(value: str) -> datetime:
    """GitLab's API times ("2026-12-01T09:30:00.000Z") and webhook times ("2026-12-01 09:30:00 UTC")."""
    text = value.strip().replace(" UTC", "+00:00").replace("Z", "+00:00")
    if " " in text and "T" not in text:
        text = text.replace(" ", "T", 1)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


parse_gitlab_time = _parse_time


def gitlab_activities_from_settings(settings: Settings) -> GitLabActivities | None:
    """The adapter for GITLAB_URL/GITLAB_TOKEN, or None when GitLab is not configured."""
    if not settings.gitlab_enabled:
        return None
    return GitLabActivities(settings.gitlab_url, token=settings.gitlab_token)
