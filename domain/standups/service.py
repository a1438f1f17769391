"""Stand-up use cases: the timers' work (prompt, remind, post, close) and what members do.

Each function runs inside the caller's unit of work; messages are outbox rows on the same commit,
so an answer the bot confirms is stored, and a prompt is sent exactly when its entry is written.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from domain.circle import Circle, Member
from domain.clock import Clock
from domain.incidents.model import Incident
from domain.ports import UnitOfWork
from domain.recurring import late_note
from domain.standups.calendar import (
    answer_day,
    clock_time,
    is_standup_day,
    local_day,
    member_window_closes,
    participants,
    previous_standup_day,
    prompt_at,
    standup_days_between,
    window_closes,
    zone_of,
)
from domain.standups.model import Away, Blocker, Entry, EntryStatus, StandupError, reconcile_blockers
from domain.standups.ports import (
    DayState,
    IncidentLookup,
    OpenBlocker,
    PromptDraft,
    StandupNotifier,
    StandupRepository,
    WipActivity,
    WipActivityLookup,
)
from domain.standups.rules import OooRequest, commanded_incident, incident_roles, paged_at_night
from domain.standups.schedule import REFRESH
from domain.standups.summary import Summary, build_summary

# Answers arriving together refresh the summary card once per this period: at most 6 updates
# per 30 s, well inside Teams' per-thread limit (7 per second, 60 per 30 seconds).
REFRESH_EVERY = timedelta(seconds=5)
MAX_STATS_DAYS = 365


@dataclass
class StandupContext:
    uow: UnitOfWork
    clock: Clock
    notifier: StandupNotifier
    standups: StandupRepository
    incidents: IncidentLookup
    wip: WipActivityLookup


async def active_circle(ctx: StandupContext, name: str) -> Circle | None:
    """The circle if it still exists and holds stand-ups."""
    circle = await ctx.uow.circles.get(name)
    if circle is None or circle.standup is None or not circle.standup.enabled:
        return None
    return circle


# --- timers ---------------------------------------------------------------------------------------


async def on_open(ctx: StandupContext, circle_name: str, day: date) -> Summary | None:
    """Stand-up time in the circle's zone: post the day's summary card (once)."""
    circle = await active_circle(ctx, circle_name)
    if circle is None or circle.standup is None or not is_standup_day(circle.standup, day):
        return None
    state = await ctx.standups.day_state(circle.name, day) or DayState(circle.name, day)
    if state.posted_at is not None:
        return None
    summary = await summarize(ctx, circle, day, final=False)
    await ctx.notifier.post_summary(ctx.uow, circle, summary)
    state.posted_at = ctx.clock.now()
    await ctx.standups.save_day_state(state)
    return summary


async def on_prompt(
    ctx: StandupContext, circle_name: str, day: date, handles: Sequence[str], *, due_at: datetime | None = None
) -> list[Entry]:
    """The members' stand-up time: ask each privately, unless off, busy on a P1/P2 or already answered.

    One transaction for everyone asked at this instant: what the circle shares (incidents, time off,
    entries) is read once.
    """
    circle = await active_circle(ctx, circle_name)
    if circle is None or circle.standup is None or not is_standup_day(circle.standup, day):
        return []
    now = ctx.clock.now()
    existing = {e.member for e in await ctx.standups.entries(circle.name, day)}
    away = {a.member for a in await ctx.standups.aways(circle.name, day)}
    members = [
        m
        for handle in handles
        if (m := circle.member(handle)) is not None
        and day not in m.holidays
        and handle not in existing  # answered the evening before, skipped, or already asked
        and handle not in away
    ]
    if not members:
        return []
    open_incidents = await ctx.incidents.open_in_circle(circle.name)
    known = await _known(ctx, circle, members, day)
    entries = []
    for member in members:
        entry = Entry(circle.name, day, member.handle, EntryStatus.PROMPTED, prompted_at=now)
        busy = commanded_incident(member, open_incidents)
        if busy is not None:
            entry.status, entry.incident = EntryStatus.ON_INCIDENT, busy.key
        else:
            draft = await prompt_draft(ctx, circle, member, day, entry, known=known)
            late = late_note("stand-up prompt", due_at, now, zone_of(circle, member)) if due_at else None
            if late is not None:
                draft = replace(draft, notes=(*draft.notes, late[:1].upper() + late[1:] + "."))
            entry.night_paged = draft.night_paged
            if not await ctx.notifier.prompt(ctx.uow, circle, member, draft):
                entry.status = EntryStatus.UNREACHABLE
        await ctx.standups.add_entry(entry)
        entries.append(entry)
    await refresh_soon(ctx, circle, day)
    return entries


@dataclass(frozen=True)
class _Known:
    """What the bot knows for a day's prompts, read once for all the members asked together."""

    until: datetime
    incidents: Sequence[Incident]
    blockers: Sequence[Blocker]
    last_answers: dict[str, Entry]


