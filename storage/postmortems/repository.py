"""Postmortems and their corrective actions in the database; also the knowledge-base queries."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Index, Text, UniqueConstraint, func, or_
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.postmortems.model import ActionTracker, CorrectiveAction, Postmortem, PostmortemStatus
from storage.sent_messages import SentMessageRow
from storage.types import UtcDateTime

# Keys of the postmortem card in the sent-message log; the card opens the review thread.
CARD_KEY_PREFIX, CARD_KEY_SUFFIX = "teams:postmortem:", ":card"


def card_key(incident_number: int) -> str:
    """The outbox key of the postmortem card (the first post of its review thread)."""
    return f"{CARD_KEY_PREFIX}{incident_number}{CARD_KEY_SUFFIX}"


class PostmortemRow(SQLModel, table=True):
    __tablename__ = "postmortem"
    __table_args__ = (Index("ix_postmortem_circle_started", "circle", "started_at"),)

    incident_number: int = Field(primary_key=True, foreign_key="incident.number")
    circle: str = Field(max_length=80)
    title: str = Field(max_length=200)
    slug: str = Field(max_length=60)
    owner: str = Field(max_length=80)
    status: str = Field(max_length=16)
    started_by: str = Field(max_length=120)
    started_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    due: date
    document_date: date
    triggers: str = Field(default="", sa_column=Column(Text, nullable=False))
    root_cause: str | None = Field(default=None, sa_column=Column(Text))
    summary: str | None = Field(default=None, sa_column=Column(Text))
    merge_request_iid: int | None = None
    merge_request_url: str | None = Field(default=None, max_length=500)
    merge_request_state: str | None = Field(default=None, max_length=16)
    merge_request_checks: int = 0
    merge_request_checked_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    review_requested_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    agreed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    agreed_by: str | None = Field(default=None, max_length=120)
    closed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    revision: int = 0


class PostmortemActionRow(SQLModel, table=True):
    __tablename__ = "postmortem_action"
    __table_args__ = (UniqueConstraint("incident_number", "number", name="uq_postmortem_action_number"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_number: int = Field(foreign_key="postmortem.incident_number", index=True)
    number: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    owner: str = Field(max_length=80)
    due: date
    added_by: str = Field(max_length=120)
    added_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    tracker: str | None = Field(default=None, max_length=16)
    issue_ref: str | None = Field(default=None, max_length=200)
    issue_url: str | None = Field(default=None, max_length=500)
    done_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    done_by: str | None = Field(default=None, max_length=120)


_COPIED = [
    "circle", "title", "slug", "owner", "started_by", "started_at", "due", "document_date", "root_cause",
    "summary", "merge_request_iid", "merge_request_url", "merge_request_state", "merge_request_checks",
    "merge_request_checked_at", "review_requested_at", "agreed_at", "agreed_by", "closed_at", "revision",
]  # fmt: skip
_ACTION_COPIED = ["text", "owner", "due", "added_by", "added_at", "issue_ref", "issue_url", "done_at", "done_by"]


class SqlPostmortems:
    """The postmortem repository on a session; `get` locks the row so concurrent clicks queue up."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, postmortem: Postmortem) -> None:
        self._session.add(PostmortemRow(incident_number=postmortem.incident_number, **self._columns(postmortem)))
        await self._session.flush()
        await self._save_actions(postmortem)

    async def get(self, incident_number: int) -> Postmortem | None:
        """The postmortem of INC-<incident_number>, locked for this transaction."""
        query = select(PostmortemRow).where(PostmortemRow.incident_number == incident_number)
        if self._is_postgres:
            query = query.with_for_update()
        row = (await self._session.exec(query)).first()
        return None if row is None else await self._load(row)

    async def save(self, postmortem: Postmortem) -> None:
        row = await self._session.get(PostmortemRow, postmortem.incident_number)
        if row is None:
            raise LookupError(f"the postmortem of {postmortem.incident_key} does not exist")
        for name, value in self._columns(postmortem).items():
            setattr(row, name, value)
        self._session.add(row)
        await self._session.flush()
        await self._save_actions(postmortem)

    async def by_thread(self, conversation_id: str) -> Postmortem | None:
        """The postmortem whose review thread this conversation is."""
        if ";messageid=" not in conversation_id:
            return None
        query = select(SentMessageRow).where(
            col(SentMessageRow.thread_conversation_id) == conversation_id,
            col(SentMessageRow.key).like(f"{CARD_KEY_PREFIX}%{CARD_KEY_SUFFIX}"),
        )
        card = (await self._session.exec(query)).first()
        if card is None:
            return None
        number = card.key.removeprefix(CARD_KEY_PREFIX).removesuffix(CARD_KEY_SUFFIX)
        return await self.get(int(number)) if number.isdigit() else None

    async def in_circle(self, circle: str, *, limit: int = 20) -> list[Postmortem]:
        """The circle's postmortems, newest first."""
        query = (
            select(PostmortemRow)
            .where(PostmortemRow.circle == circle)
            .order_by(col(PostmortemRow.started_at).desc())
            .limit(limit)
        )
        return [await self._load(row) for row in (await self._session.exec(query)).all()]

    async def search(self, words: list[str], *, limit: int = 10) -> list[Postmortem]:
        """Past postmortems whose title, triggers, root cause or summary mention the words, best first."""
        terms = [w for w in (re.sub(r"[^\w.-]", "", word.lower()) for word in words) if len(w) >= 2]
        if not terms:
            return []
        names = ("title", "triggers", "root_cause", "summary")
        matches = [
            func.lower(func.coalesce(col(getattr(PostmortemRow, name)), "")).contains(term)
            for term in terms
            for name in names
        ]
        rows = (await self._session.exec(select(PostmortemRow).where(or_(*matches)))).all()

        def score(row: PostmortemRow) -> tuple[int, datetime]:
            text = " ".join(str(getattr(row, name) or "") for name in names).lower()
            return sum(text.count(term) for term in terms), row.started_at

        ranked = sorted(rows, key=score, reverse=True)[:limit]
        return [await self._load(row) for row in ranked]

    @property
    def _is_postgres(self) -> bool:
        return bool(self._session.bind and self._session.bind.dialect.name == "postgresql")

    @staticmethod
    def _columns(postmortem: Postmortem) -> dict[str, Any]:
        values: dict[str, Any] = {name: getattr(postmortem, name) for name in _COPIED}
        values["status"] = postmortem.status.value
        values["triggers"] = "\n".join(postmortem.triggers)
        return values

    async def _save_actions(self, postmortem: Postmortem) -> None:
        query = select(PostmortemActionRow).where(PostmortemActionRow.incident_number == postmortem.incident_number)
        stored = {row.number: row for row in (await self._session.exec(query)).all()}
        for action in postmortem.actions:
            row = stored.get(action.number) or PostmortemActionRow(
                incident_number=postmortem.incident_number,
                number=action.number,
                text=action.text,
                owner=action.owner,
                due=action.due,
                added_by=action.added_by,
                added_at=action.added_at,
            )
            for name in _ACTION_COPIED:
                setattr(row, name, getattr(action, name))
            row.tracker = action.tracker.value if action.tracker else None
            self._session.add(row)
        await self._session.flush()

    async def _load(self, row: PostmortemRow) -> Postmortem:
        query = (
            select(PostmortemActionRow)
            .where(PostmortemActionRow.incident_number == row.incident_number)
            .order_by(col(PostmortemActionRow.number))
        )
        actions = [
            CorrectiveAction(
                number=a.number,
                tracker=ActionTracker(a.tracker) if a.tracker else None,
                **{name: getattr(a, name) for name in _ACTION_COPIED},
            )
            for a in (await self._session.exec(query)).all()
        ]
        return Postmortem(
            incident_number=row.incident_number,
            status=PostmortemStatus(row.status),
            triggers=tuple(line for line in row.triggers.split("\n") if line),
            actions=actions,
            **{name: getattr(row, name) for name in _COPIED},
        )
