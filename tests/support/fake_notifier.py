"""A notifier that records what the incident process would have said in Teams."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.circle import Circle, Member
from domain.incidents.model import Incident
from domain.incidents.report import IncidentReport
from domain.ports import UnitOfWork


@dataclass
class FakeNotifier:
    said: list[tuple[str, str, str]] = field(default_factory=list)
    told_keys: set[str] = field(default_factory=set)

    async def incident_changed(self, uow: UnitOfWork, incident: Incident, circle: Circle) -> None:
        self.said.append(("card", incident.key, incident.status.value))

    async def tell_thread(
        self, uow: UnitOfWork, incident: Incident, circle: Circle, text: str, *, mention: Member | None = None
    ) -> None:
        self.said.append(("thread", incident.key, text))
        if mention is not None:
            self.said.append(("mention", incident.key, mention.handle))

    async def post_report(self, uow: UnitOfWork, report: IncidentReport, circle: Circle) -> None:
        self.said.append(("report", report.incident.key, report.incident.resolution_summary or ""))

    async def page(
        self, uow: UnitOfWork, incident: Incident, circle: Circle, member: Member, reason: str, *, step: int
    ) -> None:
        self.said.append(("page", incident.key, member.handle))

    async def ask_stakeholder_update(
        self, uow: UnitOfWork, incident: Incident, circle: Circle, draft: str, overdue: bool
    ) -> None:
        self.said.append(("stakeholder_prompt", incident.key, "overdue" if overdue else "due"))

    async def post_stakeholder_update(self, uow: UnitOfWork, incident: Incident, circle: Circle, text: str) -> None:
        self.said.append(("stakeholder_post", incident.key, text))

    async def tell_privately(
        self, uow: UnitOfWork, incident: Incident, circle: Circle, member: Member, text: str, *, key: str
    ) -> None:
        if key not in self.told_keys:
            self.told_keys.add(key)
            self.said.append(("private", incident.key, f"{member.handle}: {text}"))

    def of(self, kind: str) -> list[str]:
        return [text for said_kind, _key, text in self.said if said_kind == kind]
