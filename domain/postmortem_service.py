"""Postmortem use cases: each loads, applies one rule, and queues its effects in the same transaction.

Effects come from the postmortem's events and state: GitLab and tracker writes (outbox),
reminder and merge-check timers (durable timers), and Teams messages (the notifier, which
writes to the outbox too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from domain.blameless import BlamingPhrase, check, suggestion_text
from domain.circle import Circle, Member
from domain.clock import Clock
from domain.incident import Incident, IncidentStatus
from domain.ports import UnitOfWork
from domain.postmortem import (
    REVIEWING,
    ActionTracker,
    CorrectiveAction,
    Postmortem,
    PostmortemError,
    PostmortemEvent,
)
from domain.postmortem_requests import (
    ACTION_LABELS,
    CheckMergeRequest,
    DraftInGitLab,
    FileAction,
    action_label,
    queue,
)
from domain.postmortem_schedule import (
    DEFAULT_ACTION_WORKING_DAYS,
    LEADER_GRACE_WORKING_DAYS,
    add_working_days,
    local_date,
    overdue_reminders,
    parse_due,
)
from domain.postmortem_template import render_draft
from domain.postmortem_triggers import evaluate_triggers

# How often an agreed postmortem asks GitLab whether its merge request is merged.
MERGE_CHECK_INTERVAL = timedelta(minutes=10)
REMINDER_TIMER = "postmortem.reminder"
MERGE_CHECK_TIMER = "postmortem.merge_check"


class PostmortemRepository(Protocol):
    async def add(self, postmortem: Postmortem) -> None: ...

    async def get(self, incident_number: int) -> Postmortem | None:
        """The postmortem of INC-<incident_number>, locked for the transaction, or None."""
        ...

    async def save(self, postmortem: Postmortem) -> None: ...


class PostmortemNotifier(Protocol):
    """What the postmortem process says in Teams; implementations queue messages on the same UoW."""

    async def postmortem_changed(self, uow: UnitOfWork, postmortem: Postmortem, circle: Circle) -> None:
        """Post the postmortem card (opening the review thread) or refresh it."""
        ...

    async def tell_review(self, uow: UnitOfWork, postmortem: Postmortem, circle: Circle, text: str) -> None:
        """Say something in the review thread."""
        ...

    async def remind(
        self, uow: UnitOfWork, postmortem: Postmortem, circle: Circle, member: Member, text: str, *, key: str
    ) -> None:
        """Remind one person privately (or in the review thread when that is impossible)."""
        ...


@dataclass
class PostmortemContext:
    """The collaborators every postmortem use case needs."""

    uow: UnitOfWork
    postmortems: PostmortemRepository
    clock: Clock
    notifier: PostmortemNotifier
    gitlab_enabled: bool
    jira_enabled: bool


# --- starting -----------------------------------------------------------------------------------


async def start_postmortem(ctx: PostmortemContext, number: int, by: Member, *, owner: str | None = None) -> Postmortem:
    """Draft the postmortem of a resolved incident; `by` must be a member of the incident's circle."""
    incident, circle = await _incident_and_circle(ctx, number)
    if circle.member(by.handle) is None:
        raise PostmortemError(f"only members of circle {circle.name} can start its postmortems")
    if incident.status not in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED):
        raise PostmortemError(f"resolve {incident.key} first: `/incident resolve {incident.key} <summary>`")
    if incident.postmortem_decision == "not_needed":
        raise PostmortemError(
            f"{incident.key} was decided not to need a postmortem ({incident.postmortem_reason or 'no reason'})"
        )
    existing = await ctx.postmortems.get(number)
    if existing is not None:
        raise PostmortemError(f"{incident.key} already has a postmortem ({existing.status.label}); see its thread")
    owner_handle = owner or circle.focus_sre or by.handle
    if circle.member(owner_handle) is None:
        raise PostmortemError(f"{owner_handle} is not a member of circle {circle.name}")
    now = ctx.clock.now()
    today = local_date(now, circle.time_zone)
    similar = await ctx.uow.incidents.count_similar(
        circle=circle.name,
        service=incident.service,
        fingerprint=incident.alert_fingerprint,
        since=now - circle.postmortem.recurrence_window,
    )
    triggers = evaluate_triggers(incident, similar_recent=similar, policy=circle.postmortem)
    postmortem = Postmortem.start(
        incident_number=incident.number,
        circle=circle.name,
        title=incident.title,
        owner=owner_handle,
        started_by=by.display_name,
        at=now,
        due=add_working_days(today, circle.postmortem.due_working_days, circle.working_days),
        document_date=local_date(incident.declared_at, circle.time_zone),
        triggers=tuple(f"{t.name}: {t.reason}" for t in triggers),
        root_cause=incident.root_cause,
        summary=incident.resolution_summary,
    )
    await ctx.postmortems.add(postmortem)
    await _apply_effects(ctx, postmortem, circle, incident=incident)
    return postmortem


