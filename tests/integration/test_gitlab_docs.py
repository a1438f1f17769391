"""The GitLab adapter against a local GitLab: drafts, merge requests and issues, idempotent under faults."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from adapters.gitlab.docs import GitLabDocs
from adapters.outbox_relay import PermanentFailure, RetryLater
from tests.support.fake_gitlab import FakeGitLab

PROJECT = "acme/acme.shop.DevOps"
BRANCH = "postmortem/INC-7-checkout-api-returns-500"
PATH = "postmortems/2026-11-27-INC-7-checkout-api-returns-500.md"


@pytest.fixture
async def gitlab() -> AsyncIterator[FakeGitLab]:
    async with FakeGitLab() as fake:
        yield fake


@pytest.fixture
def docs(gitlab: FakeGitLab) -> GitLabDocs:
    return GitLabDocs(gitlab.url, token=gitlab.token, timeout=2)


async def draft(docs: GitLabDocs, content: str = "# Postmortem INC-7\n") -> tuple[int, str, str]:
    ref = await docs.ensure_draft(
        project=PROJECT,
        branch=BRANCH,
        path=PATH,
        content=content,
        commit_message="Postmortem draft for INC-7",
        title="Draft: Postmortem INC-7",
        description="owned by Marco",
        assignee="mbianchi",
        labels=("postmortem",),
    )
    return ref.iid, ref.url, ref.state


async def test_a_draft_is_a_branch_a_markdown_file_and_a_merge_request_assigned_to_the_owner(
    gitlab: FakeGitLab, docs: GitLabDocs
) -> None:
    iid, url, state = await draft(docs)

    project = gitlab.project()
    assert project.branches[BRANCH] == "main"
    assert project.files[(BRANCH, PATH)] == "# Postmortem INC-7\n"
    [mr] = project.merge_requests
    assert (mr.iid, mr.source_branch, mr.target_branch, mr.assignee_id, mr.labels) == (
        iid, BRANCH, "main", 21, ["postmortem"],
    )  # fmt: skip
    assert url.endswith(f"/{PROJECT}/-/merge_requests/1")
    assert state == "opened"


async def test_drafting_again_reuses_everything_and_never_overwrites_the_owners_edits(
    gitlab: FakeGitLab, docs: GitLabDocs
) -> None:
    first = await draft(docs)
    gitlab.project().files[(BRANCH, PATH)] = "# edited by the owner\n"

    second = await draft(docs, content="# a newer template\n")

    assert second == first
    assert len(gitlab.project().merge_requests) == 1
    assert gitlab.project().files[(BRANCH, PATH)] == "# edited by the owner\n"


async def test_a_lost_response_after_creating_the_merge_request_is_retried_without_a_second_one(
    gitlab: FakeGitLab, docs: GitLabDocs
) -> None:
    gitlab.lose_next_response("POST */merge_requests")

    with pytest.raises(RetryLater, match="cannot reach GitLab"):
        await draft(docs)
    iid, _url, _state = await draft(docs)

    assert [mr.iid for mr in gitlab.project().merge_requests] == [iid]


async def test_a_lost_response_after_creating_the_branch_or_file_is_harmless(
    gitlab: FakeGitLab, docs: GitLabDocs
) -> None:
    gitlab.lose_next_response("POST */repository/branches")
    with pytest.raises(RetryLater):
        await draft(docs)
    gitlab.lose_next_response("POST */repository/files/*")
    with pytest.raises(RetryLater):
        await draft(docs)

    await draft(docs)

    assert len(gitlab.project().merge_requests) == 1
    assert (BRANCH, PATH) in gitlab.project().files


async def test_429_becomes_retry_later_with_gitlabs_retry_after_and_no_sleeping_in_the_library(
    gitlab: FakeGitLab, docs: GitLabDocs
) -> None:
    gitlab.fail_next(1, 429, retry_after=30)

    with pytest.raises(RetryLater) as raised:
        await draft(docs)

    assert raised.value.retry_after == timedelta(seconds=30)
    assert len(gitlab.requests) == 1  # python-gitlab did not retry (and sleep) by itself


async def test_a_5xx_is_retried_later_and_a_timeout_too(gitlab: FakeGitLab) -> None:
    docs = GitLabDocs(gitlab.url, token=gitlab.token, timeout=0.5)
    gitlab.fail_next(1, 502)
    with pytest.raises(RetryLater, match="HTTP 502"):
        await draft(docs)

    gitlab.lose_next_response("GET /api/v4/projects/*", mode="hang")
    with pytest.raises(RetryLater, match="did not answer"):
        await draft(docs)


async def test_an_unknown_docs_repo_is_a_permanent_failure_that_names_the_setting(docs: GitLabDocs) -> None:
    with pytest.raises(PermanentFailure, match="docs_repo"):
        await docs.ensure_draft(
            project="acme/no-such-repo", branch=BRANCH, path=PATH, content="x", commit_message="m",
            title="t", description="d", assignee=None, labels=(),
        )  # fmt: skip


async def test_a_bad_token_is_a_permanent_failure_that_names_the_variable(gitlab: FakeGitLab) -> None:
    docs = GitLabDocs(gitlab.url, token="wrong")

    with pytest.raises(PermanentFailure, match="GITLAB_TOKEN"):
        await draft(docs)


async def test_an_unknown_gitlab_user_leaves_the_merge_request_unassigned(gitlab: FakeGitLab, docs: GitLabDocs) -> None:
    await docs.ensure_draft(
        project=PROJECT, branch=BRANCH, path=PATH, content="x", commit_message="m", title="t", description="d",
        assignee="nobody", labels=(),
    )  # fmt: skip

    assert gitlab.project().merge_requests[0].assignee_id is None


async def test_the_merge_request_state_is_read_by_iid_or_by_branch(gitlab: FakeGitLab, docs: GitLabDocs) -> None:
    assert await docs.merge_request_state(project=PROJECT, branch=BRANCH, iid=None) is None
    iid, _url, _state = await draft(docs)

    by_iid = await docs.merge_request_state(project=PROJECT, branch=BRANCH, iid=iid)
    gitlab.merge(iid)
    by_branch = await docs.merge_request_state(project=PROJECT, branch=BRANCH, iid=None)

    assert by_iid is not None and by_iid.state == "opened"
    assert by_branch is not None and (by_branch.iid, by_branch.state) == (iid, "merged")


async def test_an_action_issue_carries_owner_due_date_and_its_label_and_survives_a_lost_response(
    gitlab: FakeGitLab, docs: GitLabDocs
) -> None:
    async def ensure() -> str:
        issue = await docs.ensure_issue(
            project=PROJECT,
            label="circlebot-pm-inc-7-a1",
            title="INC-7 A1: alert on pool saturation",
            description="from the postmortem",
            assignee="sromano",
            due="2026-12-11",
            labels=("circlebot", "postmortem-action"),
        )
        return issue.ref

    gitlab.lose_next_response("POST */issues")
    with pytest.raises(RetryLater):
        await ensure()
    ref = await ensure()

    [issue] = gitlab.project().issues
    assert ref == f"{PROJECT}#1"
    assert issue.labels == ["circlebot", "postmortem-action", "circlebot-pm-inc-7-a1"]
    assert (issue.assignee_ids, issue.due_date) == ([23], "2026-12-11")
