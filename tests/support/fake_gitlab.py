"""A local GitLab: the REST v4 endpoints python-gitlab calls for postmortems and activities, in memory,
with faults on demand.

Paths, bodies and error messages follow the GitLab v4 docs: projects/:id (numeric or URL-encoded
path), repository/branches, repository/files/:path (content base64-encoded), merge_requests (list,
create, get, update), issues (list by labels or `search` + `in`, create, get, update with
add_labels/remove_labels/state_event), issue notes (list, create; label, assignee, state and task
changes add `system` notes as GitLab does), related_merge_requests, users?username=,
repository/commits?path= (newest first) and repository/tree?path= (404 "Tree Not Found" when absent).
A file read carries GitLab's weak `ETag` (W/"…" over the body, as Rack::ETag makes it) and answers
`304 Not Modified` with no body when `If-None-Match` names the current one.
Authentication is the PRIVATE-TOKEN header. Creates answer 201. Issues carry
`task_completion_status` counted from the description's task list. Scoped labels (`status::wip`)
are exclusive within their scope, as GitLab Premium enforces them. A 429 is GitLab's plain-text
"Retry later" with `Retry-After`; every answer carries `RateLimit-Limit`/`-Remaining`/`-Reset`.
"""

from __future__ import annotations

import asyncio
import base64
import fnmatch
import hashlib
import itertools
import json
import re
import socket
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from aiohttp import web

API = "/api/v4"


@dataclass
class FakeMergeRequest:
    iid: int
    source_branch: str
    target_branch: str
    title: str
    description: str
    labels: list[str]
    assignee_id: int | None
    state: str = "opened"
    reviewer_ids: list[int] = field(default_factory=list)
    # Issues this merge request mentions ("Closes #3"), as GitLab's related_merge_requests reports them.
    related_issues: list[int] = field(default_factory=list)


@dataclass
class FakeNote:
    id: int
    body: str
    author: str
    created_at: str
    system: bool = False


@dataclass
class FakeIssue:
    iid: int
    title: str
    description: str
    labels: list[str]
    assignee_ids: list[int]
    due_date: str | None
    state: str = "opened"
    author: str = "circlebot"
    notes: list[FakeNote] = field(default_factory=list)
    created_at: str = field(default_factory=lambda: _now())
    updated_at: str = field(default_factory=lambda: _now())


@dataclass
class FakeProject:
    id: int
    path: str
    default_branch: str = "main"
    branches: dict[str, str] = field(default_factory=dict)  # name -> the ref it was made from
    files: dict[tuple[str, str], str] = field(default_factory=dict)  # (branch, path) -> content
    # (branch, path) -> (commit id, committed_date) of the file's last commit
    commits: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    merge_requests: list[FakeMergeRequest] = field(default_factory=list)
    issues: list[FakeIssue] = field(default_factory=list)


@dataclass
class _Fault:
    status: int
    retry_after: str | None
    only: str | None

    def applies_to(self, line: str) -> bool:
        return self.only is None or fnmatch.fnmatchcase(line, self.only)


