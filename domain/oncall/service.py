"""On-call use cases: rota changes, the timers that follow the rota, and shift handovers.

The rota's recurring work (shift changes, shift reminders, the weekly gap report) is described in
domain/oncall_schedule.py and armed by the shared schedule planner, which the callers run again
after every rota change. A fired timer checks the rota again first, so a stale run is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.circle import Circle, Member, Role
from domain.clock import Clock
from domain.local_time import format_moment
from domain.oncall.handover import Handover, HandoverBrief, build_brief
from domain.oncall.model import (
    ShiftChange,
    change_at,
    gap_lines,
    plan_override,
    plan_swap,
    shift_changes,
    turns_between,
)
from domain.oncall.moments import OnCallError
from domain.oncall.ports import (
    HandoverRepository,
    IncidentHistory,
    OnCallNotifier,
    OverrideRepository,
    PluggableReadiness,
    PostmortemHistory,
    Readiness,
)
from domain.ports import UnitOfWork
from domain.recurring import late_note
from domain.rota import Layer, Override

HANDOVER_CHASE = "oncall.handover_chase"
GAP_REPORT_WEEKS = 2


@dataclass
class OnCallContext:
    """The collaborators every on-call use case needs."""

    uow: UnitOfWork
    clock: Clock
    notifier: OnCallNotifier
    overrides: OverrideRepository
    handovers: HandoverRepository
    incidents: IncidentHistory
    postmortems: PostmortemHistory
    # Drills (runbooks feature) say who is on-call ready; without them everyone counts as ready.
    readiness: Readiness = field(default_factory=PluggableReadiness)


# --- rota changes ---------------------------------------------------------------------------------


async def add_override(
    ctx: OnCallContext,
    circle: Circle,
    *,
    caller: Member | None,
    covering: Member,
    layer: Layer,
    start: datetime,
    end: datetime,
    reason: str = "",
) -> tuple[int, Override]:
    """Store an override the caller may make; the caller re-plans the circle once it is committed."""
    now = ctx.clock.now()
    override = plan_override(
        circle, caller=caller, covering=covering, layer=layer, start=start, end=end, now=now, reason=reason
    )
    override_id = await ctx.overrides.add(circle.name, override, now=now)
    return override_id, override


async def swap_turns(
    ctx: OnCallContext, circle: Circle, *, caller: Member | None, first: Member, second: Member, layer: Layer
) -> tuple[Override, Override]:
    """Exchange the next turns of two people, as two overrides."""
    overrides = plan_swap(circle, caller=caller, first=first, second=second, layer=layer, now=ctx.clock.now())
    for override in overrides:
        await ctx.overrides.add(circle.name, override, now=ctx.clock.now())
    return overrides


async def cancel_override(ctx: OnCallContext, circle: Circle, *, caller: Member | None, override_id: int) -> Override:
    """Withdraw an override: the Team Leader, or whoever made it, may."""
    upcoming = dict(await ctx.overrides.upcoming(circle.name, ctx.clock.now()))
    override = upcoming.get(override_id)
    if override is None:
        raise OnCallError(f"there is no upcoming override #{override_id}; `/oncall overrides` lists them")
    if caller is None or (caller.handle != circle.team_leader and caller.handle != override.created_by):
        raise OnCallError("only the Team Leader or the person who made an override may cancel it")
    await ctx.overrides.cancel(override_id, circle=circle.name, now=ctx.clock.now())
    return override


# --- timers ---------------------------------------------------------------------------------------


async def on_shift_change(ctx: OnCallContext, circle_name: str, layer: Layer, at: datetime) -> Handover | None:
    """A planned shift change is due: start its handover, unless the rota moved on or it was started."""
    circle = await _active_circle(ctx, circle_name)
    if circle is None:
        return None
    change = change_at(circle.rota, layer, at)
    handover = None
    if change is not None and await ctx.handovers.find(circle.name, layer, at) is None:
        handover, _unreached = await _start(ctx, circle, change)
    return handover


@dataclass(frozen=True)
class HandoverStart:
    """What `/handover` did: the handover, whether it started now, and who the bot could not reach."""

    handover: Handover
    started: bool
    unreached: tuple[str, ...] = ()


async def start_handover(ctx: OnCallContext, circle: Circle, layer: Layer) -> HandoverStart:
    """`/handover`: start the next shift change's handover now; `started` is False if it already was."""
    now = ctx.clock.now()
    change = next((c for c in shift_changes(circle.rota, now, now + timedelta(days=60)) if c.layer == layer), None)
    if change is None:
        raise OnCallError(f"the {layer} rota of {circle.name} has no shift change in the next 60 days")
    existing = await ctx.handovers.find(circle.name, layer, change.at)
    if existing is not None:
        if existing.is_pending and not await _send_brief(ctx, circle, existing):
            # Asked again: try the card again (someone may have said hi since), and say if it still fails.
            return HandoverStart(existing, started=False, unreached=(existing.incoming,))
        return HandoverStart(existing, started=False)
    handover, unreached = await _start(ctx, circle, change)
    return HandoverStart(handover, started=True, unreached=unreached)