async def load(ctx: PostmortemContext, number: int) -> tuple[Postmortem, Circle]:
    """The postmortem of INC-<number> and its circle, or a PostmortemError the user can act on."""
    postmortem = await ctx.postmortems.get(number)
    if postmortem is None:
        raise PostmortemError(f"INC-{number} has no postmortem; start one with `/postmortem start INC-{number}`")
    circle = await ctx.uow.circles.get(postmortem.circle)
    if circle is None:
        raise PostmortemError(f"INC-{number} belongs to circle {postmortem.circle}, which is no longer configured")
    return postmortem, circle


# --- the review ---------------------------------------------------------------------------------


async def request_review(ctx: PostmortemContext, number: int, by: str) -> Postmortem:
    postmortem, circle = await load(ctx, number)
    postmortem.request_review(by)
    return await _save(ctx, postmortem, circle)


@dataclass(frozen=True)
class ActionAdded:
    postmortem: Postmortem
    action: CorrectiveAction
    blaming: tuple[BlamingPhrase, ...]


async def add_action(
    ctx: PostmortemContext, number: int, by: str, *, text: str, owner: str | None, due: str | None = None
) -> ActionAdded:
    """Add a corrective action; `owner` defaults to the postmortem's owner, `due` to ten working days."""
    postmortem, circle = await load(ctx, number)
    owner_handle = owner or postmortem.owner
    if circle.member(owner_handle) is None:
        raise PostmortemError(f"{owner_handle} is not a member of circle {circle.name}; @mention a member")
    today = local_date(ctx.clock.now(), circle.time_zone)
    if due:
        due_date = parse_due(due, today, circle.working_days)
        if due_date is None:
            raise PostmortemError(f"`{due}` is not a due date; write 2026-12-04, fri, 3d, 2w or 5wd")
    else:
        due_date = add_working_days(today, DEFAULT_ACTION_WORKING_DAYS, circle.working_days)
    action = postmortem.add_action(text=text, owner=owner_handle, due=due_date, by=by, at=ctx.clock.now(), today=today)
    blaming = tuple(check(action.text, _people(circle)))
    if blaming:
        await ctx.notifier.tell_review(ctx.uow, postmortem, circle, f"{action.key}: " + suggestion_text(list(blaming)))
    await _save(ctx, postmortem, circle)
    return ActionAdded(postmortem, action, blaming)


async def agree_actions(ctx: PostmortemContext, number: int, by: str) -> Postmortem:
    """The review is done: file every action and start watching the merge request."""
    postmortem, circle = await load(ctx, number)
    postmortem.agree(by, ctx.clock.now())
    return await _save(ctx, postmortem, circle)


async def complete_action(ctx: PostmortemContext, number: int, action: int, by: str) -> Postmortem:
    postmortem, circle = await load(ctx, number)
    postmortem.complete_action(action, by, ctx.clock.now())
    return await _save(ctx, postmortem, circle)


async def review_comment(ctx: PostmortemContext, number: int, text: str) -> list[BlamingPhrase]:
    """Scan a review comment for blaming language and, when found, suggest a rephrase in the thread."""
    postmortem, circle = await load(ctx, number)
    findings = check(text, _people(circle))
    if findings:
        postmortem.revision += 1
        await ctx.notifier.tell_review(ctx.uow, postmortem, circle, suggestion_text(findings))
        await ctx.postmortems.save(postmortem)
    return findings


# --- what GitLab and the trackers answered (outbox deliveries) ---------------------------------


async def record_draft(ctx: PostmortemContext, number: int, iid: int, url: str) -> Postmortem:
    """The draft's merge request exists (idempotent: deliveries may repeat)."""
    postmortem, circle = await load(ctx, number)
    if not postmortem.record_merge_request(iid, url):
        return postmortem
    return await _save(ctx, postmortem, circle)


async def record_action_filed(
    ctx: PostmortemContext, number: int, action: int, ref: str, url: str | None
) -> Postmortem:
    """Action A<action> has its issue (idempotent)."""
    postmortem, circle = await load(ctx, number)
    if not postmortem.record_action_filed(action, ref, url):
        return postmortem
    return await _save(ctx, postmortem, circle)


async def record_merge_request_state(ctx: PostmortemContext, number: int, state: str) -> Postmortem:
    """GitLab's merge request state: "merged" may close the postmortem."""
    postmortem, circle = await load(ctx, number)
    if not postmortem.record_merge_request_state(state) and not postmortem.ready_to_close(
        needs_merge=ctx.gitlab_enabled
    ):
        return postmortem
    return await _save(ctx, postmortem, circle)


