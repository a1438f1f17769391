"""A door's requests committed together: each caller learns whether its request was new, after the commit."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import ClassVar

from sqlalchemy import event, func
from sqlmodel import select

from domain.outbox_request import OutboxRequest
from storage.database import Database
from storage.inbox import Inbox
from storage.outbox import OutboxRow
from storage.unit_of_work import UnitOfWorkFactory


@dataclass(frozen=True)
class Notification(OutboxRequest):
    kind: ClassVar[str] = "alerts.ingest"

    group_key: str
    status: str

    @property
    def idempotency_key(self) -> str:
        return f"alerts:{self.group_key}:{self.status}"


async def test_notifications_arriving_together_commit_together_and_a_redelivery_is_told_apart(
    database: Database, uow_factory: UnitOfWorkFactory
) -> None:
    inbox = Inbox(uow_factory)
    assert await inbox.put(Notification('{}:{alertname="Disk"}', "firing"))
    commits: list[str] = []
    event.listen(database.engine.sync_engine, "commit", lambda _conn: commits.append("commit"))

    new = await asyncio.gather(
        *(inbox.put(Notification(f"group-{n}", "firing")) for n in range(10)),
        inbox.put(Notification('{}:{alertname="Disk"}', "firing")),  # Alertmanager's retry
        inbox.put(Notification("group-3", "firing")),  # the same news twice at once
        inbox.put(Notification("group-3", "resolved")),  # other news of the same group
    )

    assert new == [True] * 10 + [False, False, True]
    assert 1 <= len(commits) <= 2
    async with database.read_session() as session:
        assert (await session.exec(select(func.count()).select_from(OutboxRow))).one() == 12