async def _start(ctx: OnCallContext, circle: Circle, change: ShiftChange) -> tuple[Handover, tuple[str, ...]]:
    """Start a handover; also the handles of the people the bot could not message (the leader is told)."""
    now = ctx.clock.now()
    unreached: list[str] = []
    handover = await ctx.handovers.add(
        Handover(
            circle=circle.name,
            layer=change.layer,
            shift_start=change.at,
            shift_end=change.until,
            since=change.outgoing_since or change.at - timedelta(days=7),
            outgoing=change.outgoing,
            incoming=change.incoming,
            created_at=now,
        )
    )
    outgoing = circle.member(change.outgoing) if change.outgoing else None
    if outgoing is not None and not await ctx.notifier.ask_handover_notes(ctx.uow, circle, handover):
        unreached.append(outgoing.handle)
        await _cannot_reach(ctx, circle, outgoing, f"handover:{handover.id}:notes", "for handover notes")
    if not await _send_brief(ctx, circle, handover):
        unreached.append(handover.incoming)
        incoming = circle.member(handover.incoming)
        if incoming is not None:
            await _cannot_reach(ctx, circle, incoming, f"handover:{handover.id}:card", "with the handover card")
    policy = circle.handover
    chase = {"handover": handover.id}
    await ctx.uow.timers.schedule(
        HANDOVER_CHASE,
        f"handover-chase:{handover.id}:remind",
        handover.accept_deadline(policy),
        chase | {"stage": "remind"},
    )
    await ctx.uow.timers.schedule(
        HANDOVER_CHASE,
        f"handover-chase:{handover.id}:escalate",
        handover.escalation_due(policy),
        chase | {"stage": "escalate"},
    )
    return handover, tuple(unreached)


async def handover_brief(ctx: OnCallContext, circle: Circle, handover: Handover) -> HandoverBrief:
    """The incoming engineer's brief as of now."""
    now = ctx.clock.now()
    open_incidents = await ctx.incidents.open_in_circle(circle.name)
    during = await ctx.incidents.declared_between(circle.name, handover.since, max(now, handover.shift_start))
    postmortems = await ctx.postmortems.in_circle(circle.name)
    return build_brief(circle, open_incidents, during, now, postmortems)


async def _send_brief(ctx: OnCallContext, circle: Circle, handover: Handover) -> bool:
    brief = await handover_brief(ctx, circle, handover)
    return await ctx.notifier.send_handover(ctx.uow, circle, handover, brief)


async def load_handover(ctx: OnCallContext, handover_id: int) -> tuple[Circle, Handover]:
    """A handover and its circle, or an OnCallError the user can act on."""
    handover = await ctx.handovers.get(handover_id)
    circle = await ctx.uow.circles.get(handover.circle) if handover else None
    if handover is None or circle is None:
        raise OnCallError("this handover no longer exists; type `handover` to start again")
    return circle, handover


async def add_handover_notes(ctx: OnCallContext, handover_id: int, by: str, text: str) -> Handover:
    """The outgoing engineer's notes reach the incoming engineer's card."""
    circle, handover = await load_handover(ctx, handover_id)
    handover.add_notes(by, ctx.clock.now(), text)
    await ctx.handovers.save(handover)
    await _send_brief(ctx, circle, handover)
    return handover


async def accept_handover(ctx: OnCallContext, handover_id: int, by: str) -> Handover:
    """The incoming engineer took over: stop chasing, tell the outgoing one."""
    circle, handover = await load_handover(ctx, handover_id)
    handover.accept(by, ctx.clock.now(), circle.rota.zone)
    await ctx.handovers.save(handover)
    for stage in ("remind", "escalate"):
        await ctx.uow.timers.cancel(f"handover-chase:{handover.id}:{stage}")
    await _send_brief(ctx, circle, handover)
    await ctx.notifier.handover_accepted(ctx.uow, circle, handover)
    return handover


