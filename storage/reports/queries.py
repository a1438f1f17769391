"""Report reads: lean rows (no timelines, no aggregates) that domain.reports turns into figures.

Each function is one indexed range query (incidents: `ix_incident_circle_declared`; their
escalations and stakeholder updates: `ix_incident_timeline_kind`), so a month of a busy
circle is read in a few milliseconds on SQLite and PostgreSQL (benchmarks/reports.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_
from sqlalchemy import select as columns
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.activities.model import ActivityStatus
from domain.circle import Severity
from domain.incidents.model import OPEN_STATUSES, Source
from domain.incidents.service import ACK_OVERDUE
from domain.reports.facts import (
    ActionFacts,
    ActivityFacts,
    AwayFacts,
    BlockerFacts,
    FeedbackFacts,
    HandoverFacts,
    IncidentFacts,
    PostmortemFacts,
    StandupEntryFacts,
)
from storage.activities.tables import ActivityFeedbackRow, ActivityRow
from storage.incidents.repository import IncidentRow, TimelineRow
from storage.oncall.handovers import HandoverRow
from storage.postmortems.repository import PostmortemActionRow, PostmortemRow
from storage.standups.tables import StandupAwayRow, StandupBlockerRow, StandupEntryRow

ESCALATED, STAKEHOLDER_UPDATE, SLA_BREACH = "escalated", "stakeholder_update", "sla_breach"

# Plain columns through the session's connection: sqlmodel's select() types at most four.
_FACT_COLUMNS = tuple(
    col(getattr(IncidentRow, name))
    for name in (
        "number", "circle", "title", "severity", "source", "service", "declared_at", "acknowledged_at",
        "resolved_at", "commander", "business_impact", "data_loss", "oncall_intervened", "alert_fingerprint",
        "postmortem_decision",
    )
)  # fmt: skip


async def incident_facts(
    session: AsyncSession, circles: Sequence[str], start: datetime, end: datetime
) -> list[IncidentFacts]:
    """Incidents of `circles` declared in [start, end), oldest first, with their escalations and updates."""
    in_range = (
        col(IncidentRow.circle).in_(list(circles)),
        col(IncidentRow.declared_at) >= start,
        col(IncidentRow.declared_at) < end,
    )
    query = columns(*_FACT_COLUMNS).where(*in_range).order_by(col(IncidentRow.declared_at))
    rows = (await (await session.connection()).execute(query)).all()
    moments: dict[tuple[int, str], list[datetime]] = defaultdict(list)
    entries = await session.exec(
        select(TimelineRow.incident_number, TimelineRow.kind, TimelineRow.at)
        .join(IncidentRow, col(IncidentRow.number) == col(TimelineRow.incident_number))
        .where(*in_range, col(TimelineRow.kind).in_([ESCALATED, STAKEHOLDER_UPDATE]))
        .order_by(col(TimelineRow.id))
    )
    for number, kind, at in entries.all():
        moments[number, kind].append(at)
    return [
        IncidentFacts(
            number=row.number or 0,
            circle=row.circle,
            title=row.title,
            severity=Severity(row.severity),
            source=Source(row.source),
            service=row.service,
            declared_at=row.declared_at,
            acknowledged_at=row.acknowledged_at,
            resolved_at=row.resolved_at,
            commander=row.commander,
            business_impact=row.business_impact,
            data_loss=row.data_loss,
            oncall_intervened=row.oncall_intervened,
            alert_fingerprint=row.alert_fingerprint,
            postmortem_decision=row.postmortem_decision,
            escalations=tuple(moments.get((row.number or 0, ESCALATED), ())),
            stakeholder_updates=tuple(moments.get((row.number or 0, STAKEHOLDER_UPDATE), ())),
        )
        for row in rows
    ]


async def postmortem_facts(session: AsyncSession, circles: Sequence[str], end: datetime) -> list[PostmortemFacts]:
    """Postmortems of `circles` started before `end`."""
    rows = await (await session.connection()).execute(
        columns(
            col(PostmortemRow.incident_number),
            col(PostmortemRow.circle),
            col(PostmortemRow.status),
            col(PostmortemRow.started_at),
            col(PostmortemRow.closed_at),
        ).where(col(PostmortemRow.circle).in_(list(circles)), col(PostmortemRow.started_at) < end)
    )
    return [PostmortemFacts(*row) for row in rows.all()]


async def action_facts(session: AsyncSession, circles: Sequence[str], end: datetime) -> list[ActionFacts]:
    """Corrective actions of `circles`' postmortems added before `end`."""
    rows = await (await session.connection()).execute(
        columns(
            col(PostmortemActionRow.incident_number),
            col(PostmortemActionRow.number),
            col(PostmortemActionRow.owner),
            col(PostmortemActionRow.added_at),
            col(PostmortemActionRow.due),
            col(PostmortemActionRow.done_at),
        )
        .join(PostmortemRow, col(PostmortemRow.incident_number) == col(PostmortemActionRow.incident_number))
        .where(col(PostmortemRow.circle).in_(list(circles)), col(PostmortemActionRow.added_at) < end)
    )
    return [ActionFacts(*row) for row in rows.all()]


