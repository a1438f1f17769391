"""Incidents and their timelines in the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, ColumnElement, Index, Text, func, or_, text
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.circle import Severity
from domain.incidents.model import OPEN_STATUSES, Incident, IncidentStatus, Source, TimelineEntry
from storage.sent_messages import SentMessageRow
from storage.types import UtcDateTime

# Keys of the live incident card in the sent-message log: "teams:incident:<n>:card".
CARD_KEY_PREFIX, CARD_KEY_SUFFIX = "teams:incident:", ":card"
# The advisory lock that numbers incidents one at a time ("inc#").
INCIDENT_NUMBER_LOCK = 0x696E6323


class IncidentRow(SQLModel, table=True):
    __tablename__ = "incident"
    __table_args__ = (
        Index("ix_incident_circle_status", "circle", "status"),
        Index("ix_incident_recurrence", "circle", "service", "declared_at"),
        # Reports read a circle's incidents by declaration time.
        Index("ix_incident_circle_declared", "circle", "declared_at"),
        # /metrics counts open incidents per circle and severity from this index alone.
        Index("ix_incident_open", "status", "circle", "severity"),
    )

    number: int | None = Field(default=None, primary_key=True)
    circle: str = Field(max_length=80)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    severity: str = Field(max_length=2)
    status: str = Field(max_length=16)
    business_impact: bool = False
    data_loss: bool = False
    source: str = Field(max_length=8)
    service: str | None = Field(default=None, max_length=120)
    alert_fingerprint: str | None = Field(default=None, max_length=200, index=True)
    commander: str | None = Field(default=None, max_length=80)
    declared_by: str = Field(max_length=120)
    declared_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    acknowledged_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    acknowledged_by: str | None = Field(default=None, max_length=120)
    resolved_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    resolution_summary: str | None = Field(default=None, sa_column=Column(Text))
    root_cause: str | None = Field(default=None, sa_column=Column(Text))
    oncall_intervened: bool | None = None
    jira_key: str | None = Field(default=None, max_length=40)
    last_stakeholder_update_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    postmortem_decision: str | None = Field(default=None, max_length=16)
    postmortem_reason: str | None = Field(default=None, sa_column=Column(Text))
    thread_conversation_id: str | None = Field(default=None, max_length=255, index=True)


class TimelineRow(SQLModel, table=True):
    __tablename__ = "incident_timeline"
    # Reports read one kind of entry (escalations, stakeholder updates, breaches) across incidents.
    __table_args__ = (Index("ix_incident_timeline_kind", "kind", "incident_number"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_number: int = Field(foreign_key="incident.number", index=True)
    at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    actor: str = Field(max_length=120)
    kind: str = Field(max_length=40)
    text: str = Field(sa_column=Column(Text, nullable=False))


class IncidentLinksRow(SQLModel, table=True):
    """The card's links of an incident; a table of its own, so incidents without links cost nothing."""

    __tablename__ = "incident_links"

    incident_number: int = Field(foreign_key="incident.number", primary_key=True)
    links: list[list[str]] = Field(sa_column=Column(JSON, nullable=False))


_COPIED = [
    "circle", "title", "description", "business_impact", "data_loss", "service", "alert_fingerprint",
    "commander", "declared_by", "declared_at", "acknowledged_at", "acknowledged_by", "resolved_at",
    "closed_at", "resolution_summary", "root_cause", "oncall_intervened", "jira_key",
    "last_stakeholder_update_at", "postmortem_decision", "postmortem_reason",
]  # fmt: skip


