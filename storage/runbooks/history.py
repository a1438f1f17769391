"""What the bot knows that a runbook should reflect: alerts seen, postmortems, corrective actions."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.alerts.model import AlertState
from domain.circle import Circle
from domain.runbooks.check import ActionMention, mentions_runbook
from domain.runbooks.template import PostmortemLink
from domain.services import Service
from storage.alerts.repository import AlertGroupRow
from storage.incidents.repository import IncidentRow
from storage.postmortems.repository import SqlPostmortems

# The knowledge base is searched among the circle's most recent postmortems.
POSTMORTEMS_SCANNED = 200


class SqlRunbookHistory:
    """Implements domain.runbooks.ports.RunbookHistory on one session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def alerts_fired(self, circle: Circle, service: Service, since: datetime) -> list[str]:
        query = select(AlertGroupRow.alerts).where(
            AlertGroupRow.circle == circle.name, col(AlertGroupRow.last_seen) >= since
        )
        names: dict[str, None] = {}
        for alerts in (await self._session.exec(query)).all():
            for data in alerts.values():
                state = AlertState.from_dict(data)
                if state.starts_at >= since and state.labels and circle.service_for(state.labels) == service:
                    names.setdefault(state.labels.get("alertname") or state.summary, None)
        return list(names)

    async def action_mentions(self, circle: Circle, service: Service) -> list[ActionMention]:
        found = []
        for postmortem in await SqlPostmortems(self._session).in_circle(circle.name, limit=POSTMORTEMS_SCANNED):
            if postmortem.agreed_at is None:
                continue
            for action in postmortem.actions:
                if not action.done and mentions_runbook(action.text, service):
                    found.append(
                        ActionMention(f"{postmortem.incident_key} {action.key}", action.text, postmortem.agreed_at)
                    )
        return found

    async def postmortems(self, circle: Circle, service: Service) -> list[PostmortemLink]:
        query = select(IncidentRow.number).where(
            IncidentRow.circle == circle.name, col(IncidentRow.service) == service.name
        )
        of_service = set((await self._session.exec(query)).all())
        links = []
        for postmortem in await SqlPostmortems(self._session).in_circle(circle.name, limit=POSTMORTEMS_SCANNED):
            if postmortem.incident_number in of_service or service.name.lower() in postmortem.title.lower().split():
                links.append(PostmortemLink(postmortem.incident_key, postmortem.title, postmortem.merge_request_url))
        return links