async def on_handover_chase(ctx: OnCallContext, handover_id: int, stage: str) -> None:
    """Not accepted in time: remind the incoming engineer, later tell the Team Leader."""
    handover = await ctx.handovers.get(handover_id)
    if handover is None or not handover.is_pending:
        return
    circle = await _active_circle(ctx, handover.circle)
    if circle is None:
        return
    now = ctx.clock.now()
    incoming = circle.member(handover.incoming)
    name = incoming.display_name if incoming else handover.incoming
    if stage == "remind":
        handover.reminded_at = now
        if not await ctx.notifier.remind_handover(ctx.uow, circle, handover) and incoming is not None:
            await _cannot_reach(ctx, circle, incoming, f"handover:{handover.id}:remind", "with a handover reminder")
    else:
        handover.escalated_at = now
        since = format_moment(handover.shift_start, circle.rota.zone, now)
        await ctx.notifier.tell_team_leader(
            ctx.uow,
            circle,
            f"{name} has not accepted the {handover.layer} on-call handover of {circle.name} (shift from {since}).",
            key=f"handover:{handover.id}:escalate",
        )
    await ctx.handovers.save(handover)


async def on_shift_reminder(
    ctx: OnCallContext, circle_name: str, layer: Layer, at: datetime, member: str, before: timedelta
) -> bool:
    """Remind `member` of their shift at `at`, if it is still theirs; True when a reminder went out."""
    circle = await _active_circle(ctx, circle_name)
    if circle is None:
        return False
    change = change_at(circle.rota, layer, at)
    if change is None or change.incoming != member:
        return False
    turn = next(t for t in turns_between(circle.rota, at, at + timedelta(microseconds=1), layer) if t.covers(at))
    return await ctx.notifier.remind_shift(ctx.uow, circle, turn, before)


async def on_gap_report(ctx: OnCallContext, circle_name: str, due_at: datetime | None = None) -> list[str]:
    """The weekly notice to the Team Leader: rota gaps and members the bot cannot reach.

    `due_at` is when the report was planned: a report sent late after a restart says so.
    """
    circle = await _active_circle(ctx, circle_name)
    if circle is None:
        return []
    now = ctx.clock.now()
    day = (due_at or now).date()
    lines = rota_problems(circle, now)
    lines += await ctx.readiness.warnings(ctx.uow, circle, now, now + timedelta(weeks=GAP_REPORT_WEEKS))
    people = [m for m in circle.members if m.role is not Role.STAKEHOLDER]
    unreachable = await ctx.notifier.unreachable(ctx.uow, people)
    if unreachable:
        names = ", ".join(m.display_name for m in unreachable)
        lines.append(f"I cannot message {names} privately yet: ask them to say hi to me once in a 1:1 chat")
        await ctx.notifier.ask_to_say_hi(ctx.uow, circle, unreachable, key=f"oncall-gaps:{circle.name}:{day}:hi")
    if lines:
        late = late_note("rota check", due_at, now, circle.rota.zone) if due_at else None
        text = f"Rota check for {circle.name}{f' ({late})' if late else ''}:\n" + "\n".join(
            f"- {line}" for line in lines
        )
        await ctx.notifier.tell_team_leader(ctx.uow, circle, text, key=f"oncall-gaps:{circle.name}:{day}")
    return lines


def rota_problems(circle: Circle, now: datetime) -> list[str]:
    """Rota gaps in the next two weeks, as lines for people."""
    return gap_lines(circle.rota, now, now + timedelta(weeks=GAP_REPORT_WEEKS))


async def _active_circle(ctx: OnCallContext, name: str) -> Circle | None:
    circle = await ctx.uow.circles.get(name)
    if circle is None:
        return None
    # A deactivated circle keeps its row (old incidents refer to it) but no longer has a rota.
    active = await ctx.uow.circles.by_channel(circle.channel_id)
    return circle if active is not None and active.name == circle.name else None


async def _cannot_reach(ctx: OnCallContext, circle: Circle, member: Member, key: str, what: str) -> None:
    await ctx.notifier.tell_team_leader(
        ctx.uow,
        circle,
        f"I could not reach {member.display_name} {what}: they have never chatted with me. "
        "Ask them to say hi to me once in a 1:1 chat.",
        key=key + ":unreachable",
    )
