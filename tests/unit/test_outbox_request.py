"""Every outbox payload has one shape (domain/outbox_request.py): a dataclass that round-trips as JSON.

A row written by one release must be read by the next, and a malformed row must say which field
is wrong, so the relay parks it with a reason an operator can act on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest

from adapters.alerts.payloads import IngestAlerts
from bot.messenger import SendMessage, StartThread, UpdateMessage
from domain.incidents.issue_tracker import CommentOnIssue, CreateIssue, TransitionIssue, UpdatePriority
from domain.outbox_request import OutboxRequest, queue
from domain.postmortems.requests import CheckMergeRequest, DraftInGitLab, FileAction

TARGET = {"serviceUrl": "https://smba.example/emea", "conversation": {"id": "19:c@thread.tacv2"}, "bot": {"id": "b"}}


@dataclass(frozen=True)
class Page(OutboxRequest):
    kind: ClassVar[str] = "test.page"

    who: str
    attempt: int
    tags: tuple[str, ...] = ()
    note: str | None = None

    @property
    def idempotency_key(self) -> str:
        return f"{self.kind}:{self.who}:{self.attempt}"


class Outbox:
    def __init__(self) -> None:
        self.rows: list[tuple[str, dict[str, Any], str, str | None]] = []

    def add(self, kind: str, payload: dict[str, Any], *, idempotency_key: str, ordering_key: str | None = None) -> None:
        self.rows.append((kind, payload, idempotency_key, ordering_key))


EXAMPLES: list[OutboxRequest] = [
    CreateIssue(incident="INC-7", project="PAY", issue_type="Incident", summary="INC-7 [P1] Checkout down"),
    CommentOnIssue(incident="INC-7", body="giulia: acknowledged", marker="ack-1"),
    TransitionIssue(incident="INC-7", transition="Resolve Issue"),
    UpdatePriority(incident="INC-7", priority="Highest", marker="sev-2"),
    DraftInGitLab(7, "acme/docs", "postmortem/INC-7", "pm.md", "# INC-7", "draft", "INC-7", "d", None),
    FileAction(7, 1, "gitlab", "acme/shop", "Alert on pool", "why", "luca", "2026-12-11", "circlebot-pm-inc-7-a1"),
    CheckMergeRequest(7, "acme/docs", "postmortem/INC-7", 12, 3),
    SendMessage("teams:incident:7:card", TARGET, {"type": "message", "text": "INC-7"}, in_thread="teams:x"),
    UpdateMessage("teams:incident:7:card:update:1", "teams:incident:7:card", TARGET, {"type": "message", "text": "x"}),
    StartThread("teams:postmortem:7:card", TARGET, {"type": "message", "text": "Postmortem"}),
    IngestAlerts(1, None, "Alertmanager", "sre", "firing", "{}:{}", {}, {}, {}, "", 0, ()),
]


@pytest.mark.parametrize("request_", EXAMPLES, ids=lambda r: r.kind)
def test_every_request_survives_the_trip_through_a_json_column(request_: OutboxRequest) -> None:
    stored = json.loads(json.dumps(request_.to_payload()))

    assert type(request_).from_payload(stored) == request_


def test_queueing_writes_the_kind_the_payload_and_both_keys() -> None:
    outbox = Outbox()

    queue(outbox, TransitionIssue(incident="INC-7", transition="Resolve Issue"))

    [(kind, payload, idempotency_key, ordering_key)] = outbox.rows
    assert (kind, idempotency_key, ordering_key) == (
        "jira.transition",
        "jira.transition:INC-7:Resolve Issue",
        "jira:INC-7",
    )
    assert payload["label"] == "circlebot-inc-7"


def test_a_field_added_later_takes_its_default_when_an_older_row_lacks_it() -> None:
    assert Page.from_payload({"who": "luca", "attempt": 2}) == Page("luca", 2)


@pytest.mark.parametrize(
    ("payload", "complaint"),
    [
        ({"attempt": 2}, "test.page payload lacks the field 'who'"),
        ({"who": "luca", "attempt": "2"}, "test.page payload field 'attempt' must be int, got str"),
        ({"who": "luca", "attempt": True}, "test.page payload field 'attempt' must be an integer"),
        ({"who": "luca", "attempt": 2, "tags": "p1"}, "test.page payload field 'tags' must be a list"),
        ({"who": "luca", "attempt": 2, "note": 5}, "test.page payload field 'note' must be str, got int"),
    ],
)
def test_a_malformed_row_names_the_field_that_is_wrong(payload: dict[str, Any], complaint: str) -> None:
    with pytest.raises(ValueError) as raised:
        Page.from_payload(payload)

    assert str(raised.value) == complaint
