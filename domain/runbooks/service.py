"""Runbook use cases: the check, a new runbook's merge request, drills and their gaps, readiness.

Each takes a RunbooksContext; the caller commits (one use case, one transaction), so the messages
and GitLab writes they queue go out with the state change or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from domain.circle import Circle, Member, Role
from domain.clock import Clock
from domain.ports import UnitOfWork
from domain.recurring import late_note
from domain.runbooks import requests
from domain.runbooks.check import Finding, RunbookReport, check_runbook
from domain.runbooks.document import Runbook, parse_runbook
from domain.runbooks.drill import Drill, DrillError, DrillStatus, Question, Verdict, pick_questions
from domain.runbooks.ports import DrillRepository, RunbookHistory, RunbookNotifier, RunbookSource, RunbookUnavailable
from domain.runbooks.questions import derived_questions
from domain.runbooks.readiness import unready_members
from domain.runbooks.template import render_runbook
from domain.services import Service


class RunbookError(ValueError):
    """A runbook command cannot be done; the text says what to type instead."""


@dataclass
class RunbooksContext:
    uow: UnitOfWork
    clock: Clock
    source: RunbookSource
    history: RunbookHistory
    drills: DrillRepository
    notifier: RunbookNotifier
    gitlab_enabled: bool


def find_service(circle: Circle, name: str) -> Service:
    """The circle's service called `name`, or a RunbookError listing the services."""
    service = circle.service(name)
    if service is None:
        known = ", ".join(s.name for s in circle.services) or "none yet (add `services:` to circles.yaml)"
        raise RunbookError(f"{circle.name} has no service called `{name}`; services: {known}")
    return service


# --- the runbook check ------------------------------------------------------------------------


async def check_service(ctx: RunbooksContext, circle: Circle, service: Service) -> RunbookReport:
    """Read one runbook and check it against the template, the alerts seen, its age and the actions."""
    try:
        copy = await ctx.source.runbook(circle, service)
    except RunbookUnavailable as error:
        return RunbookReport(service, (Finding("unreadable", f"could not be read: {error}"),))
    now = ctx.clock.now()
    policy = circle.runbooks
    return check_runbook(
        service,
        parse_runbook(copy.markdown) if copy.markdown is not None else None,
        last_commit_at=copy.last_commit_at,
        now=now,
        policy=policy,
        alerts_fired=await ctx.history.alerts_fired(circle, service, now - policy.alerts_lookback),
        actions=await ctx.history.action_mentions(circle, service),
    )


async def run_check(
    ctx: RunbooksContext, circle: Circle, *, key: str, due_at: datetime | None = None
) -> list[RunbookReport]:
    """Check every runbook of the circle; each owner hears of theirs privately, the Team Leader gets one summary."""
    reports = [await check_service(ctx, circle, service) for service in circle.services]
    by_owner: dict[str, list[RunbookReport]] = {}
    for report in reports:
        if not report.ok:
            by_owner.setdefault(report.service.owner, []).append(report)
    for handle, theirs in by_owner.items():
        owner = circle.member(handle)
        if owner is None:
            continue
        text = "Your runbooks need attention (handbook: a runbook must always be up to date):\n" + "\n".join(
            f"- {r.service.name} ({r.service.runbook}): " + "; ".join(f.text for f in r.findings) for r in theirs
        )
        await ctx.notifier.tell(ctx.uow, circle, owner, text, key=f"{key}:owner:{handle}")
    late = late_note("runbook check", due_at, ctx.clock.now(), ZoneInfo(circle.time_zone)) if due_at else None
    await ctx.notifier.check_summary(ctx.uow, circle, reports, key=f"{key}:summary", late=late)
    return reports


def queue_check(ctx: RunbooksContext, circle: Circle, *, key: str) -> None:
    """Queue a runbook check to run after this transaction (it reads GitLab, and is retried)."""
    requests.queue(ctx.uow.outbox, requests.RunCheck(circle=circle.name, key=key))


# --- a new runbook ------------------------------------------------------------------------------


