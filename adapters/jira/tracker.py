"""The IssueTracker port on Jira (Cloud or Server/DC), through the `jira` library run in a thread."""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import requests
from jira import JIRA
from jira.exceptions import JIRAError

from adapters.http_failures import failure, retry_after
from adapters.outbox_relay import PermanentFailure, RetryLater
from adapters.settings import Settings
from domain.clock import Clock, SystemClock

log = logging.getLogger(__name__)

T = TypeVar("T")

# Jira rejects longer summaries (and any newline in them) with a 400.
SUMMARY_LIMIT = 255
# Statuses in this category end the workflow: Resolved, Closed, Done all belong to it.
DONE_CATEGORY = "done"
# Blocking Jira calls run on this many threads of the tracker's own pool, never the default one:
# a hung Jira then holds at most these, while health checks and other peers carry on.
DEFAULT_WORKERS = 4
# The label a duplicate keeps instead of the incident's, so searches find only the original.
DUPLICATE_LABEL = "circlebot-duplicate"
# Fields a create may go without when the project refuses them (not on its screen, a person who
# cannot be assigned issues there): the description carries the same information.
OPTIONAL_FIELDS = frozenset({"duedate", "assignee"})
_TITLE = re.compile(r"<title>(.*?)</title>", re.I | re.S)


def comment_marker(marker: str) -> str:
    """The tag that ends a circlebot comment, so a retry can see the comment is already there."""
    return f"[circlebot:{marker}]"


