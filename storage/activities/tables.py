"""The activity tables: one row per activity, one per feedback given."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UtcDateTime


class ActivityRow(SQLModel, table=True):
    __tablename__ = "activity"
    __table_args__ = (
        # One activity per GitLab issue; NULL iids (not created yet) never collide.
        UniqueConstraint("project", "iid", name="uq_activity_issue"),
        Index("ix_activity_circle_owner_status", "circle", "owner", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    circle: str = Field(max_length=80)
    owner: str = Field(max_length=80)
    title: str = Field(max_length=255)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    tasks: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    definition_of_done: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    deadline: date | None = None
    repository: str = Field(max_length=16)
    project: str = Field(max_length=255)
    marker: str = Field(max_length=40, unique=True)
    created_by: str = Field(max_length=80)
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    extra_labels: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(max_length=16)
    iid: int | None = None
    web_url: str | None = Field(default=None, max_length=500)
    started_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    wip_since: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    last_feedback_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    last_feedback: str | None = Field(default=None, sa_column=Column(Text))
    feedback_level: int = 0
    status_changed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    risk_notified: bool = False
    review_reason: str | None = Field(default=None, sa_column=Column(Text))
    missing_sections: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    revision: int = 0


class ActivityFeedbackRow(SQLModel, table=True):
    __tablename__ = "activity_feedback"
    __table_args__ = (UniqueConstraint("activity_id", "day", "sequence", name="uq_activity_feedback"),)

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="activity.id", index=True)
    day: date
    sequence: int
    at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))