async def new_runbook(
    ctx: RunbooksContext, circle: Circle, service_name: str, by: Member
) -> requests.NewRunbookMergeRequest:
    """Queue the merge request that adds the service's runbook from the template, owner as assignee."""
    if not ctx.gitlab_enabled:
        raise RunbookError("GitLab is not configured (GITLAB_URL), so I cannot open a merge request")
    service = find_service(circle, service_name)
    try:
        copy = await ctx.source.runbook(circle, service)
    except RunbookUnavailable:
        copy = None  # GitLab is briefly down: the merge request is queued and retried anyway
    if copy is not None and copy.markdown is not None:
        raise RunbookError(
            f"{service.runbook} exists already ({copy.web_url or circle.docs_repo}); "
            "`/runbook check` says what it lacks"
        )
    now = ctx.clock.now()
    content = render_runbook(
        circle,
        service,
        alerts_seen=await ctx.history.alerts_fired(circle, service, now - circle.runbooks.alerts_lookback),
        postmortems=await ctx.history.postmortems(circle, service),
    )
    owner = circle.member(service.owner)
    request = requests.NewRunbookMergeRequest(
        circle=circle.name,
        service=service.name,
        project=circle.docs_repo,
        branch=f"runbook/{service.name}",
        path=service.runbook,
        content=content,
        title=f"Draft: Runbook for {service.name}",
        description=(
            f"The runbook of {service.name}, drafted by circlebot from the handbook's template for "
            f"{owner.display_name if owner else service.owner}, who owns it. Fill in the sections in italics; "
            f"the SLA, escalation path, alerts seen and postmortems are prefilled from what the bot knows.\n\n"
            f"Requested by {by.display_name}."
        ),
        assignee=owner.gitlab_username if owner else None,
        requested_by=by.handle,
    )
    requests.queue(ctx.uow.outbox, request)
    return request


# --- drills -------------------------------------------------------------------------------------


async def start_drill(
    ctx: RunbooksContext, circle: Circle, by: Member, member: Member, *, topics: Sequence[str], count: int
) -> tuple[Drill, list[str]]:
    """The Team Leader sends `member` a drill; returns it with the question bank's mistakes (if any)."""
    if by.handle != circle.team_leader:
        raise RunbookError("only the Team Leader starts a drill; ask them, or practise with the runbooks")
    if member.role is Role.STAKEHOLDER:
        raise RunbookError(f"{member.display_name} is a stakeholder, not on the rota")
    running = [d for d in await ctx.drills.of_circle(circle.name, member=member.handle, limit=5)
               if d.status is DrillStatus.RUNNING]  # fmt: skip
    if running:
        raise RunbookError(f"{member.display_name} has drill #{running[0].id} still running; one at a time")
    bank, errors = await ctx.source.question_bank(circle)
    runbooks: dict[str, Runbook] = {}
    for service in circle.services:
        try:
            copy = await ctx.source.runbook(circle, service)
        except RunbookUnavailable:
            continue
        if copy.markdown is not None:
            runbooks[service.name] = parse_runbook(copy.markdown)
    now = ctx.clock.now()
    try:
        questions = pick_questions(
            [*bank, *derived_questions(circle, runbooks)], topics=topics, count=count,
            seed=f"{circle.name}:{member.handle}:{now.isoformat()}",
        )  # fmt: skip
    except DrillError as error:
        raise RunbookError(str(error)) from None
    drill = await ctx.drills.add(Drill(circle.name, member.handle, by.handle, now, questions))
    await ctx.notifier.ask_question(ctx.uow, circle, drill, 0)
    return drill, errors


async def _drill(ctx: RunbooksContext, drill_id: int) -> tuple[Drill, Circle]:
    drill = await ctx.drills.get(drill_id)
    circle = await ctx.uow.circles.get(drill.circle) if drill else None
    if drill is None or circle is None:
        raise RunbookError("that drill no longer exists")
    return drill, circle