class SqlIncidents:
    """The incident repository; `get` locks the row so concurrent clicks apply one after the other."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._saved_timeline_length: dict[int, int] = {}
        # Threads of the incidents added on this session: the new card asks right away.
        self._added_threads: dict[int, str | None] = {}

    async def add(self, incident: Incident, *, thread: str | None = None) -> Incident:
        """Insert a new incident numbered after the last committed one (INC-<n>).

        Not the column's sequence: PostgreSQL spends a sequence value even when the transaction
        rolls back, so a declare that failed used up an INC number. The number is max + 1 under a
        transaction-scoped advisory lock (declares queue for microseconds; SQLite's single writer
        does the same), so a rolled-back declare leaves no gap.
        """
        if self._is_postgres:
            await self._session.exec(text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=INCIDENT_NUMBER_LOCK))  # type: ignore[call-overload]
        last = (await self._session.exec(select(func.max(IncidentRow.number)))).one()
        row = IncidentRow(
            number=int(last or 0) + 1,
            severity=incident.severity.value, status=incident.status.value, source=incident.source.value,
            thread_conversation_id=thread, **{name: getattr(incident, name) for name in _COPIED},
        )  # fmt: skip
        self._session.add(row)
        await self._session.flush()
        incident.number = row.number or 0
        incident.events = [
            type(event)(event.name, incident.number, event.at, event.actor, event.detail) for event in incident.events
        ]
        self._saved_timeline_length[incident.number] = 0
        self._added_threads[incident.number] = thread
        await self._save_timeline(incident)
        if incident.links:  # a new incident has no links row to compare with
            self._session.add(
                IncidentLinksRow(incident_number=incident.number, links=[[title, url] for title, url in incident.links])
            )
        return incident

    async def get(self, number: int) -> Incident | None:
        """The incident INC-<number>, locked for this transaction."""
        query = select(IncidentRow).where(IncidentRow.number == number)
        if self._is_postgres:
            query = query.with_for_update()
        row = (await self._session.exec(query)).first()
        return None if row is None else await self._load(row)

    async def save(self, incident: Incident) -> None:
        row = await self._session.get(IncidentRow, incident.number)
        if row is None:
            raise LookupError(f"{incident.key} does not exist")
        for name in _COPIED:
            setattr(row, name, getattr(incident, name))
        row.severity, row.status = incident.severity.value, incident.status.value
        self._session.add(row)
        await self._save_timeline(incident)
        await self._save_links(incident)
        await self._session.flush()

    async def by_thread(self, conversation_id: str) -> Incident | None:
        """The incident whose channel thread this conversation is.

        A thread someone started with `/incident` is stored on the incident; a thread the bot
        opened itself (alerts) is known from the card it posted there.
        """
        if ";messageid=" not in conversation_id:
            return None  # the channel itself is no incident's thread
        query = select(IncidentRow).where(col(IncidentRow.thread_conversation_id) == conversation_id)
        row = (await self._session.exec(query)).first()
        if row is not None:
            return await self.get(row.number or 0)
        card = (
            await self._session.exec(
                select(SentMessageRow).where(
                    col(SentMessageRow.thread_conversation_id) == conversation_id,
                    col(SentMessageRow.key).like(f"{CARD_KEY_PREFIX}%{CARD_KEY_SUFFIX}"),
                )
            )
        ).first()
        if card is None:
            return None
        number = card.key.removeprefix(CARD_KEY_PREFIX).removesuffix(CARD_KEY_SUFFIX)
        return await self.get(int(number)) if number.isdigit() else None

    async def thread_of(self, number: int) -> str | None:
        if number in self._added_threads:
            return self._added_threads[number]
        row = await self._session.get(IncidentRow, number)
        return row.thread_conversation_id if row else None

    async def open_in_circle(self, circle: str) -> list[Incident]:
        """Open incidents of a circle, most severe first, then oldest first."""
        query = (
            select(IncidentRow)
            .where(IncidentRow.circle == circle, col(IncidentRow.status).in_([s.value for s in OPEN_STATUSES]))
            .order_by(col(IncidentRow.severity), col(IncidentRow.declared_at))
        )
        return [await self._load(row) for row in (await self._session.exec(query)).all()]

    async def count_similar(self, *, circle: str, service: str | None, fingerprint: str | None, since: datetime) -> int:
        """Incidents of the same circle and service, or the same alert fingerprint, since `since`."""
        matches: list[ColumnElement[bool]] = []
        if service:
            matches.append((col(IncidentRow.circle) == circle) & (col(IncidentRow.service) == service))
        if fingerprint:
            matches.append(col(IncidentRow.alert_fingerprint) == fingerprint)
        if not matches:
            return 1
        query = select(func.count()).where(col(IncidentRow.declared_at) >= since, or_(*matches))
        return int((await self._session.exec(query)).one())

    async def declared_between(self, circle: str, start: datetime, end: datetime) -> list[Incident]:
        query = (
            select(IncidentRow)
            .where(
                IncidentRow.circle == circle,
                col(IncidentRow.declared_at) >= start,
                col(IncidentRow.declared_at) < end,
            )
            .order_by(col(IncidentRow.declared_at))
        )
        return [await self._load(row) for row in (await self._session.exec(query)).all()]

    async def touched_between(self, circle: str, since: datetime, until: datetime) -> list[Incident]:
        """Incidents of a circle with a timeline entry in [since, until), unlocked (for reading)."""
        touched = select(TimelineRow.incident_number).where(col(TimelineRow.at) >= since, col(TimelineRow.at) < until)
        query = (
            select(IncidentRow)
            .where(IncidentRow.circle == circle, col(IncidentRow.number).in_(touched))
            .order_by(col(IncidentRow.number))
        )
        return [await self._load(row) for row in (await self._session.exec(query)).all()]

    @property
    def _is_postgres(self) -> bool:
        return bool(self._session.bind and self._session.bind.dialect.name == "postgresql")

    async def _load(self, row: IncidentRow) -> Incident:
        entries = (
            await self._session.exec(
                select(TimelineRow).where(TimelineRow.incident_number == row.number).order_by(col(TimelineRow.id))
            )
        ).all()
        links = await self._session.get(IncidentLinksRow, row.number)
        incident = Incident(
            number=row.number or 0,
            severity=Severity(row.severity),
            status=IncidentStatus(row.status),
            source=Source(row.source),
            timeline=[TimelineEntry(at=e.at, actor=e.actor, kind=e.kind, text=e.text) for e in entries],
            links=tuple((title, url) for title, url in links.links) if links else (),
            **{name: getattr(row, name) for name in _COPIED},
        )
        self._saved_timeline_length[incident.number] = len(incident.timeline)
        return incident

    async def _save_timeline(self, incident: Incident) -> None:
        saved = self._saved_timeline_length.get(incident.number, 0)
        for entry in incident.timeline[saved:]:
            self._session.add(
                TimelineRow(
                    incident_number=incident.number, at=entry.at, actor=entry.actor, kind=entry.kind, text=entry.text
                )
            )
        self._saved_timeline_length[incident.number] = len(incident.timeline)

    async def _save_links(self, incident: Incident) -> None:
        wanted = [[title, url] for title, url in incident.links]
        row = await self._session.get(IncidentLinksRow, incident.number)
        if row is None and wanted:
            self._session.add(IncidentLinksRow(incident_number=incident.number, links=wanted))
        elif row is not None and row.links != wanted:
            row.links = wanted
            self._session.add(row)
