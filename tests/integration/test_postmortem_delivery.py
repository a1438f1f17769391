"""The postmortem outbox handlers against a local GitLab and a local Jira: idempotent, and they report back."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from adapters.gitlab.docs import GitLabDocs
from adapters.jira.tracker import JiraIssueTracker
from adapters.outbox_relay import PermanentFailure, RetryLater
from adapters.postmortems.delivery import PostmortemDelivery
from domain.postmortems.requests import CheckMergeRequest, DraftInGitLab, FileAction, action_label
from storage.outbox import OutboxMessage
from tests.support.fake_gitlab import FakeGitLab
from tests.support.fake_jira import FakeJira

DOCS = "acme/acme.shop.DevOps"


@dataclass
class Results:
    reported: list[tuple[Any, ...]] = field(default_factory=list)

    async def draft_ready(self, number: int, iid: int, url: str) -> None:
        self.reported.append(("draft", number, iid))

    async def action_filed(self, number: int, action: int, ref: str, url: str | None) -> None:
        self.reported.append(("filed", number, action, ref))

    async def merge_request_state(self, number: int, state: str) -> None:
        self.reported.append(("state", number, state))


@pytest.fixture
async def gitlab() -> AsyncIterator[FakeGitLab]:
    async with FakeGitLab() as fake:
        yield fake


@pytest.fixture
async def jira() -> AsyncIterator[FakeJira]:
    async with FakeJira() as fake:
        yield fake


def message(request: DraftInGitLab | FileAction | CheckMergeRequest, attempt: int = 1) -> OutboxMessage:
    return OutboxMessage(1, request.kind, request.to_payload(), request.idempotency_key, attempt)


def action(tracker: str, project: str, owner: str | None) -> FileAction:
    return FileAction(
        incident_number=7, action_number=1, tracker=tracker, project=project, title="INC-7 A1: alert on pool",
        description="from the postmortem", owner=owner, due="2026-12-11", label=action_label(7, 1),
    )  # fmt: skip


async def test_an_action_filed_in_jira_is_a_task_labelled_for_its_postmortem_and_made_once(jira: FakeJira) -> None:
    results = Results()
    tracker = JiraIssueTracker(jira.url, user=jira.user, token=jira.token)
    delivery = PostmortemDelivery(gitlab=None, jira=tracker, results=results)
    jira.lose_response_after_create()

    with pytest.raises(RetryLater):
        await delivery.file_action(message(action("jira", "DEMO", None)))
    await delivery.file_action(message(action("jira", "DEMO", None), attempt=2))
    tracker.close()

    [issue] = jira.issues_labelled("circlebot-pm-inc-7-a1")
    assert (issue.issue_type, issue.summary, issue.due) == ("Task", "INC-7 A1: alert on pool", "2026-12-11")
    assert results.reported == [("filed", 7, 1, issue.key)]


async def test_a_jira_project_without_a_due_date_on_its_screen_gets_the_action_once_without_one(
    jira: FakeJira,
) -> None:
    jira.without_due_date.add("DEMO")
    results = Results()
    tracker = JiraIssueTracker(jira.url, user=jira.user, token=jira.token)
    delivery = PostmortemDelivery(gitlab=None, jira=tracker, results=results)

    await delivery.file_action(message(action("jira", "DEMO", None)))
    tracker.close()

    [issue] = jira.issues_labelled("circlebot-pm-inc-7-a1")
    assert issue.due is None and jira.creates == 1
    assert [line for line in jira.requests if line.startswith("POST") and line.endswith("/issue")] == [
        "POST /rest/api/2/issue",
        "POST /rest/api/2/issue",  # refused for its duedate (Jira created nothing), then made without it
    ]
    assert results.reported == [("filed", 7, 1, issue.key)]


@pytest.mark.parametrize("deployment", ["Server", "Cloud"])
async def test_the_action_is_assigned_to_its_owner_unless_jira_refuses_them(deployment: str) -> None:
    owner, refused = ("giulia", "marco") if deployment == "Server" else ("712020:giulia", "712020:marco")
    async with FakeJira(deployment=deployment) as jira:
        jira.unassignable.add(refused)
        tracker = JiraIssueTracker(jira.url, user=jira.user, token=jira.token)
        delivery = PostmortemDelivery(gitlab=None, jira=tracker, results=Results())
        first = action("jira", "DEMO", owner)
        second = dataclasses.replace(first, action_number=2, owner=refused, label=action_label(7, 2))

        await delivery.file_action(message(first))
        await delivery.file_action(message(second))
        tracker.close()

        [assigned] = jira.issues_labelled(action_label(7, 1))
        [unassigned] = jira.issues_labelled(action_label(7, 2))
    assert (assigned.assignee, assigned.due) == (owner, "2026-12-11")
    assert (unassigned.assignee, unassigned.due) == (None, "2026-12-11")  # the rest of the create kept
    assert jira.creates == 2


async def test_the_draft_and_the_merge_check_report_back_and_a_missing_iid_is_found_by_branch(
    gitlab: FakeGitLab,
) -> None:
    results = Results()
    delivery = PostmortemDelivery(gitlab=GitLabDocs(gitlab.url, token=gitlab.token), jira=None, results=results)
    draft = DraftInGitLab(
        incident_number=7, project=DOCS, branch="postmortem/INC-7-x", path="postmortems/x.md", content="# x",
        commit_message="draft", title="Draft: x", description="d", assignee="mbianchi",
    )  # fmt: skip

    await delivery.draft(message(draft))
    gitlab.merge(1)
    await delivery.check(message(CheckMergeRequest(7, DOCS, "postmortem/INC-7-x", iid=None, check=0)))

    assert results.reported == [("draft", 7, 1), ("draft", 7, 1), ("state", 7, "merged")]


async def test_gitlab_rows_without_gitlab_configured_and_malformed_rows_are_parked_with_the_reason() -> None:
    delivery = PostmortemDelivery(gitlab=None, jira=None, results=Results())

    with pytest.raises(PermanentFailure, match="GITLAB_URL is not set"):
        await delivery.file_action(message(action("gitlab", DOCS, "sromano")))
    with pytest.raises(PermanentFailure, match="JIRA_URL is not set"):
        await delivery.file_action(message(action("jira", "DEMO", None)))
    with pytest.raises(PermanentFailure, match=r"malformed postmortem\.gitlab_draft outbox payload"):
        await delivery.draft(OutboxMessage(1, "postmortem.gitlab_draft", {"incident_number": 7}, "k", 1))


async def test_two_gitlab_issues_for_one_action_keep_the_oldest_and_close_the_other_with_a_note(
    gitlab: FakeGitLab,
) -> None:
    results = Results()
    docs = GitLabDocs(gitlab.url, token=gitlab.token)
    delivery = PostmortemDelivery(gitlab=docs, jira=None, results=results)
    for _ in range(2):  # made twice, say by a release before creates were looked for over a window
        await docs.create_issue(
            project=DOCS, label=action_label(7, 1), title="A1", description="", assignee=None, due=None, labels=()
        )

    await delivery.file_action(message(action("gitlab", DOCS, None)))
    await delivery.file_action(message(action("gitlab", DOCS, None), attempt=2))
    docs.close()

    first, second = gitlab.project().issues
    assert results.reported[0] == ("filed", 7, 1, f"{DOCS}#{first.iid}")
    assert (first.state, second.state) == ("opened", "closed")
    assert action_label(7, 1) not in second.labels
    assert [note.body.split(";")[0] for note in second.notes if not note.system] == [f"Duplicate of {DOCS}#{first.iid}"]


async def test_a_create_sent_moments_ago_is_looked_for_again_not_repeated(gitlab: FakeGitLab) -> None:
    from datetime import UTC, datetime

    docs = GitLabDocs(gitlab.url, token=gitlab.token)
    delivery = PostmortemDelivery(gitlab=docs, jira=None, results=Results())
    request = action("gitlab", DOCS, None)
    sent = OutboxMessage(
        1, request.kind, request.to_payload(), request.idempotency_key, 2,
        progress={"create_sent_at": datetime.now(UTC).isoformat()},
    )  # fmt: skip

    with pytest.raises(RetryLater, match="may have succeeded") as waiting:
        await delivery.file_action(sent)
    docs.close()

    assert waiting.value.counts is False
    assert gitlab.project().issues == []
