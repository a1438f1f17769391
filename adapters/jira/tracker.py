"""The IssueTracker port on Jira (Cloud or Server/DC), through the `jira` library run in a thread."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
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
        timeout: float = 15.0,
        clock: Clock | None = None,
    ) -> None:
        self._url = url.rstrip("/")
        self._user = user
        self._token = token
        self._timeout = timeout
        self._clock = clock or SystemClock()
        self._client: JIRA | None = None
        self._client_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"JiraIssueTracker(url={self._url!r}, user={self._user!r})"

    async def find_by_label(self, label: str) -> str | None:
        """The key of the oldest issue carrying `label`, or None."""
        jql = f"labels = {_jql_string(label)} ORDER BY created ASC"

        def search(client: JIRA) -> str | None:
            # Cloud answers on /search/jql, Server/DC on /search; the library picks by serverInfo.
            found = client.search_issues(jql, maxResults=1, fields=["summary"], json_result=True)
            issues = found.get("issues") or []
            return str(issues[0]["key"]) if issues else None

        return await self._call(f"search for the issue labelled {label!r}", search)

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
        existing = await self.find_by_label(label)
        if existing:
            return existing
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

        def create(client: JIRA) -> str:
            return str(client.create_issue(fields=fields, prefetch=False).key)

        key = await self._call(f"create an issue of type {issue_type!r} in project {project!r}", create)
        log.info("created Jira issue", extra={"jira_key": key, "jira_label": label})
        return key

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
        """Close the HTTP session (the composition root calls this on shutdown)."""
        with self._client_lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()  # type: ignore[no-untyped-call]  # the library leaves it unannotated

    async def _call(self, what: str, work: Callable[[JIRA], T]) -> T:
        """Run `work` on the client in a thread, turning failures into outbox retry decisions."""
        try:
            return await asyncio.to_thread(lambda: work(self._connected()))
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
        """The client, built on first use (never at construction): building it asks for serverInfo."""
        with self._client_lock:
            if self._client is None:
                auth: dict[str, Any] = (
                    {"basic_auth": (self._user, self._token)} if self._user else {"token_auth": self._token}
                )
                self._client = JIRA(
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
            return self._client

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
            detail=error.text or "no details",
            retry_after=retry_after(response.headers if response is not None else None, self._clock.now()),
            hints={401: credentials, 403: "check the Jira account's project permissions"},
        )


def _jql_string(value: str) -> str:
    """A JQL string literal: quotes and backslashes escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def jira_tracker_from_settings(settings: Settings) -> JiraIssueTracker | None:
    """The tracker for JIRA_URL/JIRA_USER/JIRA_TOKEN, or None when Jira is not configured."""
    if not settings.jira_enabled:
        return None
    return JiraIssueTracker(settings.jira_url, user=settings.jira_user, token=settings.jira_token)