async def answer_question(ctx: RunbooksContext, drill_id: int, by: Member, index: int, given: str) -> Drill:
    """The member's answer: a choice is graded now, an open answer goes to the Team Leader; then the next question."""
    drill, circle = await _drill(ctx, drill_id)
    if by.handle != drill.member:
        raise RunbookError("this drill is someone else's")
    try:
        answer = drill.answer(index, given, ctx.clock.now())
    except DrillError as error:
        raise RunbookError(str(error)) from None
    await ctx.drills.save(drill, circle.runbooks.pass_mark)
    if answer.verdict is Verdict.PENDING:
        await ctx.notifier.ask_grade(ctx.uow, circle, drill, index)
    following = drill.next_index
    if following is not None:
        await ctx.notifier.ask_question(ctx.uow, circle, drill, following)
    elif drill.status is DrillStatus.DONE:
        await ctx.notifier.drill_done(ctx.uow, circle, drill)
    return drill


async def grade_answer(
    ctx: RunbooksContext, drill_id: int, by: Member, index: int, right: bool, note: str = ""
) -> Drill:
    """The Team Leader's verdict on an open answer; the results go out when it was the last."""
    drill, circle = await _drill(ctx, drill_id)
    if by.handle != circle.team_leader:
        raise RunbookError("only the Team Leader grades open answers")
    was = drill.status
    try:
        drill.grade(index, right, by.handle, ctx.clock.now(), note)
    except DrillError as error:
        raise RunbookError(str(error)) from None
    await ctx.drills.save(drill, circle.runbooks.pass_mark)
    if was is not DrillStatus.DONE and drill.status is DrillStatus.DONE:
        await ctx.notifier.drill_done(ctx.uow, circle, drill)
    return drill


async def open_gaps(ctx: RunbooksContext, circle: Circle) -> list[Drill]:
    """Finished drills with wrong answers not yet turned into corrective actions, newest first."""
    drills = await ctx.drills.of_circle(circle.name)
    return [d for d in drills if d.status is DrillStatus.DONE and d.gaps() and d.gaps_filed_at is None]


async def file_gaps(ctx: RunbooksContext, circle: Circle, by: Member) -> list[requests.FileDrillGap]:
    """The review: every open gap becomes a GitLab issue on the runbook or docs (through the outbox)."""
    if by.handle != circle.team_leader:
        raise RunbookError("only the Team Leader turns drill gaps into corrective actions")
    if not ctx.gitlab_enabled:
        raise RunbookError("GitLab is not configured (GITLAB_URL), so I cannot file the gaps as issues")
    filed = []
    for drill in await open_gaps(ctx, circle):
        for index, question, answer in drill.gaps():
            request = _gap_request(circle, drill, index, question, answer.given)
            requests.queue(ctx.uow.outbox, request)
            filed.append(request)
        drill.gaps_filed_at = ctx.clock.now()
        drill.revision += 1
        await ctx.drills.save(drill, circle.runbooks.pass_mark)
    return filed


def _gap_request(circle: Circle, drill: Drill, index: int, question: Question, given: str) -> requests.FileDrillGap:
    service = _service_of(circle, question.runbook)
    owner = circle.member(service.owner if service else circle.team_leader)
    where = question.runbook or (service.runbook if service else "the circle's docs")
    assert drill.id is not None
    return requests.FileDrillGap(
        circle=circle.name,
        drill_id=drill.id,
        question=index,
        project=circle.docs_repo,
        title=f"Drill gap ({question.topic}): {question.text}"[:250],
        description="\n".join(
            [
                f"An internal test of {circle.name} on {drill.started_at:%Y-%m-%d} showed a gap (handbook: "
                '"create corrective actions" out of the results).',
                "",
                f"**Question** ({question.topic}): {question.text}",
                f"**Expected**: {question.answer}",
                f"**Answered**: {given}",
                f"**Where it should be clear**: {where}",
                "",
                "Make the runbook or docs answer this plainly, or fix the question if the runbook is right.",
            ]
        ),
        assignee=owner.gitlab_username if owner else None,
        label=requests.gap_label(drill.id, index),
    )


def _service_of(circle: Circle, reference: str | None) -> Service | None:
    if not reference:
        return None
    name = reference.split("#", 1)[0]
    return circle.service(name) or next((s for s in circle.services if s.runbook == name), None)


# --- readiness ----------------------------------------------------------------------------------


async def readiness(ctx: RunbooksContext, circle: Circle) -> dict[str, str]:
    """Members who are not on-call ready, with why."""
    return unready_members(circle, await ctx.drills.last_passed(circle.name), ctx.clock.now())
