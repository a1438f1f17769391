"""POST /api/gitlab/webhook: GitLab's issue, note and merge-request events keep the bot's view current.

GitLab sends the secret token configured on the webhook in `X-Gitlab-Token` and the event name
in `X-Gitlab-Event` ("Issue Hook", "Note Hook", "Merge Request Hook"). A wrong token is 401;
events we do not use are answered 200 and ignored, so GitLab never disables the hook for them.
Missed events (the bot was down) are caught by the periodic reconcile.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from aiohttp import web

from adapters.gitlab.activities import parse_gitlab_time
from domain.activities.context import RemoteIssue

log = logging.getLogger(__name__)

GITLAB_WEBHOOK_PATH = "/api/gitlab/webhook"
ISSUE_EVENTS = ("Issue Hook", "Confidential Issue Hook")
NOTE_EVENTS = ("Note Hook", "Confidential Note Hook")
MERGE_REQUEST_EVENTS = ("Merge Request Hook",)


@dataclass(frozen=True)
class NoteEvent:
    project: str
    iid: int
    author: str
    at: datetime
    system: bool
    body: str


@dataclass(frozen=True)
class MergeRequestEvent:
    project: str
    iid: int
    action: str
    source_branch: str
    title: str
    description: str
    labels: tuple[str, ...]


@dataclass
class WebhookHandlers:
    """What each event does; the activity desk provides them."""

    issue: Callable[[RemoteIssue], Awaitable[None]]
    note: Callable[[NoteEvent], Awaitable[None]]
    merge_request: Callable[[MergeRequestEvent], Awaitable[None]]


class BadPayload(ValueError):
    """The body is not the event GitLab documents; the message names the missing field."""


def gitlab_webhook(token: str, handlers: WebhookHandlers) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The handler of POST /api/gitlab/webhook for the secret `token`."""
    expected = token.encode()

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get("X-Gitlab-Token", "").encode()
        # Constant time, so the token cannot be guessed byte by byte from response times.
        if not expected or not hmac.compare_digest(given, expected):
            reason = "set GITLAB_WEBHOOK_TOKEN on the bot" if not expected else "wrong X-Gitlab-Token"
            return web.json_response({"error": f"unauthorized: {reason}"}, status=401)
        event = request.headers.get("X-Gitlab-Event", "")
        if event not in (*ISSUE_EVENTS, *NOTE_EVENTS, *MERGE_REQUEST_EVENTS):
            return web.json_response({"ignored": f"event {event or '(none)'!r} is not used"})
        try:
            body = await request.json(loads=json.loads)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.json_response({"error": "the body is not JSON"}, status=400)
        if not isinstance(body, dict):
            return web.json_response({"error": "the body is not a JSON object"}, status=400)
        try:
            if event in ISSUE_EVENTS:
                await handlers.issue(parse_issue_event(body))
            elif event in NOTE_EVENTS:
                note = parse_note_event(body)
                if note is None:
                    return web.json_response({"ignored": "a comment on something other than an issue"})
                await handlers.note(note)
            else:
                await handlers.merge_request(parse_merge_request_event(body))
        except BadPayload as error:
            log.warning("GitLab webhook payload rejected: %s", error, extra={"gitlab_event": event})
            return web.json_response({"error": str(error)}, status=400)
        return web.json_response({"ok": True})

    return receive


def _get(body: dict[str, Any], *path: str) -> Any:
    value: Any = body
    for name in path:
        if not isinstance(value, dict) or name not in value:
            raise BadPayload(f"missing {'.'.join(path)}")
        value = value[name]
    return value


def _labels(body: dict[str, Any]) -> tuple[str, ...]:
    labels = body.get("labels") or _get(body, "object_attributes").get("labels") or []
    return tuple(str(label["title"]) for label in labels if isinstance(label, dict) and "title" in label)


def parse_issue_event(body: dict[str, Any]) -> RemoteIssue:
    attributes = _get(body, "object_attributes")
    due = attributes.get("due_date")
    updated = attributes.get("updated_at")
    try:
        return RemoteIssue(
            project=str(_get(body, "project", "path_with_namespace")),
            iid=int(_get(body, "object_attributes", "iid")),
            title=str(attributes.get("title") or ""),
            description=str(attributes.get("description") or ""),
            labels=_labels(body),
            state=str(attributes.get("state") or "opened"),
            web_url=str(attributes.get("url") or ""),
            due_date=date.fromisoformat(str(due)[:10]) if due else None,
            assignees=tuple(str(a.get("username", "")) for a in body.get("assignees") or [] if isinstance(a, dict)),
            updated_at=parse_gitlab_time(str(updated)) if updated else None,
        )
    except (TypeError, ValueError) as error:
        raise BadPayload(f"unreadable issue event: {error}") from None


def parse_note_event(body: dict[str, Any]) -> NoteEvent | None:
    attributes = _get(body, "object_attributes")
    if attributes.get("noteable_type") != "Issue":
        return None
    try:
        return NoteEvent(
            project=str(_get(body, "project", "path_with_namespace")),
            iid=int(_get(body, "issue", "iid")),
            author=str(_get(body, "user", "username")),
            at=parse_gitlab_time(str(_get(body, "object_attributes", "created_at"))),
            system=bool(attributes.get("system", False)),
            body=str(attributes.get("note") or ""),
        )
    except (TypeError, ValueError) as error:
        raise BadPayload(f"unreadable note event: {error}") from None


def parse_merge_request_event(body: dict[str, Any]) -> MergeRequestEvent:
    attributes = _get(body, "object_attributes")
    try:
        return MergeRequestEvent(
            project=str(_get(body, "project", "path_with_namespace")),
            iid=int(_get(body, "object_attributes", "iid")),
            action=str(attributes.get("action") or ""),
            source_branch=str(attributes.get("source_branch") or ""),
            title=str(attributes.get("title") or ""),
            description=str(attributes.get("description") or ""),
            labels=_labels(body),
        )
    except (TypeError, ValueError) as error:
        raise BadPayload(f"unreadable merge request event: {error}") from None
