"""A write the outbox gave up on, for an incident, is shown to its circle (issue #11).

The card says so (Jira: failed, rather than pending for ever) and the Team Leader is told once;
writes that belong to no incident show in the log, on /metrics and in `circlebot outbox list`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from adapters.outbox_relay import OutboxMessage
from dialogs.incidents.desk import IncidentDesk
from domain.incidents import service
from domain.incidents.issue_tracker import CREATE_ISSUE
from domain.incidents.model import incident_number

# What a dead row of each kind failed to do, in the words the card and the Team Leader get.
WHAT_FAILED = {
    CREATE_ISSUE: "creating the Jira issue",
    "jira.comment": "a Jira comment",
    "jira.transition": "a Jira status change",
    "jira.update_priority": "the Jira priority",
    "postmortem.gitlab_draft": "the postmortem draft in GitLab",
    "postmortem.file_action": "filing a corrective action",
    "postmortem.gitlab_mr_state": "reading the postmortem merge request",
}
_TEAMS_INCIDENT_KEY = re.compile(r"^teams:incident:([0-9]{1,9})(?::|$)")


def dead_row_reporter(desk: IncidentDesk) -> Callable[[OutboxMessage, str], Awaitable[None]]:
    """The relay's dead-row handler for incidents."""

    async def report(message: OutboxMessage, _error: str) -> None:
        if ":failed:" in message.idempotency_key:
            return  # the notice about a failure failed: telling again would fail the same way
        number = incident_of(message)
        if number is None:
            return
        what = WHAT_FAILED.get(message.kind, "a Teams message" if message.kind.startswith("teams.") else message.kind)
        await desk.run(service.delivery_failed, number, what=what, jira_issue=message.kind == CREATE_ISSUE)

    return report


def incident_of(message: OutboxMessage) -> int | None:
    """The incident a row writes for: its payload's incident (7, "INC-7"), else its Teams key."""
    payload = message.payload
    number = incident_number(payload.get("incident_number", payload.get("incident")))
    if number is not None:
        return number
    match = _TEAMS_INCIDENT_KEY.match(message.idempotency_key)
    return int(match.group(1)) if match else None
