"""The activity GitLab adapter against a local GitLab: idempotent creates and notes under lost answers,
429/5xx turned into retries with Retry-After, RateLimit-Remaining respected, tasks ticked without losing edits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from adapters.gitlab.activities import GitLabActivities
from adapters.outbox_relay import PermanentFailure, RetryLater
from domain.activities.template import Task, render_description
from tests.support.fake_gitlab import FakeGitLab, FakeMergeRequest

PROJECT = "acme/shop-activities"


@pytest.fixture
async def gitlab() -> AsyncIterator[FakeGitLab]:
    async with FakeGitLab(projects=(PROJECT,)) as fake:
        yield fake


@pytest.fixture
def activities(gitlab: FakeGitLab) -> AsyncIterator[GitLabActivities]:
    adapter = GitLabActivities(gitlab.url, token=gitlab.token, timeout=2)
    yield adapter
    adapter.close()


DESCRIPTION = render_description(
    marker="m4rk3r",
    description="From 1.9 to 1.11",
    tasks=[Task("Read the changelog"), Task("Upgrade staging")],
    deadline=None,
    definition_of_done=[Task("Production on 1.11")],
)


async def create(activities: GitLabActivities) -> int:
    link = await activities.ensure_issue_with_marker(
        project=PROJECT,
        marker="m4rk3r",
        title="Upgrade the ingress controller",
        description=DESCRIPTION,
        labels=("activity", "status::todo"),
        due_date="2026-12-11",
        assignee="mbianchi",
    )
    return link.iid


async def test_an_issue_is_created_once_even_when_the_first_answer_is_lost(
    gitlab: FakeGitLab, activities: GitLabActivities
) -> None:
    gitlab.lose_next_response("POST */issues")
    with pytest.raises(RetryLater, match="cannot reach GitLab"):
        await create(activities)
    assert len(gitlab.project(PROJECT).issues) == 1  # it happened, only the answer was lost

    assert await create(activities) == 1
    [issue] = gitlab.project(PROJECT).issues
    assert (issue.labels, issue.due_date, issue.assignee_ids) == (["activity", "status::todo"], "2026-12-11", [21])
    assert "POST /api/v4/projects/acme%2Fshop-activities/issues" in gitlab.requests


async def test_a_feedback_note_is_posted_once_even_when_the_first_answer_is_lost(
    gitlab: FakeGitLab, activities: GitLabActivities
) -> None:
    iid = await create(activities)
    body = "**Daily feedback**\n\n<!-- circlebot:feedback:m4rk3r:2026-11-30:1 -->"
    gitlab.lose_next_response("POST */notes")
    with pytest.raises(RetryLater):
        await activities.ensure_note(
            project=PROJECT, iid=iid, marker="circlebot:feedback:m4rk3r:2026-11-30:1", body=body
        )
    await activities.ensure_note(project=PROJECT, iid=iid, marker="circlebot:feedback:m4rk3r:2026-11-30:1", body=body)
    assert [n.body for n in gitlab.issue(iid, PROJECT).notes] == [body]


async def test_429_is_a_retry_after_gitlab_s_retry_after_and_nothing_is_sent_until_then(
    gitlab: FakeGitLab, activities: GitLabActivities
) -> None:
    gitlab.fail_next(1, 429, retry_after=30, only="POST */issues")
    with pytest.raises(RetryLater) as throttled:
        await create(activities)
    assert throttled.value.retry_after == timedelta(seconds=30)
    assert "Retry later" in str(throttled.value)  # GitLab's plain-text body, not JSON
    calls = len(gitlab.requests)
    with pytest.raises(RetryLater, match="rate limit is spent"):
        await create(activities)
    assert len(gitlab.requests) == calls
    assert gitlab.project(PROJECT).issues == []


async def test_5xx_is_a_plain_retry_and_the_retry_creates_once(
    gitlab: FakeGitLab, activities: GitLabActivities
) -> None:
    gitlab.fail_next(1, 502, only="GET */issues")
    with pytest.raises(RetryLater, match="HTTP 502") as failed:
        await create(activities)
    assert failed.value.retry_after is None
    assert await create(activities) == 1 and len(gitlab.project(PROJECT).issues) == 1


async def test_a_spent_rate_limit_waits_for_its_reset_without_calling_gitlab(
    gitlab: FakeGitLab, activities: GitLabActivities
) -> None:
    gitlab.rate_remaining = 1  # the next answer says RateLimit-Remaining: 0
    await create(activities)
    calls = len(gitlab.requests)
    with pytest.raises(RetryLater, match="rate limit is spent") as waiting:
        await activities.ensure_note(project=PROJECT, iid=1, marker="x", body="x <!-- x -->")
    assert len(gitlab.requests) == calls
    assert waiting.value.retry_after is not None and waiting.value.retry_after <= timedelta(seconds=61)


async def test_a_missing_project_is_a_permanent_failure_naming_what_to_check(activities: GitLabActivities) -> None:
    with pytest.raises(PermanentFailure, match="HTTP 404"):
        await activities.ensure_note(project="acme/nope", iid=1, marker="x", body="x")


async def test_ticking_tasks_keeps_edits_made_on_gitlab_and_scoped_labels_stay_one_per_scope(
    gitlab: FakeGitLab, activities: GitLabActivities
) -> None:
    iid = await create(activities)
    issue = gitlab.issue(iid, PROJECT)
    issue.description += "\n- [ ] Added on the web\n"
    await activities.update_issue(
        project=PROJECT,
        iid=iid,
        add_labels=("status::wip",),
        remove_labels=(),
        assignee=None,
        state_event=None,
        tick=("Upgrade staging",),
    )
    assert "- [x] Upgrade staging" in issue.description and "- [ ] Added on the web" in issue.description
    assert issue.labels == ["activity", "status::wip"]  # GitLab keeps one label per scope
    system = [n.body for n in issue.notes if n.system]
    assert "added ~status::wip label and removed ~status::todo label" in system
    assert "marked the checklist item **Upgrade staging** as completed" in system


async def test_going_to_review_labels_the_related_merge_requests_and_reports_them(
    gitlab: FakeGitLab, activities: GitLabActivities
) -> None:
    iid = await create(activities)
    project = gitlab.project(PROJECT)
    project.branches["1-upgrade"] = "main"
    project.merge_requests.append(
        FakeMergeRequest(7, "1-upgrade", "main", "Upgrade", "Closes #1", [], None, related_issues=[iid])
    )
    found = await activities.update_issue(
        project=PROJECT,
        iid=iid,
        add_labels=("status::review",),
        remove_labels=("status::wip",),
        assignee="grossi",
        state_event=None,
        tick=(),
        merge_request_labels=("activity", "status::review"),
        reviewer="grossi",
    )
    assert [(mr_iid, state) for mr_iid, state, _url in found] == [(7, "opened")]
    assert project.merge_requests[0].labels == ["activity", "status::review"]
    assert project.merge_requests[0].reviewer_ids == [20]
    assert gitlab.issue(iid, PROJECT).assignee_ids == [20]


async def test_reading_an_issue_finds_the_assignee_s_last_own_note(
    gitlab: FakeGitLab, activities: GitLabActivities
) -> None:
    iid = await create(activities)
    issue = gitlab.issue(iid, PROJECT)
    written = datetime(2026, 11, 30, 17, 2, tzinfo=UTC)
    gitlab.add_note(issue, "Staging done", author="mbianchi", at=written)
    gitlab.add_note(issue, "Bot note <!-- circlebot:x -->", author="mbianchi", at=written + timedelta(hours=1))
    gitlab.add_note(issue, "LGTM", author="grossi", at=written + timedelta(hours=2))
    read = await activities.read_issue(project=PROJECT, iid=iid, assignee="mbianchi")
    assert read.last_assignee_note_at == written
    assert (read.title, read.labels, read.state) == (
        "Upgrade the ingress controller",
        ("activity", "status::todo"),
        "opened",
    )


async def test_a_hung_create_times_out_and_the_retry_finds_the_issue_it_made(gitlab: FakeGitLab) -> None:
    activities = GitLabActivities(gitlab.url, token=gitlab.token, timeout=0.5)
    try:
        gitlab.lose_next_response("POST */issues", mode="hang")
        with pytest.raises(RetryLater, match=r"did not answer within 0\.5 s"):
            await create(activities)
        assert await create(activities) == 1
        assert len(gitlab.project(PROJECT).issues) == 1
    finally:
        activities.close()


async def test_notes_stay_under_gitlab_s_per_minute_limit(gitlab: FakeGitLab) -> None:
    activities = GitLabActivities(gitlab.url, token=gitlab.token, timeout=2, notes_per_minute=2)
    try:
        iid = await create(activities)
        for n in (1, 2):
            await activities.ensure_note(project=PROJECT, iid=iid, marker=f"m{n}", body=f"note <!-- m{n} -->")
        with pytest.raises(RetryLater, match="2 notes posted in the last minute") as waiting:
            await activities.ensure_note(project=PROJECT, iid=iid, marker="m3", body="note <!-- m3 -->")
        assert waiting.value.retry_after is not None and waiting.value.retry_after <= timedelta(seconds=60)
        # A retry of a note already posted needs no slot: it is found, not created.
        await activities.ensure_note(project=PROJECT, iid=iid, marker="m2", body="note <!-- m2 -->")
        assert len(gitlab.issue(iid, PROJECT).notes) == 2
    finally:
        activities.close()


async def test_an_activity_issue_made_twice_keeps_the_first_and_closes_the_other_with_a_note(
    gitlab: FakeGitLab, activities: GitLabActivities
) -> None:
    """Issue #11: if two issues ever exist for one create, the oldest is kept, the other closed and linked."""
    from adapters.gitlab.activity_delivery import ActivityDelivery
    from domain.activities.requests import CreateIssue
    from storage.outbox import OutboxMessage

    for _ in range(2):
        await activities.create_issue_with_marker(
            project=PROJECT, title="Upgrade", description=DESCRIPTION, labels=("activity",), due_date=None,
            assignee=None,
        )  # fmt: skip
    reported: list[tuple[int, int]] = []

    class Results:
        async def issue_created(self, activity_id: int, iid: int, url: str) -> None:
            reported.append((activity_id, iid))

    delivery = ActivityDelivery(activities, Results())  # type: ignore[arg-type]  # only issue_created is used
    request = CreateIssue(
        activity_id=4, project=PROJECT, marker="m4rk3r", title="Upgrade", description=DESCRIPTION,
        labels=("activity",), due_date=None, assignee=None,
    )  # fmt: skip
    message = OutboxMessage(1, "activities.gitlab.create_issue", request.to_payload(), "k", 1)

    await delivery.create(message)
    await delivery.create(message)  # a retry repeats nothing

    first, second = gitlab.project(PROJECT).issues
    assert reported == [(4, first.iid), (4, first.iid)]
    assert (first.state, second.state) == ("opened", "closed")
    assert [n.body.split(";")[0] for n in second.notes if not n.system] == [f"Duplicate of #{first.iid}"]
    assert [link.iid for link in await activities.find_issues_with_marker(project=PROJECT, marker="m4rk3r")] == [
        first.iid
    ]
