"""A stand-up notifier that records what would have been said in Teams, and whom it can reach."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from domain.circle import Circle, Member
from domain.ports import UnitOfWork
from domain.standups.model import Blocker
from domain.standups.ports import PromptDraft
from domain.standups.summary import Summary


@dataclass
class FakeStandupNotifier:
    """People not in `reachable` cannot be messaged privately; `summaries` holds every card shown."""

    reachable: set[str] = field(default_factory=set)
    prompts: list[tuple[str, PromptDraft]] = field(default_factory=list)
    reminders: list[tuple[str, date]] = field(default_factory=list)
    summaries: list[tuple[str, Summary]] = field(default_factory=list)  # ("post" | "update", summary)
    escalations: list[tuple[str, str, int]] = field(default_factory=list)  # (team leader, blocker, age)

    async def prompt(
        self, uow: UnitOfWork, circle: Circle, member: Member, draft: PromptDraft, *, on_demand: bool = False
    ) -> bool:
        if member.handle not in self.reachable:
            return False
        self.prompts.append((member.handle, draft))
        return True

    async def remind(self, uow: UnitOfWork, circle: Circle, member: Member, day: date, until: str) -> bool:
        if member.handle not in self.reachable:
            return False
        self.reminders.append((member.handle, day))
        return True

    async def post_summary(self, uow: UnitOfWork, circle: Circle, summary: Summary) -> None:
        self.summaries.append(("post", summary))

    async def update_summary(self, uow: UnitOfWork, circle: Circle, summary: Summary) -> None:
        self.summaries.append(("update", summary))

    async def escalate_blocker(self, uow: UnitOfWork, circle: Circle, blocker: Blocker, age: int) -> None:
        self.escalations.append((circle.team_leader, blocker.text, age))

    def prompted(self) -> list[str]:
        return [handle for handle, _ in self.prompts]