class FakeGitLab:
    """GitLab in memory on 127.0.0.1 and a free port; start() returns its base URL."""

    def __init__(
        self,
        *,
        projects: tuple[str, ...] = ("acme/acme.shop.DevOps",),
        users: dict[str, int] | None = None,
        token: str = "glpat-fake-token",
    ) -> None:
        self.token = token
        self.users = users if users is not None else {"mbianchi": 21, "sromano": 23, "grossi": 20, "circlebot": 99}
        # The token's user: who creates issues and notes through the API.
        self.api_user = "circlebot"
        # GitLab.com's authenticated API budget; lower it to test RateLimit-Remaining handling.
        self.rate_limit = 2000
        self.rate_remaining = 2000
        self.projects: dict[str, FakeProject] = {}
        for number, path in enumerate(projects, start=1):
            self.projects[path] = FakeProject(id=number, path=path, branches={"main": ""})
        self.requests: list[str] = []
        self.not_modified = 0  # file reads answered 304 because If-None-Match named the current ETag
        self._faults: list[_Fault] = []
        self._lost: list[str] = []
        self._iids = itertools.count(1)
        self._note_ids = itertools.count(3001)
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_route("*", API + "/{tail:.*}", self._route)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(self._runner, sock).start()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        return self.url

    async def stop(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeGitLab:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    # -- test helpers ----------------------------------------------------------------------------

    def project(self, path: str = "acme/acme.shop.DevOps") -> FakeProject:
        return self.projects[path]

    def fail_next(self, n: int, status: int, retry_after: int | None = None, *, only: str | None = None) -> None:
        """Answer the next `n` requests matching the glob `only` ("POST */merge_requests") with `status`."""
        value = None if retry_after is None else str(retry_after)
        self._faults.extend(_Fault(status, value, only) for _ in range(n))

    def lose_next_response(self, only: str, mode: str = "drop") -> None:
        """Do the work of the next request matching `only`, then drop the connection ("drop") or hang."""
        self._lost.append(f"{mode} {only}")

    def commit_file(
        self,
        path: str,
        content: str,
        *,
        at: datetime | None = None,
        branch: str = "main",
        project: str = "acme/acme.shop.DevOps",
    ) -> None:
        """Someone pushed `content` to `path` on `branch` at `at` (now by default)."""
        repo = self.project(project)
        repo.files[(branch, path)] = content
        when = _now(at)
        repo.commits[(branch, path)] = (hashlib.sha1(f"{branch}{path}{when}{content}".encode()).hexdigest(), when)

    def merge(self, iid: int, path: str = "acme/acme.shop.DevOps") -> None:
        """Someone merged the merge request in GitLab's web UI."""
        next(mr for mr in self.project(path).merge_requests if mr.iid == iid).state = "merged"

    # -- plumbing --------------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        line = f"{request.method} {request.raw_path.split('?', 1)[0]}"
        self.requests.append(line)
        if request.headers.get("PRIVATE-TOKEN") != self.token:
            return web.json_response({"message": "401 Unauthorized"}, status=401)
        fault = next((f for f in self._faults if f.applies_to(line)), None)
        if fault is not None:
            self._faults.remove(fault)
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            if fault.status == 429:
                # GitLab's Rack::Attack throttle answers in plain text, not JSON.
                reset_in = int(fault.retry_after) if fault.retry_after else 60
                rate = self._rate_headers(0, reset_in=reset_in)
                return web.Response(text="Retry later\n", status=429, headers={**headers, **rate})
            return web.json_response(
                {"message": f"{fault.status} Internal Server Error"}, status=fault.status, headers=headers
            )
        self.rate_remaining = max(0, self.rate_remaining - 1)
        response: web.StreamResponse = await handler(request)
        response.headers.update(self._rate_headers(self.rate_remaining))
        lost = next((entry for entry in self._lost if fnmatch.fnmatchcase(line, entry.split(" ", 1)[1])), None)
        if lost is not None and response.status < 400:
            self._lost.remove(lost)
            if lost.startswith("hang"):
                await self._release.wait()
            elif request.transport is not None:
                request.transport.close()
            raise web.HTTPServiceUnavailable()
        return response

    def _rate_headers(self, remaining: int, *, reset_in: int = 60) -> dict[str, str]:
        reset = int(time.time()) + reset_in
        return {
            "RateLimit-Limit": str(self.rate_limit),
            "RateLimit-Observed": str(self.rate_limit - remaining),
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(reset),
        }

    async def _route(self, request: web.Request) -> web.StreamResponse:
        raw = request.raw_path.split("?", 1)[0].removeprefix(API + "/")
        parts = raw.split("/")
        method = request.method
        if parts == ["users"] and method == "GET":
            return self._users(request)
        if parts[0] != "projects" or len(parts) < 2:
            return _not_found("404 Not found")
        project = self._project(unquote(parts[1]))
        if project is None:
            return _not_found("404 Project Not Found")
        rest = parts[2:]
        body: dict[str, Any] = await request.json() if method in ("POST", "PUT") and request.can_read_body else {}
        if not rest and method == "GET":
            return web.json_response(self._project_json(project))
        if rest == ["repository", "branches"] and method == "POST":
            return self._create_branch(project, body)
        if rest[:2] == ["repository", "files"] and len(rest) == 3:
            path = unquote(rest[2])
            if method == "GET":
                return self._get_file(project, path, request.query.get("ref", ""), request.headers.get("If-None-Match"))
            if method == "POST":
                return self._create_file(project, path, body)
        if rest == ["repository", "commits"] and method == "GET":
            return self._list_commits(project, request)
        if rest == ["repository", "tree"] and method == "GET":
            return self._tree(project, request)
        if rest == ["merge_requests"]:
            if method == "GET":
                return self._list_merge_requests(project, request)
            if method == "POST":
                return self._create_merge_request(project, body)
        if len(rest) == 2 and rest[0] == "merge_requests" and method in ("GET", "PUT"):
            found = next((mr for mr in project.merge_requests if str(mr.iid) == rest[1]), None)
            if found is None:
                return _not_found("404 Not found")
            if method == "PUT":
                self._update_merge_request(found, body)
            return web.json_response(self._mr_json(project, found))
        if rest == ["issues"]:
            if method == "GET":
                return self._list_issues(project, request)
            if method == "POST":
                return self._create_issue(project, body)
        if len(rest) >= 2 and rest[0] == "issues":
            issue = next((i for i in project.issues if str(i.iid) == rest[1]), None)
            if issue is None:
                return _not_found("404 Not found")
            if len(rest) == 2 and method == "GET":
                return web.json_response(self._issue_json(project, issue))
            if len(rest) == 2 and method == "PUT":
                return self._update_issue(project, issue, body)
            if rest[2:] == ["notes"] and method == "GET":
                return self._list_notes(issue, request)
            if rest[2:] == ["notes"] and method == "POST":
                return self._create_note(issue, body)
            if rest[2:] == ["related_merge_requests"] and method == "GET":
                related = [
                    self._mr_json(project, mr) for mr in project.merge_requests if issue.iid in mr.related_issues
                ]
                return web.json_response(related)
        return _not_found("404 Not found")

    def _project(self, id_or_path: str) -> FakeProject | None:
        if id_or_path.isdigit():
            return next((p for p in self.projects.values() if p.id == int(id_or_path)), None)
        return self.projects.get(id_or_path)

    def _project_json(self, project: FakeProject) -> dict[str, Any]:
        return {
            "id": project.id,
            "path_with_namespace": project.path,
            "default_branch": project.default_branch,
            "web_url": f"{self.url}/{project.path}",
        }

    def _users(self, request: web.Request) -> web.Response:
        username = request.query.get("username", "")
        found = [{"id": uid, "username": name} for name, uid in self.users.items() if name == username]
        return web.json_response(found)

    def _create_branch(self, project: FakeProject, body: dict[str, Any]) -> web.Response:
        name, ref = body.get("branch"), body.get("ref")
        if not name or not ref:
            return web.json_response({"error": "branch is missing, ref is missing"}, status=400)
        if name in project.branches:
            return web.json_response({"message": "Branch already exists"}, status=400)
        if ref not in project.branches:
            return web.json_response({"message": "Invalid reference name: " + ref}, status=400)
        project.branches[name] = ref
        for (branch, path), content in list(project.files.items()):
            if branch == ref:
                project.files[(name, path)] = content
        return web.json_response({"name": name, "commit": {"id": "0" * 40}}, status=201)

    def _get_file(self, project: FakeProject, path: str, ref: str, if_none_match: str | None) -> web.Response:
        if (ref, path) not in project.files:
            return _not_found("404 File Not Found")
        content = project.files[(ref, path)]
        encoded = base64.b64encode(content.encode()).decode()
        commit_id = project.commits.get((ref, path), ("0" * 40, ""))[0]
        body = {
            "file_name": path.rsplit("/", 1)[-1],
            "file_path": path,
            "size": len(content.encode()),
            "encoding": "base64",
            "content_sha256": hashlib.sha256(content.encode()).hexdigest(),
            "ref": ref,
            "blob_id": hashlib.sha1(content.encode()).hexdigest(),
            "commit_id": commit_id,
            "last_commit_id": commit_id,
            "execute_filemode": False,
            "content": encoded,
        }
        text = json.dumps(body)
        etag = f'W/"{hashlib.md5(text.encode()).hexdigest()}"'
        if if_none_match and etag in [tag.strip() for tag in if_none_match.split(",")]:
            self.not_modified += 1
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(text=text, content_type="application/json", headers={"ETag": etag})

    def _list_commits(self, project: FakeProject, request: web.Request) -> web.Response:
        ref = request.query.get("ref_name") or project.default_branch
        path = request.query.get("path")
        found = sorted(
            (commit for (branch, file), commit in project.commits.items() if branch == ref and path in (None, file)),
            key=lambda commit: commit[1],
            reverse=True,
        )
        per_page = int(request.query.get("per_page", "20"))
        return web.json_response(
            [
                {"id": cid, "short_id": cid[:8], "title": "Update runbook", "committed_date": when,
                 "authored_date": when, "created_at": when}
                for cid, when in found[:per_page]
            ]
        )  # fmt: skip

    def _tree(self, project: FakeProject, request: web.Request) -> web.Response:
        ref = request.query.get("ref") or project.default_branch
        directory = request.query.get("path", "").strip("/")
        prefix = f"{directory}/" if directory else ""
        entries = sorted(
            path
            for branch, path in project.files
            if branch == ref and path.startswith(prefix) and "/" not in path[len(prefix) :]
        )
        if directory and not entries:
            return _not_found("404 Tree Not Found")
        return web.json_response(
            [
                {"id": hashlib.sha1(p.encode()).hexdigest(), "name": p.rsplit("/", 1)[-1], "type": "blob",
                 "path": p, "mode": "100644"}
                for p in entries
            ]
        )  # fmt: skip

    def _create_file(self, project: FakeProject, path: str, body: dict[str, Any]) -> web.Response:
        branch = body.get("branch", "")
        if branch not in project.branches:
            message = "You can only create or edit files when you are on a branch"
            return web.json_response({"message": message}, status=400)
        if not body.get("commit_message"):
            return web.json_response({"error": "commit_message is missing"}, status=400)
        if (branch, path) in project.files:
            return web.json_response({"message": "A file with this name already exists"}, status=400)
        project.files[(branch, path)] = str(body.get("content", ""))
        when = _now()
        project.commits[(branch, path)] = (hashlib.sha1(f"{branch}{path}{when}".encode()).hexdigest(), when)
        return web.json_response({"file_path": path, "branch": branch}, status=201)

    def _list_merge_requests(self, project: FakeProject, request: web.Request) -> web.Response:
        source = request.query.get("source_branch")
        state = request.query.get("state", "all")
        found = [
            self._mr_json(project, mr)
            for mr in project.merge_requests
            if (source is None or mr.source_branch == source) and state in ("all", mr.state)
        ]
        return web.json_response(found)

    def _create_merge_request(self, project: FakeProject, body: dict[str, Any]) -> web.Response:
        source, target = body.get("source_branch", ""), body.get("target_branch", "")
        if source not in project.branches or target not in project.branches:
            return web.json_response({"message": ["Source branch or target branch does not exist"]}, status=400)
        open_one = next((m for m in project.merge_requests if m.source_branch == source and m.state == "opened"), None)
        if open_one is not None:
            message = f"Another open merge request already exists for this source branch: !{open_one.iid}"
            return web.json_response({"message": [message]}, status=409)
        labels = [label for label in str(body.get("labels", "")).split(",") if label]
        mr = FakeMergeRequest(
            iid=len(project.merge_requests) + 1,
            source_branch=source,
            target_branch=target,
            title=str(body.get("title", "")),
            description=str(body.get("description", "")),
            labels=labels,
            assignee_id=body.get("assignee_id"),
        )
        project.merge_requests.append(mr)
        return web.json_response(self._mr_json(project, mr), status=201)

    def _mr_json(self, project: FakeProject, mr: FakeMergeRequest) -> dict[str, Any]:
        return {
            "id": 1000 + mr.iid,
            "iid": mr.iid,
            "project_id": project.id,
            "title": mr.title,
            "state": mr.state,
            "source_branch": mr.source_branch,
            "target_branch": mr.target_branch,
            "labels": mr.labels,
            "assignee": {"id": mr.assignee_id} if mr.assignee_id else None,
            "reviewers": [{"id": uid, "username": self._username(uid)} for uid in mr.reviewer_ids],
            "web_url": f"{self.url}/{project.path}/-/merge_requests/{mr.iid}",
        }

    def _update_merge_request(self, mr: FakeMergeRequest, body: dict[str, Any]) -> None:
        for label in _label_list(body.get("add_labels")):
            mr.labels = _with_label(mr.labels, label)
        if "reviewer_ids" in body:
            mr.reviewer_ids = [int(uid) for uid in body["reviewer_ids"] or []]

    def _list_issues(self, project: FakeProject, request: web.Request) -> web.Response:
        wanted = [label for label in request.query.get("labels", "").split(",") if label]
        state = request.query.get("state", "all")
        search = request.query.get("search", "").lower()
        fields = request.query.get("in", "title,description").split(",")
        found = [
            self._issue_json(project, issue)
            for issue in project.issues
            if all(label in issue.labels for label in wanted)
            and state in ("all", issue.state)
            and (not search or any(search in getattr(issue, name, "").lower() for name in fields))
        ]
        return web.json_response(found)

    def _update_issue(self, project: FakeProject, issue: FakeIssue, body: dict[str, Any]) -> web.Response:
        """PUT /projects/:id/issues/:iid: every change leaves the system note GitLab writes for it."""
        by = self.api_user
        issue.updated_at = _now()
        before_labels = list(issue.labels)
        if "labels" in body:
            issue.labels = []
            for label in _label_list(body["labels"]):
                issue.labels = _with_label(issue.labels, label)
        for label in _label_list(body.get("remove_labels")):
            if label in issue.labels:
                issue.labels.remove(label)
        for label in _label_list(body.get("add_labels")):
            issue.labels = _with_label(issue.labels, label)
        added = [label for label in issue.labels if label not in before_labels]
        removed = [label for label in before_labels if label not in issue.labels]
        if added or removed:
            parts = []
            if added:
                parts.append("added " + " ".join(f"~{label}" for label in added) + " label" + "s" * (len(added) > 1))
            if removed:
                parts.append(
                    "removed " + " ".join(f"~{label}" for label in removed) + " label" + "s" * (len(removed) > 1)
                )
            self._system_note(issue, " and ".join(parts), by)
        if "assignee_ids" in body:
            ids = [int(uid) for uid in body["assignee_ids"] or []]
            if ids != issue.assignee_ids:
                issue.assignee_ids = ids
                names = " ".join(f"@{self._username(uid)}" for uid in ids)
                self._system_note(issue, f"assigned to {names}" if ids else "removed assignee", by)
        if "description" in body:
            old_tasks = dict(_task_items(issue.description))
            issue.description = str(body["description"])
            for text, done in _task_items(issue.description):
                if old_tasks.get(text) is False and done:
                    self._system_note(issue, f"marked the checklist item **{text}** as completed", by)
        if "due_date" in body:
            issue.due_date = body["due_date"]
        event = body.get("state_event")
        if event == "close" and issue.state != "closed":
            issue.state = "closed"
            self._system_note(issue, "closed", by)
        elif event == "reopen" and issue.state == "closed":
            issue.state = "opened"
            self._system_note(issue, "reopened", by)
        return web.json_response(self._issue_json(project, issue))

    def _list_notes(self, issue: FakeIssue, request: web.Request) -> web.Response:
        notes = sorted(
            issue.notes, key=lambda n: (n.created_at, n.id), reverse=request.query.get("sort", "desc") == "desc"
        )
        per_page = int(request.query.get("per_page", "20"))
        return web.json_response([self._note_json(issue, note) for note in notes[:per_page]])

    def _create_note(self, issue: FakeIssue, body: dict[str, Any]) -> web.Response:
        if not str(body.get("body", "")).strip():
            return web.json_response({"error": "body is missing"}, status=400)
        note = self.add_note(issue, str(body["body"]), author=self.api_user)
        return web.json_response(self._note_json(issue, note), status=201)

    # -- what people do on GitLab's web UI (test helpers) --------------------------------------

    def issue(self, iid: int, path: str = "acme/acme.shop.DevOps") -> FakeIssue:
        return next(issue for issue in self.project(path).issues if issue.iid == iid)

    def add_note(self, issue: FakeIssue, body: str, *, author: str, at: datetime | None = None) -> FakeNote:
        """Someone commented on the issue (the API does this for the token's user)."""
        moment = (at or datetime.now(UTC)).astimezone(UTC)
        note = FakeNote(next(self._note_ids), body, author, _now(moment))
        issue.notes.append(note)
        issue.updated_at = max(issue.updated_at, note.created_at)  # a comment touches the issue too
        return note

    def _system_note(self, issue: FakeIssue, body: str, author: str) -> None:
        note = self.add_note(issue, body, author=author)
        note.system = True

    def _username(self, user_id: int) -> str:
        return next((name for name, uid in self.users.items() if uid == user_id), f"user{user_id}")

    def _note_json(self, issue: FakeIssue, note: FakeNote) -> dict[str, Any]:
        return {
            "id": note.id,
            "type": None,
            "body": note.body,
            "author": {"id": self.users.get(note.author, 0), "username": note.author, "name": note.author},
            "created_at": note.created_at,
            "updated_at": note.created_at,
            "system": note.system,
            "noteable_id": 5000 + issue.iid,
            "noteable_type": "Issue",
            "noteable_iid": issue.iid,
            "resolvable": False,
            "confidential": False,
            "internal": False,
        }

    def _create_issue(self, project: FakeProject, body: dict[str, Any]) -> web.Response:
        if not body.get("title"):
            return web.json_response({"error": "title is missing"}, status=400)
        labels: list[str] = []
        for label in _label_list(body.get("labels")):
            labels = _with_label(labels, label)
        issue = FakeIssue(
            iid=len(project.issues) + 1,
            title=str(body["title"]),
            description=str(body.get("description", "")),
            labels=labels,
            assignee_ids=list(body.get("assignee_ids") or []),
            due_date=body.get("due_date"),
            author=self.api_user,
        )
        project.issues.append(issue)
        return web.json_response(self._issue_json(project, issue), status=201)

    def _issue_json(self, project: FakeProject, issue: FakeIssue) -> dict[str, Any]:
        return {
            "id": 5000 + issue.iid,
            "iid": issue.iid,
            "project_id": project.id,
            "title": issue.title,
            "state": issue.state,
            "description": issue.description,
            "created_at": issue.created_at,
            "updated_at": issue.updated_at,
            "labels": issue.labels,
            "due_date": issue.due_date,
            "author": {"id": self.users.get(issue.author, 0), "username": issue.author},
            "assignees": [{"id": uid, "username": self._username(uid)} for uid in issue.assignee_ids],
            "assignee": {"id": issue.assignee_ids[0], "username": self._username(issue.assignee_ids[0])}
            if issue.assignee_ids
            else None,
            "user_notes_count": sum(not note.system for note in issue.notes),
            "task_completion_status": {
                "count": len(_task_items(issue.description)),
                "completed_count": sum(done for _text, done in _task_items(issue.description)),
            },
            "references": {"short": f"#{issue.iid}", "full": f"{project.path}#{issue.iid}"},
            "web_url": f"{self.url}/{project.path}/-/issues/{issue.iid}",
        }


def _not_found(message: str) -> web.Response:
    return web.json_response({"message": message}, status=404)


def _now(moment: datetime | None = None) -> str:
    """GitLab's API time format: ISO 8601 in UTC with milliseconds."""
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


_TASK_ITEM = re.compile(r"^\s*[-*+]\s+\[([ xX])\]\s+(.*\S)\s*$", re.MULTILINE)


def _task_items(description: str) -> list[tuple[str, bool]]:
    return [(match.group(2), match.group(1) in "xX") for match in _TASK_ITEM.finditer(description or "")]


def _label_list(value: Any) -> list[str]:
    """GitLab takes labels as a comma-separated string or an array."""
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def _with_label(labels: list[str], label: str) -> list[str]:
    """Add `label`; a scoped label (`scope::value`) replaces the other label of its scope."""
    if label in labels:
        return labels
    if "::" in label:
        scope = label.rsplit("::", 1)[0]
        labels = [
            existing
            for existing in labels
            if not (existing.startswith(scope + "::") and existing.count("::") == label.count("::"))
        ]
    return [*labels, label]
