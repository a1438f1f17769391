"""Outbox handlers that carry an incident's Jira writes: create the issue, comment, transition."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from adapters.outbox_relay import HandlerRegistry, OutboxHandler, RetryLater, parse_payload
from adapters.uncertain_create import create_once
from domain.clock import Clock, SystemClock
from domain.incidents.issue_tracker import (
    COMMENT,
    CREATE_ISSUE,
    TRANSITION,
    UPDATE_PRIORITY,
    CommentOnIssue,
    CreateIssue,
    IssueTracker,
    TransitionIssue,
    UpdatePriority,
)
from storage.outbox import OutboxMessage

OnIssueCreated = Callable[[dict[str, Any], str], Awaitable[None]]
# How long Jira's search may take to show a new issue before a lost create is taken as not done.
DEFAULT_CONSISTENCY_WINDOW = timedelta(seconds=60)


class JiraDelivery:
    """Delivers the three Jira outbox kinds through an IssueTracker.

    Comments and transitions find the issue by the incident's label; the key is cached per
    process, since a label never moves to another issue.
    """

    def __init__(
        self,
        tracker: IssueTracker,
        *,
        on_issue_created: OnIssueCreated | None = None,
        clock: Clock | None = None,
        consistency_window: timedelta = DEFAULT_CONSISTENCY_WINDOW,
    ) -> None:
        self._tracker = tracker
        self._on_issue_created = on_issue_created
        self._clock = clock or SystemClock()
        self._window = consistency_window
        self._keys: dict[str, str] = {}

    def handlers(self) -> dict[str, OutboxHandler]:
        return {
            CREATE_ISSUE: self.create_issue,
            COMMENT: self.comment,
            TRANSITION: self.transition,
            UPDATE_PRIORITY: self.update_priority,
        }

    async def create_issue(self, message: OutboxMessage) -> dict[str, Any]:
        """Create the issue unless it exists (or may: see create_once), then tell the composition root its key."""
        request = parse_payload(CreateIssue.from_payload, message)
        key = await create_once(
            message,
            clock=self._clock,
            window=self._window,
            find=lambda: self._tracker.find_all_by_label(request.label),
            create=lambda: self._tracker.create_issue(
                label=request.label,
                project=request.project,
                issue_type=request.issue_type,
                summary=request.summary,
                description=request.description,
                priority=request.priority,
                extra_labels=request.extra_labels,
            ),
            close_duplicate=lambda duplicate, original: self._tracker.close_duplicate(
                duplicate, original, label=request.label
            ),
            what=f"the Jira issue of {request.incident}",
        )
        self._keys[request.label] = key
        if self._on_issue_created is not None:
            # Called on every successful delivery, retries included: the callee stores it idempotently.
            await self._on_issue_created(message.payload, key)
        return {"key": key}

    async def comment(self, message: OutboxMessage) -> dict[str, Any]:
        """Add the comment once, however often the row is delivered."""
        request = parse_payload(CommentOnIssue.from_payload, message)
        key = await self._key_for(request.label, request.incident)
        added = await self._tracker.add_comment(key, request.body, marker=request.marker)
        return {"key": key, "added": added}

    async def transition(self, message: OutboxMessage) -> dict[str, Any]:
        """Move the issue through the configured transition, or see that it already moved."""
        request = parse_payload(TransitionIssue.from_payload, message)
        key = await self._key_for(request.label, request.incident)
        moved = await self._tracker.transition(key, request.transition, target_status=request.target_status)
        return {"key": key, "transitioned": moved}

    async def update_priority(self, message: OutboxMessage) -> dict[str, Any]:
        """Set the issue's priority to the incident's current severity's."""
        request = parse_payload(UpdatePriority.from_payload, message)
        key = await self._key_for(request.label, request.incident)
        result: dict[str, Any] = {"key": key, "changed": await self._tracker.set_priority(key, request.priority)}
        if request.summary:
            result["renamed"] = await self._tracker.set_summary(key, request.summary)
        return result

    async def _key_for(self, label: str, incident: str) -> str:
        if label in self._keys:
            return self._keys[label]
        key = await self._tracker.find_by_label(label)
        if key is None:
            # The shared ordering key normally delivers the create first; this covers rows queued
            # without it, or a create still waiting behind a rate limit.
            raise RetryLater(f"the Jira issue for {incident} does not exist yet (no issue labelled {label})")
        self._keys[label] = key
        return key


def register_jira_handlers(
    relay: HandlerRegistry,
    tracker: IssueTracker,
    *,
    on_issue_created: OnIssueCreated | None = None,
    clock: Clock | None = None,
    consistency_window: timedelta = DEFAULT_CONSISTENCY_WINDOW,
) -> JiraDelivery:
    """Register the jira.create_issue, jira.comment, jira.transition and jira.update_priority handlers."""
    delivery = JiraDelivery(
        tracker, on_issue_created=on_issue_created, clock=clock, consistency_window=consistency_window
    )
    for kind, handler in delivery.handlers().items():
        relay.register(kind, handler)
    return delivery
