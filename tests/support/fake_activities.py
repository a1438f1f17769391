"""In-memory activity repository, unit of work and notifier, for the use cases' unit tests."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from domain.activities.model import Activity, ActivityStatus
from domain.circle import Circle, Member


class FakeActivities:
    def __init__(self) -> None:
        self.rows: dict[int, Activity] = {}
        self.feedback: list[tuple[int, date, int, datetime, str]] = []

    async def add(self, activity: Activity) -> Activity:
        activity.id = len(self.rows) + 1
        self.rows[activity.id] = activity.copy()
        return activity

    async def get(self, activity_id: int) -> Activity | None:
        found = self.rows.get(activity_id)
        return found.copy() if found else None

    async def by_issue(self, project: str, iid: int) -> Activity | None:
        found = next((a for a in self.rows.values() if a.project == project and a.iid == iid), None)
        return found.copy() if found else None

    async def save(self, activity: Activity) -> None:
        assert activity.id in self.rows
        self.rows[activity.id] = activity.copy()

    async def of_member(self, circle: str, owner: str) -> list[Activity]:
        return [a.copy() for a in self.rows.values() if a.circle == circle and a.owner == owner]

    async def open_in_circle(self, circle: str) -> list[Activity]:
        return [a.copy() for a in self.rows.values() if a.circle == circle and a.status is not ActivityStatus.DONE]

    async def wip_of(self, circle: str, owner: str) -> Activity | None:
        mine = [a for a in await self.of_member(circle, owner) if a.status is ActivityStatus.WIP]
        return mine[0] if mine else None

    async def next_feedback_sequence(self, activity_id: int, day: date) -> int:
        return 1 + sum(1 for row in self.feedback if row[0] == activity_id and row[1] == day)

    async def add_feedback(self, activity_id: int, day: date, sequence: int, at: datetime, text: str) -> None:
        self.feedback.append((activity_id, day, sequence, at, text))


class FakeOutbox:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        idempotency_key: str,
        ordering_key: str | None = None,
        not_before: datetime | None = None,
    ) -> None:
        if any(row["key"] == idempotency_key for row in self.rows):
            return
        self.rows.append({"kind": kind, "payload": copy.deepcopy(payload), "key": idempotency_key})

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [row["payload"] for row in self.rows if row["kind"] == kind]


class FakeCircles:
    def __init__(self, *circles: Circle) -> None:
        self.circles = {c.name: c for c in circles}

    async def get(self, name: str) -> Circle | None:
        return self.circles.get(name)

    async def by_channel(self, channel_id: str) -> Circle | None:
        return next((c for c in self.circles.values() if c.channel_id == channel_id), None)


@dataclass
class FakeUnitOfWork:
    circles: FakeCircles
    outbox: FakeOutbox = field(default_factory=FakeOutbox)


@dataclass
class RecordingNotifier:
    """Records what would be said in Teams, as (what, who, text-or-ref)."""

    said: list[tuple[str, str, str]] = field(default_factory=list)

    async def activity_changed(self, uow: Any, activity: Activity, circle: Circle) -> None:
        self.said.append(("card", activity.owner, activity.status.value))

    async def tell(self, uow: Any, circle: Circle, member: Member, text: str, *, key: str) -> None:
        self.said.append(("tell", member.handle, text))

    async def ask_feedback(
        self,
        uow: Any,
        activity: Activity,
        circle: Circle,
        member: Member,
        prefill: str,
        *,
        key: str,
        late: str | None = None,
    ) -> None:
        self.said.append(("feedback", member.handle, prefill + (f" [{late}]" if late else "")))

    async def ask_review(self, uow: Any, activity: Activity, circle: Circle) -> None:
        self.said.append(("review", circle.team_leader, activity.ref))

    async def ask_which(self, uow: Any, current: Activity, started: Activity, circle: Circle) -> None:
        self.said.append(("which", started.owner, f"{current.ref}->{started.ref}"))

    def told(self, who: str) -> list[str]:
        return [text for what, handle, text in self.said if what == "tell" and handle == who]
