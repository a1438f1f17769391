"""The runbooks tables: the last copy of each runbook read from GitLab, and the drills."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UtcDateTime


class RunbookCopyRow(SQLModel, table=True):
    """What GitLab last answered for one file: its text, ETag and last commit, and when we read it."""

    __tablename__ = "runbook_copy"
    __table_args__ = (UniqueConstraint("project", "ref", "path", name="uq_runbook_copy_file"),)

    id: int | None = Field(default=None, primary_key=True)
    project: str = Field(max_length=255)
    ref: str = Field(max_length=255)
    path: str = Field(max_length=500)
    content: str = Field(sa_column=Column(Text, nullable=False))
    # False: GitLab answered 404 for the file (the runbook does not exist yet).
    present: bool = True
    etag: str | None = Field(default=None, max_length=255)
    last_commit_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    fetched_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))


class DrillRow(SQLModel, table=True):
    __tablename__ = "drill"
    __table_args__ = (Index("ix_drill_circle_member", "circle", "member"),)

    id: int | None = Field(default=None, primary_key=True)
    circle: str = Field(max_length=80)
    member: str = Field(max_length=80)
    started_by: str = Field(max_length=80)
    started_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    questions: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(max_length=16)
    score: float = 0.0
    passed: bool = False
    completed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    gaps_filed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    note: str | None = Field(default=None, sa_column=Column(Text))
    revision: int = 0
