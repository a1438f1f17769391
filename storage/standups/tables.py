"""The stand-up tables: one entry per member and day, blockers across days, time off, each day's card."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UtcDateTime


class StandupEntryRow(SQLModel, table=True):
    __tablename__ = "standup_entry"
    # One entry per member and day, however many timers, replicas or `/standup`s write it.
    __table_args__ = (UniqueConstraint("circle", "day", "member", name="uq_standup_entry"),)

    id: int | None = Field(default=None, primary_key=True)
    circle: str = Field(max_length=64)
    day: date
    member: str = Field(max_length=64)
    status: str = Field(max_length=16)
    prompted_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    yesterday: str = Field(default="", sa_column=Column(Text, nullable=False))
    today: str = Field(default="", sa_column=Column(Text, nullable=False))
    blockers: str = Field(default="", sa_column=Column(Text, nullable=False))
    answered_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    edited_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    reason: str = Field(default="", max_length=255)
    incident: str | None = Field(default=None, max_length=32)
    night_paged: bool = False
    reminded_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))


class StandupBlockerRow(SQLModel, table=True):
    __tablename__ = "standup_blocker"
    __table_args__ = (
        Index("ix_standup_blocker_member", "circle", "member", "solved_on"),
        Index("ix_standup_blocker_last_day", "circle", "last_day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    circle: str = Field(max_length=64)
    member: str = Field(max_length=64)
    text: str = Field(sa_column=Column(Text, nullable=False))
    first_day: date
    last_day: date
    solved_on: date | None = None
    escalated_on: date | None = None


class StandupAwayRow(SQLModel, table=True):
    __tablename__ = "standup_away"
    __table_args__ = (Index("ix_standup_away_span", "circle", "end_day"),)

    id: int | None = Field(default=None, primary_key=True)
    circle: str = Field(max_length=64)
    member: str = Field(max_length=64)
    start_day: date
    end_day: date
    reason: str = Field(default="", max_length=255)


class StandupDayRow(SQLModel, table=True):
    __tablename__ = "standup_day"

    circle: str = Field(max_length=64, primary_key=True)
    day: date = Field(primary_key=True)
    posted_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    final_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
