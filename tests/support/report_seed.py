"""Twelve weeks of a circle's life for the dashboard: incidents of every severity, escalations,
stakeholder updates, breaches, and a postmortem whose actions burn down."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from domain.circle import Severity
from domain.incidents.model import Incident, Source
from domain.postmortems.model import Postmortem
from domain.standups.model import Blocker, Entry, EntryStatus
from storage.postmortems.repository import SqlPostmortems
from storage.unit_of_work import UnitOfWorkFactory

COMMANDERS = ("marco", "luca", "sara", "elena")


async def seed_weeks(uow_factory: UnitOfWorkFactory, now: datetime, weeks: int = 12) -> int:
    """Two or three incidents a week for `weeks` weeks before `now`; returns how many."""
    count = 0
    async with uow_factory() as uow:
        for n in range(weeks * 5 // 2):
            declared = now - timedelta(days=weeks * 7 - 1) + timedelta(days=n * 2 + (n % 3) * 0.4, hours=n % 11)
            if declared >= now - timedelta(hours=3):
                break
            severity = list(Severity)[n % 4]
            what = ["checkout 500s", "disk full", "slow search"][n % 3]
            incident = Incident.declare(
                number=0, circle="demo", title=f"incident {n + 1}: {what}",
                severity=severity, declared_by="monitoring" if n % 2 else "Giulia Rossi", at=declared,
                commander=COMMANDERS[n % 4], source=Source.ALERT if n % 2 else Source.MANUAL,
                service=["checkout", "storage", "search"][n % 3], business_impact=n % 4 == 0,
            )  # fmt: skip
            late = n % 5 == 0  # every fifth one is acknowledged late, after two escalation steps
            ack_after = timedelta(minutes=25 if late else 2 + n % 4)
            if late:
                incident.record(declared + timedelta(minutes=5), "circlebot", "escalated", "step 1")
                incident.record(declared + timedelta(minutes=10), "circlebot", "escalated", "step 2")
            incident.acknowledge(incident.commander or "marco", declared + ack_after)
            if incident.business_impact:
                incident.record_stakeholder_update("marco", declared + timedelta(minutes=20), "we are on it")
            incident.resolve("marco", declared + timedelta(hours=1 + (n % 6) * 2), summary="fixed")
            await uow.incidents.add(incident)
            count += 1
        postmortem = Postmortem.start(
            incident_number=1, circle="demo", title="incident 1", owner="marco", started_by="giulia",
            at=now - timedelta(days=60), due=(now - timedelta(days=53)).date(), document_date=date(2026, 9, 28),
        )  # fmt: skip
        for k in range(5):
            added = now - timedelta(days=60 - k)
            due = (added + timedelta(days=20)).date()
            postmortem.add_action(text=f"action {k + 1}", owner=COMMANDERS[k % 4], due=due, by="giulia", at=added,
                                  today=added.date())  # fmt: skip
        for k in range(3):
            postmortem.complete_action(k + 1, "marco", now - timedelta(days=40 - 10 * k))
        await SqlPostmortems(uow.session).add(postmortem)
        await uow.commit()
    return count


async def seed_standups(uow_factory: UnitOfWorkFactory, now: datetime, days: int = 28) -> int:
    """Weekday stand-ups of the commanders over `days` days before `now` (one in four left unanswered) and a
    blocker each week; returns how many entries."""
    count = 0
    async with uow_factory() as uow:
        for offset in range(days, 0, -1):
            day = (now - timedelta(days=offset)).date()
            if day.weekday() >= 5:
                continue
            for k, member in enumerate(COMMANDERS):
                answered = (offset + k) % 4 != 0
                entry = Entry("demo", day, member, EntryStatus.ANSWERED if answered else EntryStatus.PROMPTED)
                if answered:
                    entry.answer(yesterday="runbook review", today="on-call", blockers="", at=now)
                await uow.standups.add_entry(entry)
                count += 1
            if day.weekday() == 0:
                solved = day + timedelta(days=2)
                await uow.standups.add_blocker(
                    Blocker("demo", COMMANDERS[offset % 4], "waiting for VPN access", day, solved, solved_on=solved)
                )
        await uow.commit()
    return count
