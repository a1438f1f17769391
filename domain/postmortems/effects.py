"""What follows from a postmortem's change: GitLab and tracker writes, reminders, the merge check."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.circle import Circle
from domain.clock import Clock
from domain.local_time import format_date
from domain.ports import OutboxWriter, UnitOfWork
from domain.postmortems.model import REVIEWING, ActionTracker, CorrectiveAction, Postmortem
from domain.postmortems.requests import ACTION_LABELS, DraftInGitLab, FileAction, action_label, queue
from domain.postmortems.schedule import overdue_reminders

# How often an agreed postmortem asks GitLab whether its merge request is merged.
MERGE_CHECK_INTERVAL = timedelta(minutes=10)
REMINDER_TIMER = "postmortem.reminder"
MERGE_CHECK_TIMER = "postmortem.merge_check"


def file_action(
    outbox: OutboxWriter,
    postmortem: Postmortem,
    circle: Circle,
    action: CorrectiveAction,
    *,
    jira_enabled: bool,
    gitlab_enabled: bool,
) -> None:
    """Queue the action's issue in the circle's tracker; without one, it is tracked in chat."""
    if action.filed or action.tracker is not None:
        return
    wanted = ActionTracker(circle.postmortem.actions_tracker)
    enabled = jira_enabled if wanted is ActionTracker.JIRA else gitlab_enabled
    if not enabled:
        postmortem.mark_filing(action.number, ActionTracker.CHAT)
        return
    postmortem.mark_filing(action.number, wanted)
    owner = circle.member(action.owner)
    if wanted is ActionTracker.JIRA:
        project, assignee = circle.jira.project_key, owner.jira_account if owner else None
    else:
        project, assignee = circle.gitlab_activity_project or circle.docs_repo, owner.gitlab_username if owner else None
    queue(
        outbox,
        FileAction(
            incident_number=postmortem.incident_number,
            action_number=action.number,
            tracker=wanted.value,
            project=project,
            title=f"{postmortem.incident_key} {action.key}: {action.text}"[:250],
            description=_action_description(postmortem, circle, action),
            owner=assignee,
            due=action.due.isoformat(),
            label=action_label(postmortem.incident_number, action.number),
            labels=ACTION_LABELS,
        ),
    )


def _action_description(postmortem: Postmortem, circle: Circle, action: CorrectiveAction) -> str:
    owner = circle.member(action.owner)
    link = postmortem.merge_request_url or f"{circle.docs_repo}: {postmortem.path}"
    return "\n".join(
        [
            f"Corrective action {action.key} from the postmortem of {postmortem.incident_key}: {postmortem.title}.",
            "",
            action.text,
            "",
            f"Owner: {owner.display_name if owner else action.owner}",
            f"Due: {format_date(action.due)}",
            f"Postmortem: {link}",
            f"Agreed by {postmortem.agreed_by or 'the circle'} in the review thread.",
        ]
    )


def draft_request(postmortem: Postmortem, circle: Circle, content: str) -> DraftInGitLab:
    owner = circle.member(postmortem.owner)
    return DraftInGitLab(
        incident_number=postmortem.incident_number,
        project=circle.docs_repo,
        branch=postmortem.branch,
        path=postmortem.path,
        content=content,
        commit_message=f"Postmortem draft for {postmortem.incident_key}",
        title=f"Draft: Postmortem {postmortem.incident_key} {postmortem.title}"[:255],
        description=(
            f"Postmortem of {postmortem.incident_key}, drafted by circlebot and owned by "
            f"{owner.display_name if owner else postmortem.owner}. Review due {format_date(postmortem.due)}.\n\n"
            "Complete the document on this branch; the review and the corrective actions happen in the "
            "circle's Teams thread. The postmortem closes when the actions are filed and this is merged."
        ),
        assignee=owner.gitlab_username if owner else None,
        labels=("postmortem",),
    )


def agreed_text(postmortem: Postmortem, circle: Circle, *, jira_enabled: bool, gitlab_enabled: bool) -> str:
    """What the review thread is told when the actions are agreed."""
    tracker = circle.postmortem.actions_tracker
    enabled = jira_enabled if tracker == "jira" else gitlab_enabled
    where = f"filing them in {'Jira' if tracker == 'jira' else 'GitLab'}" if enabled else "tracking them here"
    tail = " It closes when they are filed and the merge request is merged." if gitlab_enabled else ""
    return f"Actions of {postmortem.incident_key} agreed by {postmortem.agreed_by}; {where}.{tail}"


def timer_keys(postmortem: Postmortem) -> list[str]:
    """Every reminder timer a postmortem may own, so state changes disarm the ones no longer wanted."""
    n = postmortem.incident_number
    keys = [f"postmortem:{n}:review:owner", f"postmortem:{n}:review:leader"]
    for action in postmortem.actions:
        keys += [f"postmortem:{n}:action:{action.number}:owner", f"postmortem:{n}:action:{action.number}:leader"]
    return keys


async def sync_timers(
    uow: UnitOfWork, clock: Clock, postmortem: Postmortem, circle: Circle, *, gitlab_enabled: bool
) -> None:
    """Arm the reminders and the merge check the state calls for, and disarm the rest (idempotent)."""
    n = postmortem.incident_number
    wanted: dict[str, tuple[datetime, dict[str, object]]] = {}
    if postmortem.status in REVIEWING:
        owner_at, leader_at = overdue_reminders(postmortem.due, circle.time_zone, circle.working_days)
        for to, due in (("owner", owner_at), ("leader", leader_at)):
            wanted[f"postmortem:{n}:review:{to}"] = (due, {"postmortem": n, "subject": "review", "to": to})
    for action in postmortem.actions:
        if action.done:
            continue
        owner_at, leader_at = overdue_reminders(action.due, circle.time_zone, circle.working_days)
        for to, due in (("owner", owner_at), ("leader", leader_at)):
            payload: dict[str, object] = {"postmortem": n, "subject": "action", "action": action.number, "to": to}
            wanted[f"postmortem:{n}:action:{action.number}:{to}"] = (due, payload)
    for key in timer_keys(postmortem):
        if key in wanted:
            due, payload = wanted[key]
            await uow.timers.schedule(REMINDER_TIMER, key, due, dict(payload))
        else:
            await uow.timers.cancel(key)
    await _sync_merge_check(uow, clock, postmortem, gitlab_enabled=gitlab_enabled)


async def _sync_merge_check(uow: UnitOfWork, clock: Clock, postmortem: Postmortem, *, gitlab_enabled: bool) -> None:
    # One timer per check: a fired timer's key cannot be re-armed, so the counter names the next one.
    n, checks = postmortem.incident_number, postmortem.merge_request_checks
    for old in range(max(0, checks - 1), checks):
        await uow.timers.cancel(f"postmortem:{n}:merge-check:{old}")
    key = f"postmortem:{n}:merge-check:{checks}"
    if gitlab_enabled and postmortem.waits_for_merge():
        # From the previous check (or the agreement), so a save in between does not push it back.
        last = postmortem.merge_request_checked_at
        due = last + MERGE_CHECK_INTERVAL if last else (postmortem.agreed_at or clock.now())
        await uow.timers.schedule(MERGE_CHECK_TIMER, key, due, {"postmortem": n})
    else:
        await uow.timers.cancel(key)


def people_named(circle: Circle) -> list[str]:
    """Names that must not appear as the cause of anything: members' names, first names and handles."""
    names: list[str] = []
    for member in circle.members:
        names += [member.display_name, member.display_name.split()[0], member.handle]
    return names