async def _known(ctx: StandupContext, circle: Circle, members: Sequence[Member], day: date) -> _Known:
    since = _since(circle, members, day)
    until = max([ctx.clock.now(), *(prompt_at(circle, m, day) for m in members)])
    member = members[0].handle if len(members) == 1 else None
    return _Known(
        until=until,
        incidents=await ctx.incidents.touched_between(circle.name, since, until),
        blockers=await ctx.standups.known_blockers(circle.name, day, member),
        last_answers=await ctx.standups.last_answers(circle.name, day),
    )


def _since(circle: Circle, members: Sequence[Member], day: date) -> datetime:
    """From the previous stand-up of the earliest of `members`: what they may have done since."""
    assert circle.standup is not None
    previous = previous_standup_day(circle.standup, day)
    return min(
        prompt_at(circle, m, previous) if previous else prompt_at(circle, m, day) - timedelta(days=1) for m in members
    )


async def on_remind(ctx: StandupContext, circle_name: str, day: date, handles: Sequence[str]) -> list[str]:
    """One reminder, only to who was asked and has not answered, before the window closes."""
    circle = await active_circle(ctx, circle_name)
    if circle is None:
        return []
    now = ctx.clock.now()
    entries = {e.member: e for e in await ctx.standups.entries(circle.name, day)}
    away = {a.member for a in await ctx.standups.aways(circle.name, day)}
    reminded = []
    for handle in handles:
        member, entry = circle.member(handle), entries.get(handle)
        if member is None or entry is None or handle in away:
            continue
        if entry.status is not EntryStatus.PROMPTED or entry.night_paged or entry.reminded_at:
            continue
        closes = member_window_closes(circle, member, day)
        if now >= closes:
            continue
        if await ctx.notifier.remind(ctx.uow, circle, member, day, clock_time(closes, zone_of(circle, member))):
            entry.reminded_at = now
            await ctx.standups.save_entry(entry)
            reminded.append(handle)
    return reminded


async def on_close(ctx: StandupContext, circle_name: str, day: date) -> Summary | None:
    """The window has closed: the card becomes final and old blockers go to the Team Leader."""
    circle = await ctx.uow.circles.get(circle_name)
    if circle is None or circle.standup is None:
        return None
    state = await ctx.standups.day_state(circle.name, day) or DayState(circle.name, day)
    if state.final_at is not None:
        return None
    summary = await summarize(ctx, circle, day, final=True)
    if state.posted_at is None:
        await ctx.notifier.post_summary(ctx.uow, circle, summary)
        state.posted_at = ctx.clock.now()
    else:
        await ctx.notifier.update_summary(ctx.uow, circle, summary)
    state.final_at = ctx.clock.now()
    await ctx.standups.save_day_state(state)
    await _escalate_blockers(ctx, circle, day)
    return summary


async def on_refresh(ctx: StandupContext, circle_name: str, day: date) -> bool:
    """Coalesced refresh of a live summary card; the close renders the final one itself."""
    circle = await ctx.uow.circles.get(circle_name)
    state = await ctx.standups.day_state(circle_name, day)
    if circle is None or circle.standup is None or state is None or state.posted_at is None or state.final_at:
        return False
    await ctx.notifier.update_summary(ctx.uow, circle, await summarize(ctx, circle, day, final=False))
    return True


