"""An on-call notifier that records what the rota would have said in Teams, and whom it can reach."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from domain.circle import Circle, Member
from domain.oncall.handover import Handover, HandoverBrief
from domain.ports import UnitOfWork
from domain.rota import Shift


@dataclass
class FakeOnCallNotifier:
    """`said` holds (what, to whom, detail); people not in `reachable` cannot be messaged privately."""

    reachable: set[str] = field(default_factory=set)
    said: list[tuple[str, str, str]] = field(default_factory=list)
    briefs: list[HandoverBrief] = field(default_factory=list)

    def _private(self, what: str, handle: str, detail: str = "") -> bool:
        if handle not in self.reachable:
            return False
        self.said.append((what, handle, detail))
        return True

    async def ask_handover_notes(self, uow: UnitOfWork, circle: Circle, handover: Handover) -> bool:
        return self._private("notes_prompt", handover.outgoing or "", handover.incoming)

    async def send_handover(self, uow: UnitOfWork, circle: Circle, handover: Handover, brief: HandoverBrief) -> bool:
        self.briefs.append(brief)
        return self._private("handover_card", handover.incoming, handover.notes or handover.status.value)

    async def remind_handover(self, uow: UnitOfWork, circle: Circle, handover: Handover) -> bool:
        return self._private("handover_reminder", handover.incoming)

    async def handover_accepted(self, uow: UnitOfWork, circle: Circle, handover: Handover) -> None:
        self._private("accepted", handover.outgoing or "", handover.incoming)

    async def remind_shift(self, uow: UnitOfWork, circle: Circle, shift: Shift, before: timedelta) -> bool:
        return self._private("shift_reminder", shift.member, f"{shift.layer} in {before}")

    async def tell_team_leader(self, uow: UnitOfWork, circle: Circle, text: str, *, key: str) -> None:
        self.said.append(("team_leader", circle.team_leader, text))

    async def ask_to_say_hi(self, uow: UnitOfWork, circle: Circle, members: Sequence[Member], *, key: str) -> None:
        self.said.append(("say_hi", "channel", ", ".join(m.handle for m in members)))

    async def unreachable(self, uow: UnitOfWork, members: Sequence[Member]) -> list[Member]:
        return [m for m in members if m.handle not in self.reachable]

    def of(self, what: str) -> list[tuple[str, str]]:
        return [(to, detail) for kind, to, detail in self.said if kind == what]
