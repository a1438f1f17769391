"""The activity repository (domain.activities.ports.ActivityRepository) on a session."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.activities.model import Activity, ActivityStatus, Repository
from domain.activities.template import Task
from storage.activities.tables import ActivityFeedbackRow, ActivityRow

_COPIED = [
    "circle", "owner", "title", "description", "deadline", "project", "marker", "created_by", "created_at",
    "iid", "web_url", "started_at", "wip_since", "last_feedback_at", "last_feedback", "feedback_level",
    "status_changed_at", "risk_notified", "review_reason", "revision",
]  # fmt: skip
_OPEN = [ActivityStatus.TODO.value, ActivityStatus.WIP.value, ActivityStatus.REVIEW.value]
# `/activity` shows the last few finished ones too, so a member sees their approval landed.
RECENTLY_DONE = 3


class SqlActivities:
    """`get` locks the row on PostgreSQL, so two clicks on one card queue up instead of racing."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, activity: Activity) -> Activity:
        row = ActivityRow(**_columns(activity))
        self._session.add(row)
        await self._session.flush()
        activity.id = row.id
        return activity

    async def get(self, activity_id: int) -> Activity | None:
        query = select(ActivityRow).where(ActivityRow.id == activity_id)
        if self._is_postgres:
            query = query.with_for_update()
        row = (await self._session.exec(query)).first()
        return None if row is None else _activity(row)

    async def by_issue(self, project: str, iid: int) -> Activity | None:
        query = select(ActivityRow).where(ActivityRow.project == project, ActivityRow.iid == iid)
        row = (await self._session.exec(query)).first()
        return None if row is None else _activity(row)

    async def save(self, activity: Activity) -> None:
        row = await self._session.get(ActivityRow, activity.id)
        if row is None:
            raise LookupError(f"activity {activity.id} does not exist")
        for name, value in _columns(activity).items():
            setattr(row, name, value)
        self._session.add(row)
        await self._session.flush()

    async def of_member(self, circle: str, owner: str) -> list[Activity]:
        query = select(ActivityRow).where(ActivityRow.circle == circle, ActivityRow.owner == owner)
        rows = (await self._session.exec(query.order_by(col(ActivityRow.created_at).desc()))).all()
        found = [_activity(row) for row in rows]
        done = [a for a in found if a.status is ActivityStatus.DONE]
        return [a for a in found if a.status is not ActivityStatus.DONE] + done[:RECENTLY_DONE]

    async def open_in_circle(self, circle: str) -> list[Activity]:
        query = (
            select(ActivityRow)
            .where(ActivityRow.circle == circle, col(ActivityRow.status).in_(_OPEN))
            .order_by(col(ActivityRow.owner), col(ActivityRow.created_at))
        )
        return [_activity(row) for row in (await self._session.exec(query)).all()]

    async def wip_of(self, circle: str, owner: str) -> Activity | None:
        query = (
            select(ActivityRow)
            .where(
                ActivityRow.circle == circle,
                ActivityRow.owner == owner,
                ActivityRow.status == ActivityStatus.WIP.value,
            )
            .order_by(col(ActivityRow.wip_since).desc())
        )
        row = (await self._session.exec(query)).first()
        return None if row is None else _activity(row)

    async def next_feedback_sequence(self, activity_id: int, day: date) -> int:
        query = select(func.max(ActivityFeedbackRow.sequence)).where(
            ActivityFeedbackRow.activity_id == activity_id, ActivityFeedbackRow.day == day
        )
        current = (await self._session.exec(query)).first()
        return int(current or 0) + 1

    async def add_feedback(self, activity_id: int, day: date, sequence: int, at: datetime, text: str) -> None:
        self._session.add(ActivityFeedbackRow(activity_id=activity_id, day=day, sequence=sequence, at=at, text=text))
        await self._session.flush()

    async def feedback_of(self, activity_id: int) -> list[tuple[date, str]]:
        """Every feedback given on the card, oldest first."""
        query = (
            select(ActivityFeedbackRow)
            .where(ActivityFeedbackRow.activity_id == activity_id)
            .order_by(col(ActivityFeedbackRow.at))
        )
        return [(row.day, row.text) for row in (await self._session.exec(query)).all()]

    @property
    def _is_postgres(self) -> bool:
        return bool(self._session.bind and self._session.bind.dialect.name == "postgresql")


def _columns(activity: Activity) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(activity, name) for name in _COPIED}
    values["status"] = activity.status.value
    values["repository"] = activity.repository.value
    values["tasks"] = [{"text": t.text, "done": t.done} for t in activity.tasks]
    values["definition_of_done"] = [{"text": t.text, "done": t.done} for t in activity.definition_of_done]
    values["extra_labels"] = list(activity.extra_labels)
    values["missing_sections"] = list(activity.missing_sections)
    return values


def _activity(row: ActivityRow) -> Activity:
    return Activity(
        id=row.id,
        status=ActivityStatus(row.status),
        repository=Repository(row.repository),
        tasks=[Task(t["text"], bool(t["done"])) for t in row.tasks],
        definition_of_done=[Task(t["text"], bool(t["done"])) for t in row.definition_of_done],
        extra_labels=tuple(row.extra_labels),
        missing_sections=tuple(row.missing_sections),
        **{name: getattr(row, name) for name in _COPIED},
    )