async def refresh_soon(ctx: StandupContext, circle: Circle, day: date) -> None:
    """Arm the refresh of this period: every change within it is shown by one card update."""
    state = await ctx.standups.day_state(circle.name, day)
    if state is None or state.posted_at is None or state.final_at is not None:
        return  # not posted yet: the post will show it; final: nothing changes any more
    period = REFRESH_EVERY.total_seconds()
    bucket = int(ctx.clock.now().timestamp() // period) + 1
    due = datetime.fromtimestamp(bucket * period, tz=ctx.clock.now().tzinfo)
    key = f"standup:refresh:{circle.name}:{day.isoformat()}:{bucket}"
    await ctx.uow.timers.schedule(REFRESH, key, due, {"circle": circle.name, "day": day.isoformat()})


async def _escalate_blockers(ctx: StandupContext, circle: Circle, day: date) -> None:
    assert circle.standup is not None
    for blocker in await ctx.standups.blockers_of_day(circle.name, day):
        age = standup_days_between(circle.standup, blocker.first_day, day)
        if blocker.is_open and blocker.escalated_on is None and age > circle.standup.escalate_blockers_after:
            await ctx.notifier.escalate_blocker(ctx.uow, circle, blocker, age)
            blocker.escalated_on = day
            await ctx.standups.save_blocker(blocker)


# --- what members do ------------------------------------------------------------------------------


def target_day(circle: Circle, member: Member, now: datetime, day: date | None) -> date:
    """The stand-up an answer counts for: the card's day while its window is open, else the next one."""
    if day is not None and now < member_window_closes(circle, member, day):
        return day
    target = answer_day(circle, member, now)
    if target is None:
        raise StandupError(f"{circle.name} has no stand-up scheduled")
    return target


async def answer(
    ctx: StandupContext,
    circle: Circle,
    member: Member,
    *,
    day: date | None,
    yesterday: str,
    today: str,
    blockers: str,
    solved: set[int],
) -> Entry:
    """Store the member's answer (or their edit of it); the summary card follows within seconds."""
    now = ctx.clock.now()
    when = target_day(circle, member, now, day)
    entry = await ctx.standups.entry(circle.name, when, member.handle) or Entry(
        circle.name, when, member.handle, EntryStatus.PROMPTED
    )
    entry.answer(yesterday=yesterday, today=today, blockers=blockers, at=now)
    await ctx.standups.save_entry(entry)
    known = await ctx.standups.known_blockers(circle.name, when, member.handle)
    changes = reconcile_blockers(known, blockers, solved, when)
    for blocker in (*changes.repeated, *changes.solved):
        await ctx.standups.save_blocker(blocker)
    for text in changes.raised:
        await ctx.standups.add_blocker(Blocker(circle.name, member.handle, text, when, when))
    await refresh_soon(ctx, circle, when)
    return entry


async def skip(ctx: StandupContext, circle: Circle, member: Member, reason: str) -> Entry:
    """`/standup skip [reason]`: no answer today (or for the next stand-up, after the window)."""
    when = target_day(circle, member, ctx.clock.now(), None)
    entry = await ctx.standups.entry(circle.name, when, member.handle) or Entry(
        circle.name, when, member.handle, EntryStatus.PROMPTED
    )
    entry.skip(reason)
    await ctx.standups.save_entry(entry)
    await refresh_soon(ctx, circle, when)
    return entry


async def draft_for(ctx: StandupContext, circle: Circle, member: Member) -> PromptDraft:
    """`/standup`: the prompt for the stand-up an answer now counts for, with any answer already given."""
    now = ctx.clock.now()
    when = target_day(circle, member, now, None)
    entry = await ctx.standups.entry(circle.name, when, member.handle)
    return await prompt_draft(ctx, circle, member, when, entry)


async def prompt_privately(ctx: StandupContext, circle: Circle, member: Member) -> bool:
    """`/standup` typed in a channel: the card goes to the member's personal chat; False if unreachable."""
    draft = await draft_for(ctx, circle, member)
    return await ctx.notifier.prompt(ctx.uow, circle, member, draft, on_demand=True)


async def prompt_draft(
    ctx: StandupContext, circle: Circle, member: Member, day: date, entry: Entry | None, *, known: _Known | None = None
) -> PromptDraft:
    """The prompt, prefilled with what the bot knows: the last "today", incidents, blockers, WIP."""
    assert circle.standup is not None
    zone = zone_of(circle, member)
    known = known or await _known(ctx, circle, [member], day)
    since = _since(circle, [member], day)
    roles = incident_roles(member, known.incidents, since, known.until)
    editing = entry is not None and entry.has_answered
    open_blockers = tuple(
        OpenBlocker(b.id or 0, b.text, standup_days_between(circle.standup, b.first_day, day))
        for b in known.blockers
        if b.member == member.handle and b.id is not None and b.is_open and (b.last_day < day or editing)
    )
    activity = await ctx.wip.wip_of(ctx.uow, circle, member)
    night = paged_at_night(roles, day, zone)
    notes = ("You were paged at night: no reminder today, answer when you can.",) if night else ()
    if entry is not None and editing:
        yesterday, today, blockers = entry.yesterday, entry.today, entry.blockers
    else:
        last = known.last_answers.get(member.handle)
        yesterday = "\n".join(filter(None, [last.today if last else "", *(r.line() for r in roles)]))
        today = _activity_line(activity)
        blockers = "\n".join(b.text for b in open_blockers)
    return PromptDraft(
        circle=circle.name,
        day=day,
        questions=circle.standup.questions,
        yesterday=yesterday,
        today=today,
        blockers=blockers,
        open_blockers=open_blockers,
        incidents=tuple(r.line() for r in roles),
        activity=activity,
        answers_until=clock_time(member_window_closes(circle, member, day), zone),
        editing=editing,
        notes=notes,
        night_paged=night,
    )


def _activity_line(activity: WipActivity | None) -> str:
    if activity is None:
        return ""
    feedback = f" (last feedback: {activity.last_feedback})" if activity.last_feedback else ""
    return f"Continue {activity.title}{feedback}"


async def summarize(ctx: StandupContext, circle: Circle, day: date, *, final: bool | None = None) -> Summary:
    """The summary of `day`; final once its window has closed (unless told)."""
    now = ctx.clock.now()
    if final is None:
        final = now >= window_closes(circle, day)
    return build_summary(
        circle,
        day,
        entries=await ctx.standups.entries(circle.name, day),
        aways=await ctx.standups.aways(circle.name, day),
        blockers=await ctx.standups.blockers_of_day(circle.name, day),
        open_incidents=await ctx.incidents.open_in_circle(circle.name),
        now=now,
        final=final,
        overdue_activities=await ctx.wip.overdue(ctx.uow, circle, day),
    )


async def set_away(ctx: StandupContext, circle: Circle, member: Member, request: OooRequest) -> Away | None:
    """`/ooo`: store time off (replacing any from its start), or cancel it from today; refresh the card."""
    today = local_day(ctx.clock.now(), zone_of(circle, member))
    await ctx.standups.end_aways(circle.name, member.handle, request.start or today)
    away = None
    if not request.cancel and request.start and request.end:
        away = await ctx.standups.add_away(Away(circle.name, member.handle, request.start, request.end, request.reason))
    await refresh_soon(ctx, circle, today)
    return away


# --- statistics ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberStats:
    name: str
    asked: int
    answered: int
    median_answer: timedelta | None


@dataclass(frozen=True)
class Stats:
    circle: str
    first: date
    last: date
    members: tuple[MemberStats, ...]
    blockers_raised: int
    blockers_solved: int


async def stats(ctx: StandupContext, circle: Circle, caller: Member | None, days: int) -> Stats:
    """`/standup stats [30d]`: participation, blockers and answer time, for the Team Leader only."""
    if caller is None or caller.handle != circle.team_leader:
        raise StandupError(f"only the Team Leader of {circle.name} sees stand-up statistics")
    if not 1 <= days <= MAX_STATS_DAYS:
        raise StandupError(f"ask for 1 to {MAX_STATS_DAYS} days, like `/standup stats 30d`")
    last = local_day(ctx.clock.now(), zone_of(circle))
    first = last - timedelta(days=days - 1)
    entries = await ctx.standups.entries_between(circle.name, first, last)
    lines = []
    for member in participants(circle):
        mine = [e for e in entries if e.member == member.handle and e.status is not EntryStatus.ON_INCIDENT]
        asked = [e for e in mine if e.status is not EntryStatus.SKIPPED]
        answered = [e for e in mine if e.has_answered]
        waits = [
            (e.answered_at - e.prompted_at).total_seconds()
            for e in answered
            if e.answered_at and e.prompted_at and e.answered_at >= e.prompted_at
        ]
        median = timedelta(seconds=statistics.median(waits)) if waits else None
        lines.append(MemberStats(member.display_name, len(asked), len(answered), median))
    blockers = await ctx.standups.blockers_between(circle.name, first, last)
    return Stats(
        circle=circle.name,
        first=first,
        last=last,
        members=tuple(lines),
        blockers_raised=sum(first <= b.first_day <= last for b in blockers),
        blockers_solved=sum(b.solved_on is not None and first <= b.solved_on <= last for b in blockers),
    )
