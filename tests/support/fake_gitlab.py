"""A local GitLab: the REST v4 endpoints python-gitlab calls for postmortems, in memory, with faults on demand.

Paths, bodies and error messages follow the GitLab v4 docs: projects/:id (numeric or URL-encoded
path), repository/branches, repository/files/:path, merge_requests (list, create, get),
issues (list by labels, create, get, edit, notes list/create) and users?username=.
Authentication is the PRIVATE-TOKEN header.
"""

from __future__ import annotations

import asyncio
import fnmatch
import itertools
import socket
from dataclasses import dataclass, field
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


@dataclass
class FakeIssue:
    iid: int
    title: str
    description: str
    labels: list[str]
    assignee_ids: list[int]
    due_date: str | None
    state: str = "opened"
    notes: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FakeProject:
    id: int
    path: str
    default_branch: str = "main"
    branches: dict[str, str] = field(default_factory=dict)  # name -> the ref it was made from
    files: dict[tuple[str, str], str] = field(default_factory=dict)  # (branch, path) -> content
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
        self.users = users if users is not None else {"mbianchi": 21, "sromano": 23, "grossi": 20}
        self.projects: dict[str, FakeProject] = {}
        for number, path in enumerate(projects, start=1):
            self.projects[path] = FakeProject(id=number, path=path, branches={"main": ""})
        self.requests: list[str] = []
        self._faults: list[_Fault] = []
        self._lost: list[str] = []
        self._iids = itertools.count(1)
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
            message = "Retry later" if fault.status == 429 else "500 Internal Server Error"
            return web.json_response({"message": message}, status=fault.status, headers=headers)
        response: web.StreamResponse = await handler(request)
        lost = next((entry for entry in self._lost if fnmatch.fnmatchcase(line, entry.split(" ", 1)[1])), None)
        if lost is not None and response.status < 400:
            self._lost.remove(lost)
            if lost.startswith("hang"):
                await self._release.wait()
            elif request.transport is not None:
                request.transport.close()
            raise web.HTTPServiceUnavailable()
        return response

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
                return self._get_file(project, path, request.query.get("ref", ""))
            if method == "POST":
                return self._create_file(project, path, body)
        if rest == ["merge_requests"]:
            if method == "GET":
                return self._list_merge_requests(project, request)
            if method == "POST":
                return self._create_merge_request(project, body)
        if len(rest) == 2 and rest[0] == "merge_requests" and method == "GET":
            found = next((mr for mr in project.merge_requests if str(mr.iid) == rest[1]), None)
            return web.json_response(self._mr_json(project, found)) if found else _not_found("404 Not found")
        if rest == ["issues"]:
            if method == "GET":
                return self._list_issues(project, request)
            if method == "POST":
                return self._create_issue(project, body)
        if len(rest) >= 2 and rest[0] == "issues":
            issue = next((i for i in project.issues if str(i.iid) == rest[1]), None)
            if issue is None:
                return _not_found("404 Issue Not Found")
            if len(rest) == 2 and method == "GET":
                return web.json_response(self._issue_json(project, issue))
            if len(rest) == 2 and method == "PUT":
                return self._edit_issue(project, issue, body)
            if rest[2:] == ["notes"] and method == "GET":
                return web.json_response(issue.notes)
            if rest[2:] == ["notes"] and method == "POST":
                if not body.get("body"):
                    return web.json_response({"message": {"note": ["can't be blank"]}}, status=400)
                note = {"id": 9000 + len(issue.notes), "body": str(body["body"]), "system": False}
                issue.notes.append(note)
                return web.json_response(note, status=201)
        return _not_found("404 Not found")

    def _edit_issue(self, project: FakeProject, issue: FakeIssue, body: dict[str, Any]) -> web.Response:
        if "labels" in body:
            labels = body["labels"]
            issue.labels = [x for x in (labels.split(",") if isinstance(labels, str) else labels) if x]
        event = body.get("state_event")
        if event in ("close", "reopen"):
            issue.state = "closed" if event == "close" else "opened"
        return web.json_response(self._issue_json(project, issue))

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

    def _get_file(self, project: FakeProject, path: str, ref: str) -> web.Response:
        if (ref, path) not in project.files:
            return _not_found("404 File Not Found")
        content = project.files[(ref, path)]
        return web.json_response({"file_path": path, "ref": ref, "encoding": "text", "content": content})

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
            "web_url": f"{self.url}/{project.path}/-/merge_requests/{mr.iid}",
        }

    def _list_issues(self, project: FakeProject, request: web.Request) -> web.Response:
        wanted = [label for label in request.query.get("labels", "").split(",") if label]
        state = request.query.get("state", "all")
        found = [
            self._issue_json(project, issue)
            for issue in project.issues
            if all(label in issue.labels for label in wanted) and state in ("all", issue.state)
        ]
        return web.json_response(found)

    def _create_issue(self, project: FakeProject, body: dict[str, Any]) -> web.Response:
        if not body.get("title"):
            return web.json_response({"error": "title is missing"}, status=400)
        issue = FakeIssue(
            iid=len(project.issues) + 1,
            title=str(body["title"]),
            description=str(body.get("description", "")),
            labels=[label for label in str(body.get("labels", "")).split(",") if label],
            assignee_ids=list(body.get("assignee_ids") or []),
            due_date=body.get("due_date"),
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
            "labels": issue.labels,
            "due_date": issue.due_date,
            "assignees": [{"id": uid} for uid in issue.assignee_ids],
            "web_url": f"{self.url}/{project.path}/-/issues/{issue.iid}",
        }


def _not_found(message: str) -> web.Response:
    return web.json_response({"message": message}, status=404)