# --- timers -------------------------------------------------------------------------------------


async def on_reminder(ctx: PostmortemContext, number: int, subject: str, action: int | None, to: str) -> None:
    """An overdue review or action: remind its owner, later the Team Leader."""
    postmortem, circle = await load(ctx, number)
    today = local_date(ctx.clock.now(), circle.time_zone)
    if subject == "review":
        if not postmortem.review_overdue(today):
            return
        owner_handle = postmortem.owner
        what = f"The postmortem of {postmortem.incident_key} was due on {postmortem.due.isoformat()}"
        hint = f"finish the review and agree the actions: `/postmortem agree {postmortem.incident_key}`"
    else:
        item = postmortem.action(action or 0)
        if item.done:
            return
        owner_handle = item.owner
        what = f"Corrective action {postmortem.incident_key} {item.key} “{item.text}” was due on {item.due.isoformat()}"
        hint = f"when it is done: `/postmortem done {postmortem.incident_key} {item.key}`"
    owner = circle.member(owner_handle)
    owner_name = owner.display_name if owner else owner_handle
    if to == "owner":
        recipient, text = owner, f"{what}. {hint}"
    else:
        recipient = circle.member(circle.team_leader)
        text = f"{what} and is still open (owner: {owner_name}, reminded {LEADER_GRACE_WORKING_DAYS} working days ago)."
    if recipient is None:
        return
    key = f"teams:postmortem:{number}:remind:{subject}:{action or 0}:{to}"
    await ctx.notifier.remind(ctx.uow, postmortem, circle, recipient, text, key=key)


async def on_merge_check(ctx: PostmortemContext, number: int) -> None:
    """Ask GitLab about the merge request (through the outbox), and arm the next check."""
    postmortem, circle = await load(ctx, number)
    if not ctx.gitlab_enabled or not postmortem.waits_for_merge():
        return
    queue(
        ctx.uow.outbox,
        CheckMergeRequest(
            incident_number=number,
            project=circle.docs_repo,
            branch=postmortem.branch,
            iid=postmortem.merge_request_iid,
            check=postmortem.merge_request_checks,
        ),
    )
    postmortem.merge_request_checks += 1
    postmortem.merge_request_checked_at = ctx.clock.now()
    await ctx.postmortems.save(postmortem)
    await _sync_timers(ctx, postmortem, circle)


# --- effects ------------------------------------------------------------------------------------


async def _incident_and_circle(ctx: PostmortemContext, number: int) -> tuple[Incident, Circle]:
    incident = await ctx.uow.incidents.get(number)
    if incident is None:
        raise PostmortemError(f"there is no INC-{number}; `/incident list` shows the open ones")
    circle = await ctx.uow.circles.get(incident.circle)
    if circle is None:
        raise PostmortemError(f"INC-{number} belongs to circle {incident.circle}, which is no longer configured")
    return incident, circle


async def _save(ctx: PostmortemContext, postmortem: Postmortem, circle: Circle) -> Postmortem:
    await _apply_effects(ctx, postmortem, circle)
    return postmortem


async def _apply_effects(
    ctx: PostmortemContext, postmortem: Postmortem, circle: Circle, *, incident: Incident | None = None
) -> None:
    events = postmortem.pop_events()
    if any(event.name == "started" for event in events):
        # The card opens the review thread: it must be queued before anything said in the thread.
        await ctx.notifier.postmortem_changed(ctx.uow, postmortem, circle)
    for event in events:
        await _on_event(ctx, postmortem, circle, event, incident)
    postmortem.close_if_ready(ctx.clock.now(), needs_merge=ctx.gitlab_enabled)
    for event in postmortem.pop_events():
        await _on_event(ctx, postmortem, circle, event, incident)
    await ctx.postmortems.save(postmortem)
    await _sync_timers(ctx, postmortem, circle)
    if not any(event.name == "started" for event in events):
        await ctx.notifier.postmortem_changed(ctx.uow, postmortem, circle)


