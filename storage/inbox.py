"""The outbox as an inbox for a door's requests, group-committed (alert webhooks).

A webhook answers only once its notification is committed (Alertmanager retries what is not
acknowledged), and during a storm twenty senders post at once. Committed one transaction each, they
queued for SQLite's one writer behind each other; here the requests that arrive while one batch is
written go together into the next transaction, each caller told whether its request was new.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.outbox_request import OutboxRequest, queue
from storage.group_commit import GroupCommit, first_of_each
from storage.unit_of_work import UnitOfWorkFactory


class Inbox:
    """`await inbox.put(request)`: True once committed as new, False for a request already there."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory
        self._group: GroupCommit[OutboxRequest, bool] = GroupCommit(self._write, name="inbox")

    async def put(self, request: OutboxRequest) -> bool:
        return await self._group.put(request)

    async def _write(self, batch: Sequence[OutboxRequest]) -> list[bool]:
        async with self._uow_factory() as uow:
            for request in batch:
                queue(uow.outbox, request)
            await uow.commit()
        return first_of_each([request.idempotency_key for request in batch], uow.outbox.added_keys)