class JiraIssueTracker:
    """Idempotent Jira writes for the outbox handlers; every call may be retried safely.

    The library's own retries are off (`max_retries=0`): it would sleep in a thread for up to a
    minute, while the outbox retries with backoff, honours Retry-After and survives restarts.
    With `user` set it uses basic auth (Jira Cloud: e-mail + API token); without, the token is
    a Server/Data Center personal access token sent as a bearer token.
    """

    def __init__(
        self,
        url: str,
        *,
        user: str = "",
        token: str = "",
        timeout: float = 10.0,
        clock: Clock | None = None,
        workers: int = DEFAULT_WORKERS,
    ) -> None:
        self._url = url.rstrip("/")
        self._user = user
        self._token = token
        # Passed to every HTTP request (connect and read), so a call ends in its thread too,
        # not only in the coroutine awaiting it.
        self._timeout = timeout
        self._clock = clock or SystemClock()
        self._client: JIRA | None = None
        self._client_lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="jira")

    def __repr__(self) -> str:
        return f"JiraIssueTracker(url={self._url!r}, user={self._user!r})"

    async def find_by_label(self, label: str) -> str | None:
        """The key of the oldest issue carrying `label`, or None."""
        keys = await self.find_all_by_label(label)
        return keys[0] if keys else None

    async def find_all_by_label(self, label: str) -> list[str]:
        """The keys of every issue carrying exactly `label`, oldest first.

        Jira's search is eventually consistent (Cloud documents seconds to minutes): an issue
        created a moment ago may be missing. Callers that just sent a create look again over a
        consistency window before creating (adapters/uncertain_create.py).
        """
        jql = f"labels = {_jql_string(label)} ORDER BY created ASC"

        def search(client: JIRA) -> list[str]:
            # Cloud answers on /search/jql, Server/DC on /search; the library picks by serverInfo.
            found = client.search_issues(jql, maxResults=20, fields=["created", "labels"], json_result=True)
            issues = [i for i in found.get("issues") or [] if label in (i.get("fields") or {}).get("labels", [label])]
            # Oldest first by creation, then by id (two issues created in the same second).
            issues.sort(key=lambda i: (str((i.get("fields") or {}).get("created", "")), _numeric(i.get("id"))))
            return [str(issue["key"]) for issue in issues]

        return await self._call(f"search for the issue labelled {label!r}", search)

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
        """Create the issue, without looking first: callers decide when a create is safe.

        A project whose create screen has no Due date field, or where `assignee` cannot be assigned
        issues, answers 400 naming that field; Jira created nothing then, so the issue is created again
        at once without the fields it refused (the description says the owner and the date).
        """
        fields: dict[str, Any] = {
            # Key and names, not ids: one POST, no extra lookups the library would otherwise make.
            "project": {"key": project},
            "issuetype": {"name": issue_type},
            "summary": " ".join(summary.split())[:SUMMARY_LIMIT],
            "description": description,
            "labels": list(dict.fromkeys([*extra_labels, label])),
        }
        if priority:
            fields["priority"] = {"name": priority}
        if due:
            fields["duedate"] = due

        def create(client: JIRA) -> str:
            if assignee:  # Cloud identifies people by accountId only (GDPR strict mode), Server/DC by name
                fields["assignee"] = {"accountId" if client.deploymentType == "Cloud" else "name": assignee}
            try:
                return str(client.create_issue(fields=fields, prefetch=False).key)
            except JIRAError as error:
                refused = set(_field_errors(error)) if error.status_code == 400 else set()
                if not refused or not refused <= OPTIONAL_FIELDS & set(fields):
                    raise
            log.info("project %s refused %s on a create: created without", project, ", ".join(sorted(refused)))
            kept = {name: value for name, value in fields.items() if name not in refused}
            return str(client.create_issue(fields=kept, prefetch=False).key)

        key = await self._call(f"create an issue of type {issue_type!r} in project {project!r}", create)
        log.info("created Jira issue", extra={"jira_key": key, "jira_label": label})
        return key

    async def close_duplicate(self, key: str, original: str, *, label: str) -> None:
        """Close `key` as a duplicate of `original`: a comment, a Duplicate link, its label swapped, Done.

        Each step looks before it writes, so a retry after a lost response repeats nothing.
        """
        tag = comment_marker(f"duplicate-of-{original}")

        def close(client: JIRA) -> None:
            if not any(tag in str(c.raw.get("body", "")) for c in client.comments(key)):
                client.add_comment(
                    key,
                    f"Duplicate of {original}: created twice after Jira's answer to the first create was lost. "
                    f"Closed by circlebot; {original} is the incident's issue.\n\n{tag}",
                )
            issue = client.issue(key, fields="labels,issuelinks,status")
            fields = issue.raw["fields"]
            linked = any(
                (link.get("outwardIssue") or {}).get("key") == original for link in fields.get("issuelinks") or []
            )
            if not linked:
                # Straight to the REST resource: the library would first list every link type.
                client._session.post(
                    f"{self._url}/rest/api/2/issueLink",
                    data=json.dumps(
                        {"type": {"name": "Duplicate"}, "inwardIssue": {"key": key}, "outwardIssue": {"key": original}}
                    ),
                )
            labels = [str(existing) for existing in fields.get("labels") or []]
            if label in labels:
                issue.update(fields={"labels": [*(x for x in labels if x != label), DUPLICATE_LABEL]}, notify=False)
            if str((fields.get("status") or {}).get("statusCategory", {}).get("key", "")) == DONE_CATEGORY:
                return
            done = next(
                (
                    t
                    for t in client.transitions(key)
                    if str(((t.get("to") or {}).get("statusCategory") or {}).get("key", "")) == DONE_CATEGORY
                ),
                None,
            )
            if done is not None:
                client.transition_issue(key, str(done["id"]))

        await self._call(f"close {key} as a duplicate of {original}", close)
        log.warning("closed a duplicate Jira issue", extra={"jira_key": key, "jira_original": original})

    async def set_summary(self, key: str, summary: str) -> bool:
        """Give `key` the summary `summary`; False when it already has it."""
        wanted = " ".join(summary.split())[:SUMMARY_LIMIT]

        def update(client: JIRA) -> bool:
            issue = client.issue(key, fields="summary")
            if str(issue.raw["fields"].get("summary") or "") == wanted:
                return False
            issue.update(fields={"summary": wanted}, notify=False)
            return True

        return await self._call(f"set the summary of {key}", update)

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
        """The key of the issue labelled `label`, created first if none exists yet."""
        # After an ambiguous failure (timeout, dropped connection) the issue may exist: look first.
        # (The outbox handlers go further: adapters/uncertain_create.py waits out search lag.)
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
        """Comment on `key` unless a comment ending in `marker` is there already; True when added."""
        tag = comment_marker(marker)

        def comment(client: JIRA) -> bool:
            if any(tag in str(existing.raw.get("body", "")) for existing in client.comments(key)):
                return False
            client.add_comment(key, f"{body}\n\n{tag}")
            return True

        return await self._call(f"comment on {key}", comment)

    async def set_priority(self, key: str, priority: str) -> bool:
        """Give `key` the priority `priority`; False when it already has it (so retries are harmless)."""

        def update(client: JIRA) -> bool:
            issue = client.issue(key, fields="priority")
            current = (issue.raw["fields"].get("priority") or {}).get("name")
            if str(current or "").casefold() == priority.casefold():
                return False
            issue.update(fields={"priority": {"name": priority}}, notify=False)
            return True

        return await self._call(f"set the priority of {key} to {priority!r}", update)

    async def transition(self, key: str, name: str, *, target_status: str | None = None) -> bool:
        """Move `key` through the transition `name`; False when it is already where that leads.

        "Already there" is the issue's status equal to `target_status` (or to `name`), or, with
        no target given, a status in Jira's Done category: without a target the transition is
        taken to be a resolution (resolve, close), which is all incidents use.
        """

        def move(client: JIRA) -> bool:
            status = client.issue(key, fields="status").raw["fields"]["status"]
            current = str(status.get("name", ""))
            if target_status and current.casefold() == target_status.casefold():
                return False
            available = client.transitions(key)
            wanted = next((t for t in available if str(t["name"]).casefold() == name.casefold()), None)
            if wanted is not None:
                client.transition_issue(key, str(wanted["id"]))
                return True
            category = str((status.get("statusCategory") or {}).get("key", ""))
            if current.casefold() == name.casefold() or (not target_status and category == DONE_CATEGORY):
                return False
            names = ", ".join(repr(str(t["name"])) for t in available) or "none"
            raise PermanentFailure(
                f"Jira issue {key} is in status {current!r}, which has no transition named {name!r}; "
                f"available transitions: {names}. Set the circle's Jira transition names to match."
            )

        return await self._call(f"transition {key} with {name!r}", move)

    def close(self) -> None:
        """Close the HTTP session and the thread pool (the composition root calls this on shutdown)."""
        with self._client_lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()  # type: ignore[no-untyped-call]  # the library leaves it unannotated
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _call(self, what: str, work: Callable[[JIRA], T]) -> T:
        """Run `work` on the client in the tracker's own threads, turning failures into outbox retry decisions."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, lambda: work(self._connected()))
        except (PermanentFailure, RetryLater):
            raise
        except JIRAError as error:
            # `from None`: JIRAError's str() carries the request headers, Authorization included.
            raise self._translate(what, error) from None
        except requests.Timeout:
            raise RetryLater(f"Jira did not answer within {self._timeout:g} s trying to {what}") from None
        except requests.ConnectionError as error:
            reason = type(error).__name__
            raise RetryLater(f"cannot reach Jira at {self._url} to {what} ({reason})") from None
        except (requests.RequestException, ValueError) as error:
            raise RetryLater(f"Jira gave an unreadable answer while trying to {what} ({error})") from None

    def _connected(self) -> JIRA:
        """The client, built on first use (never at construction): building it asks for serverInfo.

        Built outside the lock: during a Jira outage serverInfo hangs for the whole timeout, and
        a lock held across it made every other caller (and /readyz, once) wait behind it.
        Two threads may both build one; the first stored wins and the other is closed.
        """
        with self._client_lock:
            if self._client is not None:
                return self._client
        auth: dict[str, Any] = {"basic_auth": (self._user, self._token)} if self._user else {"token_auth": self._token}
        built = JIRA(
            server=self._url,
            options={"check_update": False},
            max_retries=0,
            timeout=self._timeout,
            # serverInfo says Cloud or Server, which decides the search endpoint.
            get_server_info=True,
            # We log every failure with the outbox row's context; the library would log it twice.
            logging=False,
            **auth,
        )
        with self._client_lock:
            if self._client is None:
                self._client = built
                return built
            winner = self._client
        built.close()
        return winner

    def _translate(self, what: str, error: JIRAError) -> Exception:
        credentials = (
            "check that JIRA_USER is the account e-mail and JIRA_TOKEN its API token"
            if self._user
            else "check that JIRA_TOKEN is a personal access token (set JIRA_USER for Jira Cloud)"
        )
        response = error.response
        return failure(
            "Jira",
            error.status_code,
            what=what,
            detail=_detail(error.text),
            retry_after=retry_after(response.headers if response is not None else None, self._clock.now()),
            hints={401: credentials, 403: "check the Jira account's project permissions"},
        )


def _field_errors(error: JIRAError) -> dict[str, str]:
    """The per-field errors of a Jira 400 ({"errorMessages": [], "errors": {"duedate": "…"}}), else none."""
    try:
        errors = json.loads(error.response.text if error.response is not None else "").get("errors")
    except (ValueError, AttributeError):
        return {}
    return {str(name): str(why) for name, why in errors.items()} if isinstance(errors, dict) else {}


def _detail(text: str | None) -> str:
    """Jira's error text, short: the title of an HTML error page (from a proxy), else its first 300 characters."""
    if not text:
        return "no details"
    if text.lstrip().startswith("<"):
        title = _TITLE.search(text)
        return html.unescape(title.group(1)).strip() if title else "an HTML error page"
    return " ".join(text.split())[:300]


def _numeric(value: object) -> int:
    return int(value) if isinstance(value, str) and value.isdigit() else 0


def _jql_string(value: str) -> str:
    """A JQL string literal: quotes and backslashes escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def jira_tracker_from_settings(settings: Settings) -> JiraIssueTracker | None:
    """The tracker for JIRA_URL/JIRA_USER/JIRA_TOKEN, or None when Jira is not configured."""
    if not settings.jira_enabled:
        return None
    return JiraIssueTracker(settings.jira_url, user=settings.jira_user, token=settings.jira_token)
