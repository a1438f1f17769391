"""Postmortem use cases: each loads, applies one rule, and queues its effects in the same transaction.

Effects come from the postmortem's events and state: GitLab and tracker writes (outbox),
reminder and merge-check timers (durable timers), and Teams messages (the notifier, which
writes to the outbox too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from domain.circle import Circle, Member
from domain.clock import Clock
from domain.incidents.model import Incident, IncidentStatus
from domain.incidents.triggers import evaluate_triggers
from domain.local_time import format_date
from domain.ports import UnitOfWork
from domain.postmortems.blameless import BlamingPhrase, check, suggestion_text
from domain.postmortems.effects import (
    agreed_text,
    draft_request,
    file_action,
    people_named,
    sync_timers,
)
from domain.postmortems.model import (
    REVIEWING,
    CorrectiveAction,
    Postmortem,
    PostmortemError,
    PostmortemEvent,
)
from domain.postmortems.requests import (
    CheckMergeRequest,
    queue,
)
from domain.postmortems.schedule import (
    DEFAULT_ACTION_WORKING_DAYS,
    LEADER_GRACE_WORKING_DAYS,
    add_working_days,
    local_date,
    parse_due,
)
from domain.postmortems.template import render_draft


class PostmortemRepository(Protocol):
    async def add(self, postmortem: Postmortem) -> None: ...

    async def get(self, incident_number: int) -> Postmortem | None:
        """The postmortem of INC-<incident_number>, locked for the transaction, or None."""
        ...

    async def save(self, postmortem: Postmortem) -> None: ...

    async def by_thread(self, conversation_id: str) -> Postmortem | None:
        """The postmortem whose review thread this is."""
        ...

    async def in_circle(self, circle: str, *, limit: int = 20) -> list[Postmortem]:
        """The circle's postmortems, newest first."""
        ...

    async def search(self, words: list[str], *, limit: int = 10) -> list[Postmortem]:
        """Past postmortems mentioning the words (title, triggers, root cause), best first."""
        ...


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
    blaming = tuple(check(action.text, people_named(circle)))
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
    findings = check(text, people_named(circle))
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
        what = f"The postmortem of {postmortem.incident_key} was due on {format_date(postmortem.due, today)}"
        hint = f"finish the review and agree the actions: `/postmortem agree {postmortem.incident_key}`"
    else:
        item = postmortem.action(action or 0)
        if item.done:
            return
        owner_handle = item.owner
        due = format_date(item.due, today)
        what = f"Corrective action {postmortem.incident_key} {item.key} “{item.text}” was due on {due}"
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
    await sync_timers(ctx.uow, ctx.clock, postmortem, circle, gitlab_enabled=ctx.gitlab_enabled)


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
    await sync_timers(ctx.uow, ctx.clock, postmortem, circle, gitlab_enabled=ctx.gitlab_enabled)
    if not any(event.name == "started" for event in events):
        await ctx.notifier.postmortem_changed(ctx.uow, postmortem, circle)


async def _on_event(
    ctx: PostmortemContext, postmortem: Postmortem, circle: Circle, event: PostmortemEvent, incident: Incident | None
) -> None:
    if event.name == "started" and incident is not None:
        draft = render_draft(postmortem, incident, circle)
        if ctx.gitlab_enabled:
            queue(ctx.uow.outbox, draft_request(postmortem, circle, draft))
        findings = check(draft, people_named(circle))
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
        await ctx.notifier.tell_review(
            ctx.uow,
            postmortem,
            circle,
            agreed_text(postmortem, circle, jira_enabled=ctx.jira_enabled, gitlab_enabled=ctx.gitlab_enabled),
        )
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
    file_action(
        ctx.uow.outbox, postmortem, circle, action, jira_enabled=ctx.jira_enabled, gitlab_enabled=ctx.gitlab_enabled
    )
