"""GitLab for postmortems, through python-gitlab run in a thread: drafts, merge requests and issues.

Every write looks before it creates, so the outbox may retry any call after an ambiguous
failure (timeout, dropped connection) without making a second branch, file, MR or issue.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import gitlab
import requests
from gitlab.exceptions import GitlabError

from adapters.http_failures import failure, retry_after
from adapters.outbox_relay import PermanentFailure, RetryLater
from adapters.settings import Settings
from domain.clock import Clock, SystemClock

log = logging.getLogger(__name__)

T = TypeVar("T")

# Blocking GitLab calls run on this many threads of the adapter's own pool, never the default one.
DEFAULT_WORKERS = 2


@dataclass(frozen=True)
class MergeRequestRef:
    iid: int
    url: str
    state: str


@dataclass(frozen=True)
class IssueRef:
    ref: str
    url: str


class _NoRetryGitlab(gitlab.Gitlab):
    """python-gitlab that never sleeps on a 429: the outbox retries, honours Retry-After, survives restarts."""

    def http_request(self, verb: str, path: str, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs["obey_rate_limit"] = False
        kwargs["retry_transient_errors"] = False
        kwargs["max_retries"] = 0
        return super().http_request(verb, path, *args, **kwargs)


class GitLabDocs:
    """Idempotent GitLab writes for the postmortem outbox handlers."""

    def __init__(
        self,
        url: str,
        *,
        token: str,
        timeout: float = 10.0,
        clock: Clock | None = None,
        workers: int = DEFAULT_WORKERS,
    ) -> None:
        self._url = url.rstrip("/")
        self._clock = clock or SystemClock()
        self._token = token
        # Passed to every HTTP request, so a call ends in its thread, not only in its coroutine.
        self._timeout = timeout
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gitlab")
        self._client: gitlab.Gitlab | None = None
        self._client_lock = threading.Lock()
        # The last response's headers, per worker thread: python-gitlab's errors do not carry them.
        self._last_headers = threading.local()

    def __repr__(self) -> str:
        return f"GitLabDocs(url={self._url!r})"

    async def ensure_draft(
        self,
        *,
        project: str,
        branch: str,
        path: str,
        content: str,
        commit_message: str,
        title: str,
        description: str,
        assignee: str | None,
        labels: tuple[str, ...],
    ) -> MergeRequestRef:
        """Branch from the default branch, the file on it, and a merge request, each unless it exists."""

        def draft(client: gitlab.Gitlab) -> MergeRequestRef:
            repo = client.projects.get(project)
            target = str(repo.default_branch or "main")
            _ensure_branch(repo, branch, target)
            _ensure_file(repo, branch, path, content, commit_message)
            existing = repo.mergerequests.list(source_branch=branch, state="all", get_all=False)
            if existing:
                return _mr_ref(existing[0])
            data: dict[str, Any] = {
                "source_branch": branch,
                "target_branch": target,
                "title": title,
                "description": description,
                "labels": ",".join(labels),
                "remove_source_branch": True,
            }
            assignee_id = _user_id(client, assignee)
            if assignee_id is not None:
                data["assignee_id"] = assignee_id
            created = _mr_ref(repo.mergerequests.create(data))
            log.info("created the postmortem merge request", extra={"gitlab_project": project, "mr": created.iid})
            return created

        return await self._call(f"draft {path} in {project}", draft)

    async def merge_request_state(self, *, project: str, branch: str, iid: int | None) -> MergeRequestRef | None:
        """The merge request (by iid, else by source branch) and its state; None when there is none."""

        def state(client: gitlab.Gitlab) -> MergeRequestRef | None:
            repo = client.projects.get(project, lazy=True)
            if iid is not None:
                return _mr_ref(repo.mergerequests.get(iid))
            found = repo.mergerequests.list(source_branch=branch, state="all", get_all=False)
            return _mr_ref(found[0]) if found else None

        return await self._call(f"read the merge request of {branch} in {project}", state)

    async def ensure_issue(
        self,
        *,
        project: str,
        label: str,
        title: str,
        description: str,
        assignee: str | None,
        due: str | None,
        labels: tuple[str, ...],
    ) -> IssueRef:
        """The issue labelled `label`, created first (with owner and due date) if none exists yet."""
        existing = await self.find_issues(project=project, label=label)
        if existing:
            return existing[0]
        return await self.create_issue(
            project=project,
            label=label,
            title=title,
            description=description,
            assignee=assignee,
            due=due,
            labels=labels,
        )

    async def find_issues(self, *, project: str, label: str) -> list[IssueRef]:
        """Every issue labelled `label`, oldest first."""

        def find(client: gitlab.Gitlab) -> list[IssueRef]:
            repo = client.projects.get(project, lazy=True)
            found = repo.issues.list(labels=[label], state="all", order_by="created_at", sort="asc", get_all=False)
            return [_issue_ref(project, issue) for issue in found]

        return await self._call(f"look for the issue labelled {label} in {project}", find)

    async def create_issue(
        self,
        *,
        project: str,
        label: str,
        title: str,
        description: str,
        assignee: str | None,
        due: str | None,
        labels: tuple[str, ...],
    ) -> IssueRef:
        """Create the issue without looking first (the outbox handler looks, see create_once)."""

        def create(client: gitlab.Gitlab) -> IssueRef:
            repo = client.projects.get(project, lazy=True)
            data: dict[str, Any] = {
                "title": title,
                "description": description,
                "labels": ",".join(dict.fromkeys([*labels, label])),
            }
            if due:
                data["due_date"] = due
            assignee_id = _user_id(client, assignee)
            if assignee_id is not None:
                data["assignee_ids"] = [assignee_id]
            return _issue_ref(project, repo.issues.create(data))

        return await self._call(f"file an issue in {project}", create)

    async def close_duplicate(self, duplicate: IssueRef, original: IssueRef, *, label: str) -> None:
        """Close `duplicate` with a note pointing at `original`, and take `label` off it (idempotent)."""
        project, _, iid = duplicate.ref.rpartition("#")
        marker = f"[circlebot:duplicate-of-{original.ref}]"

        def close(client: gitlab.Gitlab) -> None:
            issue = client.projects.get(project, lazy=True).issues.get(int(iid))
            if not any(marker in str(note.body) for note in issue.notes.list(get_all=True)):
                issue.notes.create({"body": f"Duplicate of {original.ref}; closed by circlebot.\n\n{marker}"})
            issue.labels = [x for x in issue.labels if x != label] + ["circlebot-duplicate"]
            issue.state_event = "close"
            issue.save()

        await self._call(f"close {duplicate.ref} as a duplicate of {original.ref}", close)

    def close(self) -> None:
        """Close the HTTP session and the thread pool (the composition root calls this on shutdown)."""
        with self._client_lock:
            client, self._client = self._client, None
        if client is not None:
            client.session.close()
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _call(self, what: str, work: Callable[[gitlab.Gitlab], T]) -> T:
        """Run `work` on the client in a thread, turning failures into outbox retry decisions."""

        def run() -> T:
            self._last_headers.value = {}
            try:
                return work(self._connected())
            except GitlabError as error:
                # Read in this worker thread: the hook stored the failed response's headers here.
                error.circlebot_headers = dict(self._last_headers.value)  # type: ignore[attr-defined]
                raise

        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, run)
        except (PermanentFailure, RetryLater):
            raise
        except GitlabError as error:
            raise self._translate(what, error) from None
        except requests.Timeout:
            raise RetryLater(f"GitLab did not answer within {self._timeout:g} s trying to {what}") from None
        except requests.ConnectionError as error:
            raise RetryLater(f"cannot reach GitLab at {self._url} to {what} ({type(error).__name__})") from None
        except (requests.RequestException, ValueError) as error:
            raise RetryLater(f"GitLab gave an unreadable answer while trying to {what} ({error})") from None

    def _connected(self) -> gitlab.Gitlab:
        with self._client_lock:
            if self._client is None:
                session = requests.Session()
                session.hooks["response"].append(self._remember_headers)
                self._client = _NoRetryGitlab(
                    self._url,
                    private_token=self._token,
                    timeout=self._timeout,
                    retry_transient_errors=False,
                    session=session,
                )
            return self._client

    def _remember_headers(self, response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        self._last_headers.value = dict(response.headers)

    def _translate(self, what: str, error: GitlabError) -> Exception:
        headers: dict[str, str] = getattr(error, "circlebot_headers", {})
        return failure(
            "GitLab",
            error.response_code,
            what=what,
            detail=_message(error),
            retry_after=retry_after(headers, self._clock.now()),
            hints={
                401: "use a valid GITLAB_TOKEN with the `api` scope",
                403: "the token's user needs Developer access",
                404: "check the circle's docs_repo / project path (namespace/name) "
                "and that the token's user can see it",
            },
        )


def _ensure_branch(repo: Any, branch: str, ref: str) -> None:
    try:
        repo.branches.create({"branch": branch, "ref": ref})
    except GitlabError as error:
        if error.response_code == 400 and "already exists" in _message(error).lower():
            return  # an earlier attempt made it before its answer was lost
        raise


def _ensure_file(repo: Any, branch: str, path: str, content: str, commit_message: str) -> None:
    try:
        repo.files.get(file_path=path, ref=branch)
        return  # already there: the owner may have edited it since, so never overwrite
    except GitlabError as error:
        if error.response_code != 404:
            raise
    try:
        repo.files.create({"file_path": path, "branch": branch, "content": content, "commit_message": commit_message})
    except GitlabError as error:
        if error.response_code == 400 and "already exists" in _message(error).lower():
            return
        raise


def _user_id(client: gitlab.Gitlab, username: str | None) -> int | None:
    """GitLab's id for a username; None (no assignee) when unknown rather than failing the draft."""
    if not username:
        return None
    users = client.users.list(username=username, get_all=False)
    if not users:
        log.warning("GitLab has no user %r; leaving the assignee empty", username)
        return None
    return int(users[0].id)


def _mr_ref(mr: Any) -> MergeRequestRef:
    return MergeRequestRef(iid=int(mr.iid), url=str(mr.web_url), state=str(mr.state))


def _issue_ref(project: str, issue: Any) -> IssueRef:
    return IssueRef(ref=f"{project}#{issue.iid}", url=str(issue.web_url))


def _message(error: GitlabError) -> str:
    message = error.error_message
    if isinstance(message, dict):
        return "; ".join(f"{k}: {v}" for k, v in message.items())
    return str(message or "no details")


def gitlab_docs_from_settings(settings: Settings) -> GitLabDocs | None:
    """The adapter for GITLAB_URL/GITLAB_TOKEN, or None when GitLab is not configured."""
    if not settings.gitlab_enabled:
        return None
    return GitLabDocs(settings.gitlab_url, token=settings.gitlab_token)