async def handover_facts(
    session: AsyncSession, circles: Sequence[str], start: datetime, end: datetime
) -> list[HandoverFacts]:
    """Handovers of `circles` whose shift began in [start, end)."""
    rows = await session.exec(
        select(HandoverRow.circle, HandoverRow.incoming, HandoverRow.shift_start, HandoverRow.accepted_at).where(
            col(HandoverRow.circle).in_(list(circles)),
            col(HandoverRow.shift_start) >= start,
            col(HandoverRow.shift_start) < end,
        )
    )
    return [HandoverFacts(*row) for row in rows.all()]


async def standup_entries(
    session: AsyncSession, circles: Sequence[str], first: date, last: date
) -> list[StandupEntryFacts]:
    """Stand-up entries of `circles` for the days [first, last] (`uq_standup_entry`: circle, day, member)."""
    rows = await (await session.connection()).execute(
        columns(
            col(StandupEntryRow.member),
            col(StandupEntryRow.day),
            col(StandupEntryRow.status),
            col(StandupEntryRow.reason),
        ).where(
            col(StandupEntryRow.circle).in_(list(circles)),
            col(StandupEntryRow.day) >= first,
            col(StandupEntryRow.day) <= last,
        )
    )
    return [StandupEntryFacts(*row) for row in rows.all()]


async def blocker_facts(session: AsyncSession, circles: Sequence[str], first: date, last: date) -> list[BlockerFacts]:
    """Blockers of `circles` raised by `last`, open or solved from `first` (the blocker indexes lead with circle)."""
    rows = await (await session.connection()).execute(
        columns(
            col(StandupBlockerRow.member), col(StandupBlockerRow.first_day), col(StandupBlockerRow.solved_on)
        ).where(
            col(StandupBlockerRow.circle).in_(list(circles)),
            col(StandupBlockerRow.first_day) <= last,
            or_(col(StandupBlockerRow.solved_on).is_(None), col(StandupBlockerRow.solved_on) >= first),
        )
    )
    return [BlockerFacts(*row) for row in rows.all()]


async def away_facts(session: AsyncSession, circles: Sequence[str], first: date, last: date) -> list[AwayFacts]:
    """Time off of `circles` overlapping [first, last] (`ix_standup_away_span`: circle, end_day)."""
    rows = await (await session.connection()).execute(
        columns(col(StandupAwayRow.member), col(StandupAwayRow.start_day), col(StandupAwayRow.end_day)).where(
            col(StandupAwayRow.circle).in_(list(circles)),
            col(StandupAwayRow.end_day) >= first,
            col(StandupAwayRow.start_day) <= last,
        )
    )
    return [AwayFacts(*row) for row in rows.all()]


_ACTIVITY_COLUMNS = tuple(
    col(getattr(ActivityRow, name))
    for name in (
        "id", "owner", "iid", "title", "status", "created_at", "started_at", "wip_since", "status_changed_at",
        "last_feedback_at", "deadline",
    )
)  # fmt: skip


async def wip_activity_facts(session: AsyncSession, circles: Sequence[str], since: datetime) -> list[ActivityFacts]:
    """Activities of `circles` that went WIP and are still there, or changed status at or after `since`.

    `ix_activity_circle_owner_status` (circle first) narrows the rows to the circle's.
    """
    query = columns(*_ACTIVITY_COLUMNS).where(
        col(ActivityRow.circle).in_(list(circles)),
        col(ActivityRow.wip_since).is_not(None),
        or_(col(ActivityRow.status) == ActivityStatus.WIP.value, col(ActivityRow.status_changed_at) >= since),
    )
    return _activity_facts((await (await session.connection()).execute(query)).all())


async def overdue_activity_facts(
    session: AsyncSession, circles: Sequence[str], at: datetime, today: date
) -> list[ActivityFacts]:
    """Activities of `circles` created before `at`, not done by `at`, with a deadline before `today`."""
    query = columns(*_ACTIVITY_COLUMNS).where(
        col(ActivityRow.circle).in_(list(circles)),
        col(ActivityRow.created_at) < at,
        col(ActivityRow.deadline) < today,
        or_(
            col(ActivityRow.status) != ActivityStatus.DONE.value,
            and_(col(ActivityRow.status_changed_at).is_not(None), col(ActivityRow.status_changed_at) >= at),
        ),
    )
    return _activity_facts((await (await session.connection()).execute(query)).all())


def _activity_facts(rows: Sequence[Any]) -> list[ActivityFacts]:
    return [
        ActivityFacts(
            id=row.id,
            owner=row.owner,
            ref=f"#{row.iid}" if row.iid is not None else f"“{row.title}”",
            title=row.title,
            status=row.status,
            created_at=row.created_at,
            started_at=row.started_at,
            wip_since=row.wip_since,
            status_changed_at=row.status_changed_at,
            last_feedback_at=row.last_feedback_at,
            deadline=row.deadline,
        )
        for row in rows
    ]


