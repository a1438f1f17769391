"""Runbook reads and writes against a local GitLab: conditional reads with ETag, last commit, the
question bank's tree, the new-runbook merge request and drill-gap issues, each written once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.gitlab.runbooks import GitLabRunbooks
from adapters.outbox_relay import RetryLater
from adapters.runbooks.delivery import runbook_outbox_handlers
from domain.runbooks import requests
from storage.outbox import OutboxMessage
from tests.support.fake_gitlab import FakeGitLab
from tests.support.runbooks import QUESTION_BANK, RUNBOOK_CHECKOUT

PROJECT = "acme/acme.shop.DevOps"
COMMITTED = datetime(2026, 8, 3, 10, 0, tzinfo=UTC)


@pytest.fixture
async def gitlab() -> AsyncIterator[FakeGitLab]:
    async with FakeGitLab() as fake:
        fake.commit_file("runbooks/checkout.md", RUNBOOK_CHECKOUT, at=COMMITTED)
        fake.commit_file("internal-tests/process.yaml", QUESTION_BANK, at=COMMITTED)
        fake.commit_file("internal-tests/README.md", "how to write questions", at=COMMITTED)
        yield fake


@pytest.fixture
def client(gitlab: FakeGitLab) -> GitLabRunbooks:
    return GitLabRunbooks(gitlab.url, token=gitlab.token, timeout=2)


async def test_a_runbook_is_read_with_its_etag_and_last_commit(gitlab: FakeGitLab, client: GitLabRunbooks) -> None:
    read = await client.read_file(project=PROJECT, ref="main", path="runbooks/checkout.md", etag=None)
    assert read.content == RUNBOOK_CHECKOUT
    assert read.etag is not None and read.etag.startswith('W/"')
    assert read.last_commit_at == COMMITTED
    assert not read.not_modified


async def test_an_unchanged_runbook_is_not_sent_again(gitlab: FakeGitLab, client: GitLabRunbooks) -> None:
    first = await client.read_file(project=PROJECT, ref="main", path="runbooks/checkout.md", etag=None)
    again = await client.read_file(project=PROJECT, ref="main", path="runbooks/checkout.md", etag=first.etag)
    assert (again.not_modified, again.content, again.etag, gitlab.not_modified) == (True, None, first.etag, 1)
    gitlab.commit_file("runbooks/checkout.md", RUNBOOK_CHECKOUT + "\nmore\n")
    changed = await client.read_file(project=PROJECT, ref="main", path="runbooks/checkout.md", etag=first.etag)
    assert not changed.not_modified and changed.content is not None and changed.content.endswith("more\n")
    assert changed.etag != first.etag


async def test_a_runbook_that_does_not_exist_reads_as_none(client: GitLabRunbooks) -> None:
    read = await client.read_file(project=PROJECT, ref="main", path="runbooks/catalog.md", etag=None)
    assert (read.content, read.etag, read.not_modified) == (None, None, False)


async def test_gitlab_down_is_a_retry_not_an_answer(gitlab: FakeGitLab, client: GitLabRunbooks) -> None:
    gitlab.fail_next(1, 503, only="GET */repository/files/*")
    with pytest.raises(RetryLater, match="HTTP 503"):
        await client.read_file(project=PROJECT, ref="main", path="runbooks/checkout.md", etag=None)


async def test_the_question_bank_is_the_yaml_files_under_internal_tests(client: GitLabRunbooks) -> None:
    found = await client.list_files(project=PROJECT, ref="main", directory="internal-tests", suffixes=(".yaml", ".yml"))
    assert found == ["internal-tests/process.yaml"]
    assert await client.list_files(project=PROJECT, ref="main", directory="nothing-here", suffixes=(".yaml",)) == []


class _Results:
    def __init__(self) -> None:
        self.opened: list[str] = []

    async def merge_request_opened(self, request: requests.NewRunbookMergeRequest, url: str) -> None:
        self.opened.append(url)

    async def run_check(self, request: requests.RunCheck) -> int:
        return 0


def _message(kind: str, payload: dict[str, Any], attempt: int = 1) -> OutboxMessage:
    return OutboxMessage(id=1, kind=kind, payload=payload, idempotency_key=f"{kind}:1", attempt=attempt)


async def test_a_new_runbook_is_one_merge_request_assigned_to_the_owner_even_when_retried(
    gitlab: FakeGitLab, client: GitLabRunbooks
) -> None:
    results = _Results()
    handlers = runbook_outbox_handlers(client, results)
    request = requests.NewRunbookMergeRequest(
        circle="shop", service="catalog", project=PROJECT, branch="runbook/catalog", path="runbooks/catalog.md",
        content="# catalog\n", title="Draft: Runbook for catalog", description="from the template",
        assignee="mbianchi", requested_by="giulia",
    )  # fmt: skip
    gitlab.lose_next_response("POST */merge_requests")
    with pytest.raises(RetryLater):
        await handlers[requests.NEW_RUNBOOK](_message(request.kind, request.to_payload()))
    await handlers[requests.NEW_RUNBOOK](_message(request.kind, request.to_payload(), attempt=2))
    [mr] = gitlab.project().merge_requests
    assert (mr.source_branch, mr.assignee_id, mr.labels) == ("runbook/catalog", 21, ["runbook"])
    assert gitlab.project().files[("runbook/catalog", "runbooks/catalog.md")] == "# catalog\n"
    assert results.opened == [f"{gitlab.url}/{PROJECT}/-/merge_requests/1"]


async def test_a_drill_gap_is_one_issue_found_by_its_label_on_a_retry(
    gitlab: FakeGitLab, client: GitLabRunbooks
) -> None:
    handlers = runbook_outbox_handlers(client, _Results())
    request = requests.FileDrillGap(
        circle="shop", drill_id=4, question=1, project=PROJECT, title="Drill gap (monitoring): What does X mean?",
        description="expected …", assignee="mbianchi", label=requests.gap_label(4, 1),
    )  # fmt: skip
    gitlab.lose_next_response("POST */issues")
    with pytest.raises(RetryLater):
        await handlers[requests.FILE_GAP](_message(request.kind, request.to_payload()))
    result = await handlers[requests.FILE_GAP](_message(request.kind, request.to_payload(), attempt=2))
    [issue] = gitlab.project().issues
    assert issue.labels == ["circlebot", "drill-gap", "circlebot-drill-4-q2"]
    assert issue.assignee_ids == [21]
    assert result["ref"] == f"{PROJECT}#1"
