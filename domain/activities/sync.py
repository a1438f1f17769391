"""In step with GitLab: importing an existing issue, issue/note/merge-request events (webhook or
reconcile), and the reconcile that re-reads open activity issues."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from domain.activities.context import (
    ActivitiesContext,
    RemoteIssue,
    circle_of,
    gitlab_user,
    require_gitlab,
)
from domain.activities.model import (
    Activity,
    ActivityError,
    ActivityStatus,
    Repository,
)
from domain.activities.requests import (
    LABEL_MERGE_REQUEST,
    READ_ISSUE,
    UPDATE_ISSUE,
    LabelMergeRequest,
    ReadIssue,
    UpdateIssue,
    ordering_key,
)
from domain.activities.template import parse_description
from domain.circle import Member


async def request_import(ctx: ActivitiesContext, circle_name: str, by: Member, ref: str) -> str:
    """Queue a read of the issue `ref` (URL, `group/project#12` or `#12`); the result adopts it."""
    require_gitlab(ctx)
    circle = await circle_of(ctx, circle_name)
    project, iid = parse_issue_ref(ref, default_project=circle.gitlab_activity_project)
    existing = await ctx.activities.by_issue(project, iid)
    if existing is not None:
        raise ActivityError(f"{project}#{iid} is already an activity of {existing.owner}")
    request = ReadIssue(purpose="import", circle=circle.name, project=project, iid=iid, owner=by.handle)
    ctx.uow.outbox.add(
        READ_ISSUE, request.to_payload(), idempotency_key=f"gitlab:import:{project}#{iid}:{ctx.clock.now().isoformat()}"
    )
    return f"{project}#{iid}"


def parse_issue_ref(ref: str, *, default_project: str | None) -> tuple[str, int]:
    """`https://gitlab/group/project/-/issues/12`, `group/project#12` or `#12` as (project, iid)."""
    text = ref.strip().strip("<>")
    if "/-/issues/" in text:
        left, _, right = text.partition("/-/issues/")
        path = left.split("://", 1)[-1].split("/", 1)[1] if "://" in left else left
        number = right.split("?")[0].split("#")[0].strip("/")
        if number.isdigit() and path:
            return path, int(number)
    if "#" in text:
        project, _, number = text.rpartition("#")
        if number.isdigit():
            if project:
                return project, int(number)
            if default_project:
                return default_project, int(number)
            raise ActivityError("this circle has no `gitlab_activity_project`; give the full issue URL")
    raise ActivityError(f"`{ref}` is not a GitLab issue; paste its URL or type `#12`")


async def adopt_issue(ctx: ActivitiesContext, circle_name: str, owner: str, issue: RemoteIssue) -> Activity:
    """An existing issue becomes an activity; sections missing from the template are named to the member."""
    circle = await circle_of(ctx, circle_name)
    existing = await ctx.activities.by_issue(issue.project, issue.iid)
    if existing is not None:
        return existing
    parsed = parse_description(issue.description, due_date=issue.due_date)
    status = circle.activities.labels.status_of(issue.labels) or "todo"
    repository = Repository.INTERNAL if issue.project == circle.gitlab_internal_project else Repository.CUSTOMER
    activity = Activity(
        circle=circle.name,
        owner=owner,
        title=issue.title,
        description=parsed.description,
        tasks=list(parsed.tasks),
        definition_of_done=list(parsed.definition_of_done),
        deadline=parsed.deadline,
        repository=repository,
        project=issue.project,
        marker=parsed.marker or uuid.uuid4().hex[:16],
        created_by=owner,
        created_at=ctx.clock.now(),
        iid=issue.iid,
        web_url=issue.web_url,
        status=ActivityStatus.DONE if issue.state == "closed" else ActivityStatus(status),
        missing_sections=parsed.missing,
    )
    if activity.status is ActivityStatus.WIP:
        activity.started_at = activity.wip_since = ctx.clock.now()
    activity = await ctx.activities.add(activity)
    missing_labels = [lb for lb in circle.activities.issue_labels(activity.status.value) if lb not in issue.labels]
    if missing_labels:
        request = UpdateIssue(project=issue.project, iid=issue.iid, add_labels=tuple(missing_labels))
        ctx.uow.outbox.add(
            UPDATE_ISSUE,
            request.to_payload(),
            idempotency_key=f"gitlab:activity:{activity.marker}:import-labels",
            ordering_key=ordering_key(activity.marker),
        )
    member = circle.member(owner)
    if member is not None:
        gaps = (
            "It follows the template."
            if not parsed.missing
            else "Missing from the template: " + "; ".join(parsed.missing) + ". Add them on GitLab."
        )
        await ctx.notifier.tell(
            ctx.uow,
            circle,
            member,
            f"Imported {activity.ref} {activity.title}. {gaps}",
            key=f"teams:activity:{activity.marker}:imported",
        )
    await ctx.notifier.activity_changed(ctx.uow, activity, circle)
    return activity


# --- in step with GitLab ------------------------------------------------------------------------


async def issue_changed(ctx: ActivitiesContext, issue: RemoteIssue) -> Activity | None:
    """GitLab says the issue changed (webhook or reconcile): status, tasks, deadline follow it.

    Work started on GitLab while another activity is WIP: the member is asked which one stays.
    """
    activity = await ctx.activities.by_issue(issue.project, issue.iid)
    if activity is None:
        return None
    circle = await circle_of(ctx, activity.circle)
    parsed = parse_description(issue.description, due_date=issue.due_date)
    before = (activity.status, activity.tasks, activity.definition_of_done, activity.deadline, activity.title)
    if parsed.tasks:
        activity.tasks = list(parsed.tasks)
    if parsed.definition_of_done:
        activity.definition_of_done = list(parsed.definition_of_done)
    activity.deadline = issue.due_date or parsed.deadline or activity.deadline
    activity.title = issue.title or activity.title
    remote = "done" if issue.state == "closed" else circle.activities.labels.status_of(issue.labels)
    stale = (
        issue.updated_at is not None
        and activity.status_changed_at is not None
        and issue.updated_at < activity.status_changed_at
    )
    if stale:
        # An event sent before the bot's own latest move (webhooks may arrive late): its status is old news.
        remote = None
    if issue.last_assignee_note_at is not None:
        activity.feedback_seen(issue.last_assignee_note_at)
    started_elsewhere = remote == "wip" and activity.status is not ActivityStatus.WIP
    if remote is not None:
        activity.took_status(ActivityStatus(remote), ctx.clock.now())
    if before == (activity.status, activity.tasks, activity.definition_of_done, activity.deadline, activity.title):
        await ctx.activities.save(activity)
        return activity
    activity.revision += 1
    await ctx.activities.save(activity)
    if started_elsewhere:
        others = [
            a
            for a in await ctx.activities.of_member(circle.name, activity.owner)
            if a.status is ActivityStatus.WIP and a.id != activity.id
        ]
        if others:
            await ctx.notifier.ask_which(ctx.uow, others[0], activity, circle)
    await ctx.notifier.activity_changed(ctx.uow, activity, circle)
    return activity


async def note_written(
    ctx: ActivitiesContext, project: str, iid: int, *, author: str, at: datetime, system: bool, body: str
) -> bool:
    """A note on GitLab by the assignee (not a system note, not ours) counts as the day's feedback."""
    if system or "<!-- circlebot:" in body:
        return False
    activity = await ctx.activities.by_issue(project, iid)
    if activity is None:
        return False
    circle = await circle_of(ctx, activity.circle)
    member = circle.member(activity.owner)
    if member is None or not member.gitlab_username or member.gitlab_username.lower() != author.lower():
        return False
    activity.feedback_seen(at)
    await ctx.activities.save(activity)
    return True


