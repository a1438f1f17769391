"""A local Jira: the REST v2 endpoints the `jira` library calls, in memory, with faults on demand.

Paths, bodies and error shapes follow the Jira REST v2 docs: serverInfo, field, myself, issue
create/get/edit, comment list/add, transitions list/do (numeric ids only), issueLink, and search
(/search on Server, /search/jql on Cloud, chosen by `deployment`). Also an in-memory
IssueTracker for tests that need no HTTP.

Strict where real Jira is: a 5xx from the proxy in front of Jira is an HTML page, a 429 is plain
text, and search reads an index that lags the database (`search_delay`): Jira Cloud documents
its search as eventually consistent, so an issue created a moment ago may not be found yet.
"""

from __future__ import annotations

import asyncio
import base64
import fnmatch
import itertools
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

API = "/rest/api/2"

# (from status) -> [(transition id, transition name, to status)]: Jira's classic default workflow.
DEFAULT_WORKFLOW: dict[str, list[tuple[str, str, str]]] = {
    "Open": [
        ("4", "Start Progress", "In Progress"),
        ("5", "Resolve Issue", "Resolved"),
        ("2", "Close Issue", "Closed"),
    ],
    "In Progress": [
        ("301", "Stop Progress", "Open"),
        ("5", "Resolve Issue", "Resolved"),
        ("2", "Close Issue", "Closed"),
    ],
    "Resolved": [("701", "Close Issue", "Closed"), ("3", "Reopen Issue", "Reopened")],
    "Reopened": [
        ("4", "Start Progress", "In Progress"),
        ("5", "Resolve Issue", "Resolved"),
        ("2", "Close Issue", "Closed"),
    ],
    "Closed": [("3", "Reopen Issue", "Reopened")],
}
STATUS_CATEGORIES = {
    "Open": "new",
    "Reopened": "new",
    "In Progress": "indeterminate",
    "Resolved": "done",
    "Closed": "done",
}
PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")
LABELS_JQL = re.compile(r'^\s*labels\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:ORDER\s+BY\s+created\s+(?:ASC|DESC))?\s*$', re.I)


@dataclass
class FakeIssue:
    id: str
    key: str
    project: str
    issue_type: str
    summary: str
    description: str
    priority: str | None
    labels: list[str]
    due: str | None = None
    assignee: str | None = None  # the accountId (Cloud) or the username (Server/DC)
    status: str = "Open"
    comments: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    # When the search index sees it (on FakeJira's index clock); see FakeJira.search_delay.
    searchable_at: float = 0.0


# What the reverse proxy in front of Jira (or Tomcat itself) answers when Jira is down: HTML.
HTML_ERROR = """<!DOCTYPE html><html><head><title>{status} {reason}</title></head>
<body><h1>{reason}</h1><p>The server is temporarily unable to service your request.</p>
<hr><address>Apache/2.4.58 Server at jira.example.com Port 443</address></body></html>"""


@dataclass
class Fault:
    status: int
    retry_after: str | None
    only: str | None  # a glob on "METHOD /path" the fault applies to; None: any request
    body: str = "auto"  # "html", "text", "json"; auto: HTML for 5xx, text for 429, JSON otherwise

    def applies_to(self, line: str) -> bool:
        return self.only is None or fnmatch.fnmatchcase(line, self.only)


