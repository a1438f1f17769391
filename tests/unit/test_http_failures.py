"""One reading of a failed HTTP answer for Jira, GitLab and Teams (adapters/http_failures.py).

What matters to the outbox: retry or park the row, and not before the peer's Retry-After, which
RFC 9110 allows as seconds or as an HTTP date — all three clients read both.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.http_failures import failure, retry_after
from adapters.outbox_relay import PermanentFailure, RetryLater

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "delay"),
    [
        ("1", timedelta(seconds=1)),
        ("0.5", timedelta(seconds=0.5)),
        (" 120 ", timedelta(minutes=2)),
        ("Fri, 27 Nov 2026 03:01:00 GMT", timedelta(minutes=1)),
        ("Fri, 27 Nov 2026 02:00:00 GMT", timedelta(0)),  # a date in the past: now
        ("soon", None),
        ("", None),
    ],
)
def test_retry_after_is_read_as_seconds_or_as_an_http_date(value: str, delay: timedelta | None) -> None:
    assert retry_after({"Retry-After": value}, NOW) == delay


def test_the_header_name_is_read_in_any_capitalisation_and_may_be_missing() -> None:
    assert retry_after({"retry-after": "3"}, NOW) == timedelta(seconds=3)
    assert retry_after({}, NOW) is None
    assert retry_after(None, NOW) is None


@pytest.mark.parametrize("status", [None, 408, 409, 423, 425, 429, 500, 502, 503, 504])
def test_busy_or_unanswered_peers_are_retried_with_their_delay(status: int | None) -> None:
    verdict = failure("Jira", status, what="create an issue", detail="busy", retry_after=timedelta(seconds=30))

    assert isinstance(verdict, RetryLater)
    assert verdict.retry_after == timedelta(seconds=30)
    assert str(verdict).startswith("Jira could not create an issue: busy (")


def test_a_refusal_is_permanent_and_ends_with_what_to_check() -> None:
    hints = {401: "use a valid GITLAB_TOKEN with the `api` scope", 403: "the token's user needs Developer access"}

    rejected = failure("GitLab", 401, what="create a branch", detail="401 Unauthorized", hints=hints)
    forbidden = failure("GitLab", 403, what="create a branch", detail="403 Forbidden", hints=hints)
    bad = failure("GitLab", 400, what="create a branch", detail="branch name is invalid", hints=hints)

    assert isinstance(rejected, PermanentFailure) and isinstance(forbidden, PermanentFailure)
    assert str(rejected) == "GitLab rejected the credentials (HTTP 401): use a valid GITLAB_TOKEN with the `api` scope"
    assert str(forbidden) == (
        "GitLab refused to create a branch: 403 Forbidden (HTTP 403); the token's user needs Developer access"
    )
    assert str(bad) == "GitLab refused to create a branch: branch name is invalid (HTTP 400)"


def test_teams_retries_its_own_transient_answers() -> None:
    # Teams answers 412 when two updates of one message race; Jira and GitLab never mean "later" by it.
    teams = failure("Teams", 412, what="PUT a card", detail="PreconditionFailed", transient={412, 429})

    assert isinstance(teams, RetryLater)
    assert isinstance(failure("Jira", 412, what="edit an issue", detail="?"), PermanentFailure)
