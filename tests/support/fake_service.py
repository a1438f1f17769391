"""An in-memory external system with the lookup-before-create idempotency that Jira/GitLab give us."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from storage.outbox import OutboxMessage


@dataclass
class FakeTicketService:
    """Records created tickets by label; can be told to hang after creating, like a lost response."""

    tickets: dict[str, dict[str, Any]] = field(default_factory=dict)
    creates: int = 0
    hang_after_create: int = 0

    async def deliver(self, message: OutboxMessage) -> dict[str, Any]:
        # Look the idempotency key up before creating, exactly as the Jira adapter does with JQL.
        if message.idempotency_key in self.tickets:
            return {"key": self.tickets[message.idempotency_key]["key"], "reused": True}
        self.creates += 1
        ticket = {"key": f"T-{self.creates}", **message.payload}
        self.tickets[message.idempotency_key] = ticket
        if self.hang_after_create:
            self.hang_after_create -= 1
            await asyncio.sleep(3600)
        return {"key": ticket["key"]}