class FakeJira:
    """Jira in memory, on 127.0.0.1 and a free port; start() returns its base URL."""

    def __init__(
        self,
        *,
        deployment: str = "Server",
        projects: dict[str, tuple[str, ...]] | None = None,
        user: str = "sre@example.com",
        token: str = "s3cret-jira-token",
        workflow: dict[str, list[tuple[str, str, str]]] | None = None,
        port: int = 0,
        search_delay: float = 0.0,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.port = port
        self.deployment = deployment
        self.projects = projects or {"DEMO": ("Incident", "Bug", "Task")}
        self.user = user
        self.token = token
        self.workflow = workflow or DEFAULT_WORKFLOW
        self.issues: dict[str, FakeIssue] = {}
        # Projects whose create screen has no Due date field (a common Jira set-up): a `duedate` is refused.
        self.without_due_date: set[str] = set()
        # People (accountIds on Cloud, usernames on Server) without the Assignable User permission.
        self.unassignable: set[str] = set()
        self.creates = 0
        self.requests: list[str] = []
        self.authorization_headers: set[str] = set()
        self._faults: list[Fault] = []
        self._lost_responses: list[tuple[str, str]] = []  # (glob on "METHOD /path", mode)
        self._hanging: list[str] = []  # globs on "METHOD /path" that never answer
        # Seconds between a create and the moment search finds the issue (Jira Cloud: eventually consistent).
        self.search_delay = search_delay
        self._now = now  # the index's clock: a test's FixedClock, to lag without waiting
        self.create_delay = 0.0  # seconds Jira takes to create: a slow Jira, or a lock held
        self._ids = itertools.count(10001)
        self._per_project: dict[str, itertools.count[int]] = {}
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(middlewares=[self._middleware])
        app.add_routes(
            [
                web.get(f"{API}/serverInfo", self._server_info),
                web.get(f"{API}/field", self._fields),
                web.get(f"{API}/myself", self._myself),
                web.get(f"{API}/search", self._search),
                web.post(f"{API}/search", self._search),
                web.get(f"{API}/search/jql", self._search_jql),
                web.post(f"{API}/search/jql", self._search_jql),
                web.post(f"{API}/issue", self._create_issue),
                web.get(f"{API}/issue/{{key}}", self._get_issue),
                web.put(f"{API}/issue/{{key}}", self._edit_issue),
                web.get(f"{API}/issue/{{key}}/comment", self._comments),
                web.post(f"{API}/issue/{{key}}/comment", self._add_comment),
                web.get(f"{API}/issue/{{key}}/transitions", self._transitions),
                web.post(f"{API}/issue/{{key}}/transitions", self._do_transition),
                web.post(f"{API}/issueLink", self._link_issues),
            ]
        )
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", self.port))
        await web.SockSite(self._runner, sock).start()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        return self.url

    async def stop(self) -> None:
        self._release.set()  # let hanging handlers finish so the server can shut down
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeJira:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    # -- fault injection -------------------------------------------------------------------------

    def fail_next(
        self,
        n: int,
        status: int,
        retry_after: int | str | None = None,
        *,
        only: str | None = None,
        body: str = "auto",
    ) -> None:
        """Answer the next `n` requests matching the glob `only` ("POST /rest/api/2/issue") with `status`."""
        value = None if retry_after is None else str(retry_after)
        self._faults.extend(Fault(status, value, only, body) for _ in range(n))

    def hang(self, only: str = "*") -> None:
        """Every request matching the glob `only` hangs (never answers) until stop(): Jira is stuck."""
        self._hanging.append(only)

    def unhang(self) -> None:
        self._hanging.clear()

    def lose_response_after_create(self, mode: str = "drop") -> None:
        """Create the next issue, then drop the connection ("drop") or never answer ("hang")."""
        self.lose_next_response(f"POST {API}/issue", mode)

    def lose_next_response(self, only: str, mode: str = "drop") -> None:
        """Do the work of the next request matching the glob `only`, then lose its response."""
        if mode not in ("drop", "hang"):
            raise ValueError("mode is 'drop' or 'hang'")
        self._lost_responses.append((only, mode))

    def add_issue(self, *, project: str = "DEMO", labels: list[str] | None = None, status: str = "Open") -> FakeIssue:
        """An issue that exists before the test starts (made by hand, or by another process)."""
        issue = self._new_issue(project, "Incident", "Existing issue", "", None, labels or [])
        issue.status = status
        return issue

    def issues_labelled(self, label: str) -> list[FakeIssue]:
        return [issue for issue in self.issues.values() if label in issue.labels]

    def open_issues_labelled(self, label: str) -> list[FakeIssue]:
        """The issues with `label` not closed as duplicates (what a person sees as "the" issue)."""
        return [i for i in self.issues_labelled(label) if STATUS_CATEGORIES.get(i.status) != "done"]

    # -- plumbing --------------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        line = f"{request.method} {request.path}"
        self.requests.append(line)
        if "Authorization" in request.headers:
            self.authorization_headers.add(request.headers["Authorization"])
        if not self._authorised(request):
            return web.json_response(
                {"errorMessages": ["You are not authenticated. Authentication required to perform this operation."]},
                status=401,
            )
        if any(fnmatch.fnmatchcase(line, glob) for glob in self._hanging):
            await self._release.wait()
            raise web.HTTPServiceUnavailable()
        fault = next((f for f in self._faults if f.applies_to(line)), None)
        if fault is not None:
            self._faults.remove(fault)
            return self._fault_response(fault)
        response: web.StreamResponse = await handler(request)
        lost = next((entry for entry in self._lost_responses if fnmatch.fnmatchcase(line, entry[0])), None)
        if lost is not None and response.status < 400:
            self._lost_responses.remove(lost)
            return await self._lose(request, lost[1])
        return response

    def _fault_response(self, fault: Fault) -> web.Response:
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
        body = fault.body
        if body == "auto":
            body = "html" if fault.status >= 500 else "text" if fault.status == 429 else "json"
        reason = _REASONS.get(fault.status, "Error")
        if body == "html":
            page = HTML_ERROR.format(status=fault.status, reason=reason)
            return web.Response(text=page, status=fault.status, content_type="text/html", headers=headers)
        if body == "text":
            text = "Rate limit exceeded." if fault.status == 429 else reason
            return web.Response(text=text, status=fault.status, content_type="text/plain", headers=headers)
        message = "Rate limit exceeded." if fault.status == 429 else "Internal server error"
        return web.json_response({"errorMessages": [message], "errors": {}}, status=fault.status, headers=headers)

    def _authorised(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        basic = base64.b64encode(f"{self.user}:{self.token}".encode()).decode()
        return header in (f"Basic {basic}", f"Bearer {self.token}")

    def _issue_json(self, issue: FakeIssue) -> dict[str, Any]:
        return {
            "id": issue.id,
            "key": issue.key,
            "self": f"{self.url}{API}/issue/{issue.id}",
            "fields": {
                "summary": issue.summary,
                "description": issue.description,
                "labels": list(issue.labels),
                "priority": {"name": issue.priority} if issue.priority else None,
                "issuetype": {"name": issue.issue_type},
                "project": {"key": issue.project},
                "status": self._status_json(issue.status),
                "created": issue.created,
                "issuelinks": list(issue.links),
            },
        }

    def _status_json(self, status: str) -> dict[str, Any]:
        return {"name": status, "statusCategory": {"key": STATUS_CATEGORIES.get(status, "indeterminate")}}

    def _issue_or_404(self, request: web.Request) -> FakeIssue:
        key = request.match_info["key"]
        issue = self.issues.get(key) or next((i for i in self.issues.values() if i.id == key), None)
        if issue is None:
            raise web.HTTPNotFound(
                text='{"errorMessages":["Issue Does Not Exist"],"errors":{}}', content_type="application/json"
            )
        return issue

    def _new_issue(
        self,
        project: str,
        issue_type: str,
        summary: str,
        description: str,
        priority: str | None,
        labels: list[str],
        due: str | None = None,
        assignee: str | None = None,
    ) -> FakeIssue:
        number = next(self._per_project.setdefault(project, itertools.count(1)))
        issue = FakeIssue(
            id=str(next(self._ids)),
            key=f"{project}-{number}",
            project=project,
            issue_type=issue_type,
            summary=summary,
            description=description,
            priority=priority,
            labels=labels,
            due=due,
            assignee=assignee,
        )
        self.issues[issue.key] = issue
        return issue

    # -- endpoints -------------------------------------------------------------------------------

    async def _server_info(self, _request: web.Request) -> web.Response:
        return web.json_response(
            {
                "baseUrl": self.url,
                "version": "9.12.0",
                "versionNumbers": [9, 12, 0],
                "deploymentType": self.deployment,
                "buildNumber": 9120000,
                "serverTitle": "Fake Jira",
            }
        )

    async def _fields(self, _request: web.Request) -> web.Response:
        names = ("summary", "description", "labels", "priority", "issuetype", "project", "status", "created")
        return web.json_response(
            [{"id": n, "key": n, "name": n.title(), "custom": False, "clauseNames": [n]} for n in names]
        )

    async def _myself(self, _request: web.Request) -> web.Response:
        return web.json_response({"name": self.user, "emailAddress": self.user, "displayName": "circlebot"})

    def _matching(self, jql: str) -> list[dict[str, Any]] | web.Response:
        match = LABELS_JQL.match(jql)
        if match is None:
            return web.json_response(
                {"errorMessages": [f"Error in the JQL Query: cannot parse {jql!r}"], "errors": {}}, status=400
            )
        label = re.sub(r"\\(.)", r"\1", match.group(1))
        indexed = self._now()
        return [self._issue_json(issue) for issue in self.issues_labelled(label) if issue.searchable_at <= indexed]

    async def _search_params(self, request: web.Request) -> dict[str, Any]:
        if request.method == "POST":
            body: dict[str, Any] = await request.json()
            return body
        return dict(request.query)

    async def _search(self, request: web.Request) -> web.Response:
        if self.deployment == "Cloud":
            return web.json_response(
                {"errorMessages": ["The requested API has been removed. Please migrate to /rest/api/3/search/jql."]},
                status=410,
            )
        params = await self._search_params(request)
        found = self._matching(str(params.get("jql", "")))
        if isinstance(found, web.Response):
            return found
        start, limit = int(params.get("startAt", 0)), int(params.get("maxResults", 50))
        return web.json_response(
            {
                "startAt": start,
                "maxResults": limit,
                "total": len(found),
                "issues": found[start : start + limit],
            }
        )

    async def _search_jql(self, request: web.Request) -> web.Response:
        if self.deployment != "Cloud":
            raise web.HTTPNotFound()
        params = await self._search_params(request)
        found = self._matching(str(params.get("jql", "")))
        if isinstance(found, web.Response):
            return found
        limit = int(params.get("maxResults", 50))
        return web.json_response({"issues": found[:limit], "isLast": len(found) <= limit})

    async def _create_issue(self, request: web.Request) -> web.StreamResponse:
        fields = (await request.json()).get("fields", {})
        errors = self._validate_create(fields)
        if errors:
            return web.json_response({"errorMessages": [], "errors": errors}, status=400)
        if self.create_delay:
            await asyncio.sleep(self.create_delay)
        issue = self._new_issue(
            fields["project"]["key"],
            fields["issuetype"]["name"],
            fields["summary"],
            fields.get("description") or "",
            (fields.get("priority") or {}).get("name"),
            list(fields.get("labels") or []),
            fields.get("duedate"),
            (fields.get("assignee") or {}).get("accountId" if self.deployment == "Cloud" else "name"),
        )
        issue.searchable_at = self._now() + self.search_delay
        self.creates += 1
        body = {"id": issue.id, "key": issue.key, "self": f"{self.url}{API}/issue/{issue.id}"}
        return web.json_response(body, status=201)

    async def _lose(self, request: web.Request, mode: str) -> web.StreamResponse:
        if mode == "hang":
            # Answer only when the test ends: the client's read timeout fires first.
            await self._release.wait()
        elif request.transport is not None:
            # The issue exists, but the client sees the connection drop before any status line.
            request.transport.close()
        raise web.HTTPServiceUnavailable()

    def _validate_create(self, fields: dict[str, Any]) -> dict[str, str]:
        errors: dict[str, str] = {}
        project = (fields.get("project") or {}).get("key")
        if not project or project not in self.projects:
            errors["project"] = "Specify a valid project ID or key"
        issue_type = (fields.get("issuetype") or {}).get("name")
        if project in self.projects and issue_type not in self.projects[project]:
            errors["issuetype"] = "The issue type selected is invalid."
        errors.update(self._validate_summary(fields.get("summary")))
        priority = (fields.get("priority") or {}).get("name")
        if "priority" in fields and priority not in PRIORITIES:
            errors["priority"] = f"The priority selected is invalid: {priority!r}"
        for label in fields.get("labels") or []:
            if " " in label:
                errors["labels"] = f"The label '{label}' contains spaces which is invalid."
        if "duedate" in fields:
            if project in self.without_due_date:
                errors["duedate"] = "Field 'duedate' cannot be set. It is not on the appropriate screen, or unknown."
            elif not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(fields["duedate"])):
                errors["duedate"] = f"Error parsing date string: {fields['duedate']}"
        if "assignee" in fields:
            errors.update(self._validate_assignee(fields["assignee"] or {}))
        return errors

    def _validate_assignee(self, assignee: dict[str, Any]) -> dict[str, str]:
        if self.deployment == "Cloud" and set(assignee) != {"accountId"}:
            return {"assignee": "'accountId' must be the only user identifying query parameter in GDPR strict mode."}
        person = assignee.get("accountId" if self.deployment == "Cloud" else "name")
        if not person or person in self.unassignable:
            return {"assignee": f"User '{person}' cannot be assigned issues."}
        return {}

    def _validate_summary(self, summary: Any) -> dict[str, str]:
        if not summary:
            return {"summary": "You must specify a summary of the issue."}
        if "\n" in summary or "\r" in summary:
            return {"summary": "The summary is invalid because it contains newline characters."}
        if len(summary) > 255:
            return {"summary": "Summary must be less than 255 characters."}
        return {}

    async def _link_issues(self, request: web.Request) -> web.Response:
        body = await request.json()
        link_type = (body.get("type") or {}).get("name")
        if link_type not in ("Duplicate", "Relates", "Blocks", "Cloners"):
            return web.json_response(
                {"errorMessages": [f"No issue link type with name '{link_type}' found."], "errors": {}}, status=404
            )
        inward = self.issues.get((body.get("inwardIssue") or {}).get("key", ""))
        outward = self.issues.get((body.get("outwardIssue") or {}).get("key", ""))
        if inward is None or outward is None:
            return web.json_response({"errorMessages": ["Issue Does Not Exist"], "errors": {}}, status=404)
        inward.links.append({"type": {"name": link_type}, "outwardIssue": {"key": outward.key}})
        outward.links.append({"type": {"name": link_type}, "inwardIssue": {"key": inward.key}})
        return web.Response(status=201)

    async def _get_issue(self, request: web.Request) -> web.Response:
        return web.json_response(self._issue_json(self._issue_or_404(request)))

    async def _edit_issue(self, request: web.Request) -> web.Response:
        issue = self._issue_or_404(request)
        fields = (await request.json()).get("fields") or {}
        if "summary" in fields:
            errors = self._validate_summary(fields["summary"])
            if errors:
                return web.json_response({"errorMessages": [], "errors": errors}, status=400)
            issue.summary = fields["summary"]
        if "labels" in fields:
            issue.labels = list(fields["labels"] or [])
        if "priority" in fields:
            name = (fields["priority"] or {}).get("name")
            if name not in PRIORITIES:
                return web.json_response(
                    {"errorMessages": [], "errors": {"priority": f"Priority name '{name}' is not valid"}}, status=400
                )
            issue.priority = name
        return web.Response(status=204)

    async def _comments(self, request: web.Request) -> web.Response:
        comments = self._issue_or_404(request).comments
        return web.json_response(
            {"startAt": 0, "maxResults": len(comments), "total": len(comments), "comments": comments}
        )

    async def _add_comment(self, request: web.Request) -> web.Response:
        issue = self._issue_or_404(request)
        body = (await request.json()).get("body")
        if not body:
            return web.json_response(
                {"errorMessages": [], "errors": {"comment": "Comment body can not be empty!"}}, status=400
            )
        comment_id = str(next(self._ids))
        comment = {
            "id": comment_id,
            "self": f"{self.url}{API}/issue/{issue.id}/comment/{comment_id}",
            "body": body,
            "author": {"name": self.user},
            "created": datetime.now(UTC).isoformat(),
        }
        issue.comments.append(comment)
        return web.json_response(comment, status=201)

    async def _transitions(self, request: web.Request) -> web.Response:
        issue = self._issue_or_404(request)
        available = [
            {"id": tid, "name": name, "to": {"id": to, **self._status_json(to)}}
            for tid, name, to in self.workflow.get(issue.status, [])
        ]
        return web.json_response({"expand": "transitions", "transitions": available})

    async def _do_transition(self, request: web.Request) -> web.Response:
        issue = self._issue_or_404(request)
        wanted = str(((await request.json()).get("transition") or {}).get("id"))
        if not wanted.isdigit():
            # Jira takes the transition's numeric id, never its name.
            return web.json_response(
                {"errorMessages": [], "errors": {"transition": f"Transition id '{wanted}' is not a number."}},
                status=400,
            )
        target = next((to for tid, _name, to in self.workflow.get(issue.status, []) if tid == wanted), None)
        if target is None:
            return web.json_response(
                {"errorMessages": [f"Transition id '{wanted}' is not valid for this issue."], "errors": {}},
                status=400,
            )
        issue.status = target
        return web.Response(status=204)


_REASONS = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class InMemoryIssueTracker:
    """The IssueTracker port without HTTP, for use-case tests: same idempotency, no faults."""

    def __init__(self) -> None:
        self.issues: dict[str, dict[str, Any]] = {}
        self.creates = 0

    async def find_by_label(self, label: str) -> str | None:
        return next((key for key, issue in self.issues.items() if label in issue["labels"]), None)

    async def find_all_by_label(self, label: str) -> list[str]:
        return [key for key, issue in self.issues.items() if label in issue["labels"]]

    async def create_issue(
        self,
        *,
        label: str,
        project: str,
        issue_type: str,
        summary: str,
        description: str,
        priority: str | None,
        extra_labels: tuple[str, ...] = (),
        due: str | None = None,
        assignee: str | None = None,
    ) -> str:
        self.creates += 1
        key = f"{project}-{self.creates}"
        self.issues[key] = {
            "project": project,
            "issue_type": issue_type,
            "summary": summary,
            "description": description,
            "priority": priority,
            "labels": [*extra_labels, label],
            "status": "Open",
            "comments": [],
            "due": due,
            "assignee": assignee,
        }
        return key

    async def close_duplicate(self, key: str, original: str, *, label: str) -> None:
        issue = self.issues[key]
        issue["labels"] = [x for x in issue["labels"] if x != label] + ["circlebot-duplicate"]
        issue["status"] = "Closed"
        issue["duplicate_of"] = original

    async def set_summary(self, key: str, summary: str) -> bool:
        issue = self.issues[key]
        if issue["summary"] == summary:
            return False
        issue["summary"] = summary
        return True

    async def ensure_issue(
        self,
        *,
        label: str,
        project: str,
        issue_type: str,
        summary: str,
        description: str,
        priority: str | None,
        extra_labels: tuple[str, ...] = (),
    ) -> str:
        existing = await self.find_by_label(label)
        if existing:
            return existing
        return await self.create_issue(
            label=label,
            project=project,
            issue_type=issue_type,
            summary=summary,
            description=description,
            priority=priority,
            extra_labels=extra_labels,
        )

    async def add_comment(self, key: str, body: str, *, marker: str) -> bool:
        comments: list[str] = self.issues[key]["comments"]
        tag = f"[circlebot:{marker}]"
        if any(tag in comment for comment in comments):
            return False
        comments.append(f"{body}\n\n{tag}")
        return True

    async def set_priority(self, key: str, priority: str) -> bool:
        issue = self.issues[key]
        if issue.get("priority") == priority:
            return False
        issue["priority"] = priority
        return True

    async def transition(self, key: str, name: str, *, target_status: str | None = None) -> bool:
        issue = self.issues[key]
        if issue["status"] == (target_status or name):
            return False
        issue["status"] = target_status or name
        return True