async def feedback_facts(session: AsyncSession, circles: Sequence[str], first: date, last: date) -> list[FeedbackFacts]:
    """Feedback days on `circles`' activity cards in [first, last] (circle's activities, then `activity_id`)."""
    rows = await (await session.connection()).execute(
        columns(col(ActivityFeedbackRow.activity_id), col(ActivityFeedbackRow.day))
        .join(ActivityRow, col(ActivityRow.id) == col(ActivityFeedbackRow.activity_id))
        .where(
            col(ActivityRow.circle).in_(list(circles)),
            col(ActivityFeedbackRow.day) >= first,
            col(ActivityFeedbackRow.day) <= last,
        )
        .distinct()
    )
    return [FeedbackFacts(*row) for row in rows.all()]


async def open_incidents(session: AsyncSession) -> dict[tuple[str, str], int]:
    """Open incidents per (circle, severity), for the Prometheus gauge."""
    rows = await session.exec(
        select(IncidentRow.circle, IncidentRow.severity, func.count())
        .where(col(IncidentRow.status).in_([s.value for s in OPEN_STATUSES]))
        .group_by(col(IncidentRow.circle), col(IncidentRow.severity))
    )
    return {(circle, severity): int(count) for circle, severity, count in rows.all()}


async def declared_totals(session: AsyncSession) -> dict[tuple[str, str, str], int]:
    """Incidents ever declared per (circle, severity, source)."""
    rows = await session.exec(
        select(IncidentRow.circle, IncidentRow.severity, IncidentRow.source, func.count()).group_by(
            col(IncidentRow.circle), col(IncidentRow.severity), col(IncidentRow.source)
        )
    )
    return {(circle, severity, source): int(count) for circle, severity, source, count in rows.all()}


async def sla_breach_totals(session: AsyncSession) -> dict[tuple[str, str, str], int]:
    """SLA breach notices ever recorded per (circle, severity, clock).

    The breach timer's notice starts with ACK_OVERDUE (the acknowledge clock) or SLA_BREACHED (resolve)
    (domain.incidents.service.on_sla_timer); the clock is read from that headline.
    """
    clock = case((col(TimelineRow.text).like(f"{ACK_OVERDUE}:%"), "acknowledge"), else_="resolve")
    return await _timeline_totals(session, SLA_BREACH, clock)


async def escalation_totals(session: AsyncSession) -> dict[tuple[str, str], int]:
    """Escalation steps ever reached per (circle, severity)."""
    totals = await _timeline_totals(session, ESCALATED, literal(""))
    return {(circle, severity): count for (circle, severity, _), count in totals.items()}


async def _timeline_totals(session: AsyncSession, kind: str, label: Any) -> dict[tuple[str, str, str], int]:
    rows = await session.exec(
        select(IncidentRow.circle, IncidentRow.severity, label, func.count())
        .select_from(TimelineRow)
        .join(IncidentRow, col(IncidentRow.number) == col(TimelineRow.incident_number))
        .where(col(TimelineRow.kind) == kind)
        .group_by(col(IncidentRow.circle), col(IncidentRow.severity), label)
    )
    return {(circle, severity, str(what)): int(count) for circle, severity, what, count in rows.all()}


async def overdue_actions(session: AsyncSession, today: date) -> dict[str, int]:
    """Corrective actions not done and due before `today`, per circle."""
    rows = await session.exec(
        select(PostmortemRow.circle, func.count())
        .select_from(PostmortemActionRow)
        .join(PostmortemRow, col(PostmortemRow.incident_number) == col(PostmortemActionRow.incident_number))
        .where(col(PostmortemActionRow.done_at).is_(None), col(PostmortemActionRow.due) < today)
        .group_by(col(PostmortemRow.circle))
    )
    return {circle: int(count) for circle, count in rows.all()}


async def response_time_totals(session: AsyncSession, stopped: str) -> dict[tuple[str, str], tuple[int, float]]:
    """(count, sum of seconds) from declaration to `stopped` per (circle, severity).

    `stopped` is "acknowledged_at" or "resolved_at"; incidents not there yet are left out.
    """
    end = col(getattr(IncidentRow, stopped))
    start = col(IncidentRow.declared_at)
    seconds: ColumnElement[Any]
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        seconds = func.extract("epoch", end - start)
    else:
        seconds = (func.julianday(end) - func.julianday(start)) * 86400.0
    rows = await session.exec(
        select(IncidentRow.circle, IncidentRow.severity, func.count(), func.coalesce(func.sum(seconds), 0.0))
        .where(end.is_not(None))
        .group_by(col(IncidentRow.circle), col(IncidentRow.severity))
    )
    # julianday() is a float of days: round away its sub-millisecond noise.
    return {(circle, severity): (int(count), round(float(total), 3)) for circle, severity, count, total in rows.all()}