_ISSUE_REFERENCE = re.compile(r"(?<![\w/!])#(\d+)\b")


async def merge_request_opened(
    ctx: ActivitiesContext,
    project: str,
    mr_iid: int,
    *,
    source_branch: str,
    title: str,
    description: str,
    labels: tuple[str, ...],
) -> Activity | None:
    """A merge request for an activity (`Closes #12` in its text, or a `12-…` branch) gets the activity's labels."""
    candidates = [int(n) for n in _ISSUE_REFERENCE.findall(f"{title}\n{description}")]
    branch = re.match(r"(\d+)-", source_branch)
    if branch:
        candidates.append(int(branch.group(1)))
    for iid in dict.fromkeys(candidates):
        activity = await ctx.activities.by_issue(project, iid)
        if activity is None:
            continue
        circle = await circle_of(ctx, activity.circle)
        wanted = circle.activities.issue_labels(activity.status.value, activity.extra_labels)
        missing = tuple(label for label in wanted if label not in labels)
        if missing:
            request = LabelMergeRequest(project=project, mr_iid=mr_iid, labels=missing)
            ctx.uow.outbox.add(
                LABEL_MERGE_REQUEST,
                request.to_payload(),
                idempotency_key=f"gitlab:mr:{project}!{mr_iid}:labels:{','.join(missing)}"[:255],
            )
        return activity
    return None


async def reconcile(ctx: ActivitiesContext, circle_name: str) -> int:
    """Queue a read of every open activity issue (the safety net for missed webhooks); returns how many."""
    if not ctx.gitlab_enabled:
        return 0
    circle = await circle_of(ctx, circle_name)
    hour = ctx.clock.now().strftime("%Y-%m-%dT%H")
    queued = 0
    for activity in await ctx.activities.open_in_circle(circle.name):
        if activity.iid is None or activity.id is None:
            continue
        request = ReadIssue(
            purpose="reconcile",
            circle=circle.name,
            project=activity.project,
            iid=activity.iid,
            activity_id=activity.id,
            assignee=gitlab_user(circle, activity.owner),
        )
        ctx.uow.outbox.add(
            READ_ISSUE, request.to_payload(), idempotency_key=f"gitlab:activity:{activity.marker}:reconcile:{hour}"
        )
        queued += 1
    return queued