async def _on_event(
    ctx: PostmortemContext, postmortem: Postmortem, circle: Circle, event: PostmortemEvent, incident: Incident | None
) -> None:
    if event.name == "started" and incident is not None:
        draft = render_draft(postmortem, incident, circle)
        if ctx.gitlab_enabled:
            queue(ctx.uow.outbox, _draft_request(postmortem, circle, draft))
        findings = check(draft, _people(circle))
        if findings:
            await ctx.notifier.tell_review(
                ctx.uow, postmortem, circle, "In the draft's prefilled text: " + suggestion_text(findings)
            )
    elif event.name == "review_requested":
        await ctx.notifier.tell_review(
            ctx.uow, postmortem, circle, f"The postmortem of {postmortem.incident_key} is ready for review."
        )
    elif event.name == "agreed":
        for action in postmortem.actions:
            _file(ctx, postmortem, circle, action)
        await ctx.notifier.tell_review(ctx.uow, postmortem, circle, _agreed_text(ctx, postmortem, circle))
    elif event.name == "action_added" and postmortem.status not in REVIEWING and event.action is not None:
        _file(ctx, postmortem, circle, postmortem.action(event.action))
    elif event.name == "merge_request_state" and event.detail == "closed":
        await ctx.notifier.tell_review(
            ctx.uow,
            postmortem,
            circle,
            f"The merge request of {postmortem.incident_key} was closed without merging; "
            "reopen and merge it so the postmortem can close.",
        )
    elif event.name == "closed":
        await ctx.notifier.tell_review(
            ctx.uow,
            postmortem,
            circle,
            f"The postmortem of {postmortem.incident_key} is closed: {len(postmortem.actions)} action(s) filed"
            + (" and the document merged." if ctx.gitlab_enabled else "."),
        )


def _file(ctx: PostmortemContext, postmortem: Postmortem, circle: Circle, action: CorrectiveAction) -> None:
    """Queue the action's issue in the circle's tracker; without one, it is tracked in chat."""
    if action.filed or action.tracker is not None:
        return
    wanted = ActionTracker(circle.postmortem.actions_tracker)
    enabled = ctx.jira_enabled if wanted is ActionTracker.JIRA else ctx.gitlab_enabled
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
        ctx.uow.outbox,
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
            f"Due: {action.due.isoformat()}",
            f"Postmortem: {link}",
            f"Agreed by {postmortem.agreed_by or 'the circle'} in the review thread.",
        ]
    )


def _draft_request(postmortem: Postmortem, circle: Circle, content: str) -> DraftInGitLab:
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
            f"{owner.display_name if owner else postmortem.owner}. Review due {postmortem.due.isoformat()}.\n\n"
            "Complete the document on this branch; the review and the corrective actions happen in the "
            "circle's Teams thread. The postmortem closes when the actions are filed and this is merged."
        ),
        assignee=owner.gitlab_username if owner else None,
        labels=("postmortem",),
    )


def _agreed_text(ctx: PostmortemContext, postmortem: Postmortem, circle: Circle) -> str:
    tracker = circle.postmortem.actions_tracker
    enabled = ctx.jira_enabled if tracker == "jira" else ctx.gitlab_enabled
    where = f"filing them in {'Jira' if tracker == 'jira' else 'GitLab'}" if enabled else "tracking them here"
    tail = " It closes when they are filed and the merge request is merged." if ctx.gitlab_enabled else ""
    return f"Actions of {postmortem.incident_key} agreed by {postmortem.agreed_by}; {where}.{tail}"


def timer_keys(postmortem: Postmortem) -> list[str]:
    """Every reminder timer a postmortem may own, so state changes disarm the ones no longer wanted."""
    n = postmortem.incident_number
    keys = [f"postmortem:{n}:review:owner", f"postmortem:{n}:review:leader"]
    for action in postmortem.actions:
        keys += [f"postmortem:{n}:action:{action.number}:owner", f"postmortem:{n}:action:{action.number}:leader"]
    return keys


async def _sync_timers(ctx: PostmortemContext, postmortem: Postmortem, circle: Circle) -> None:
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
            await ctx.uow.timers.schedule(REMINDER_TIMER, key, due, dict(payload))
        else:
            await ctx.uow.timers.cancel(key)
    await _sync_merge_check(ctx, postmortem)


async def _sync_merge_check(ctx: PostmortemContext, postmortem: Postmortem) -> None:
    # One timer per check: a fired timer's key cannot be re-armed, so the counter names the next one.
    n, checks = postmortem.incident_number, postmortem.merge_request_checks
    for old in range(max(0, checks - 1), checks):
        await ctx.uow.timers.cancel(f"postmortem:{n}:merge-check:{old}")
    key = f"postmortem:{n}:merge-check:{checks}"
    if ctx.gitlab_enabled and postmortem.waits_for_merge():
        # From the previous check (or the agreement), so a save in between does not push it back.
        last = postmortem.merge_request_checked_at
        due = last + MERGE_CHECK_INTERVAL if last else (postmortem.agreed_at or ctx.clock.now())
        await ctx.uow.timers.schedule(MERGE_CHECK_TIMER, key, due, {"postmortem": n})
    else:
        await ctx.uow.timers.cancel(key)


def _people(circle: Circle) -> list[str]:
    """Names that must not appear as the cause of anything: members' names, first names and handles."""
    names: list[str] = []
    for member in circle.members:
        names += [member.display_name, member.display_name.split()[0], member.handle]
    return names
