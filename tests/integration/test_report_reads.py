"""Reports read what the incident process recorded, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from domain.circle import Circle, Severity
from domain.incidents.model import Source
from domain.incidents.service import acknowledge, resolve, send_stakeholder_update
from domain.reports.load import SLEEP, pages_of
from domain.reports.period import week_to_date
from domain.reports.service import circle_report
from storage.database import Database
from storage.reports import queries
from storage.reports.reads import SqlReportReads
from tests.integration.test_incident_service import Desk, desk, notifier  # noqa: F401  (fixtures)


async def test_the_report_counts_what_the_incident_process_recorded(
    desk: Desk,  # noqa: F811
    circle: Circle,
    database: Database,
) -> None:
    # Friday 27 Nov 2026, 03:00 UTC (04:00 in Rome): a P1 with business impact nobody acknowledges for 21 minutes.
    first = await desk.declare(circle, business_impact=True)
    await desk.at(20)  # escalated to the primary again, the secondary and the Team Leader
    await desk.at(21)
    await desk.run(acknowledge, first.number, "luca")
    await desk.at(25)
    await desk.run(send_stakeholder_update, first.number, "luca", "Checkout is failing; rollback under way")
    await desk.at(90)
    await desk.run(resolve, first.number, "luca", summary="rolled back")
    second = await desk.declare(circle, severity=Severity.P3, source=Source.ALERT, declared_by="monitoring")
    await desk.at(100)
    await desk.run(acknowledge, second.number, "luca")

    async with database.read_session() as session:
        report = await circle_report(
            SqlReportReads(session), circle, week_to_date(desk.clock.now(), circle.time_zone), desk.clock.now()
        )
        facts = await queries.incident_facts(session, [circle.name], desk.start, desk.clock.now())
        breaches = await queries.sla_breach_totals(session)
        escalations = await queries.escalation_totals(session)
        open_now = await queries.open_incidents(session)
        to_acknowledge = await queries.response_time_totals(session, "acknowledged_at")
        to_resolve = await queries.response_time_totals(session, "resolved_at")

    figures = report.current
    assert (figures.total, figures.manual, figures.from_alerts) == (2, 1, 1)
    assert figures.escalations_per_step == (1, 1, 1)
    assert figures.mtta == timedelta(minutes=(21 + 10) / 2)
    assert figures.mttr == timedelta(minutes=90)
    assert (figures.sla["acknowledge"].breached, figures.sla["acknowledge"].breach_minutes) == (1, 16)
    assert (figures.stakeholder_on_time, figures.stakeholder_late) == (1, 0)
    # The pages the report counts are the pages the bot sent.
    paged = [handle for f in facts for handle, _at in pages_of(f, circle)]
    assert sorted(paged) == sorted(["luca", "luca", *desk.notifier.of("page")])
    luca = next(p for p in report.load if p.handle == "luca")
    # Commander of both (and step 1 of the first): 04:00-05:30 and 05:30-05:40 in Rome, all sleep hours.
    assert luca.pages[SLEEP] == 3 and luca.minutes[SLEEP] == 90 + 10
    assert report.night_carrier is not None and report.night_carrier.handle == "luca"
    assert breaches == {("demo", "P1", "acknowledge"): 1}
    assert escalations == {("demo", "P1"): 3}
    assert open_now == {("demo", "P3"): 1}
    assert to_acknowledge == {("demo", "P1"): (1, 21 * 60.0), ("demo", "P3"): (1, 10 * 60.0)}
    assert to_resolve == {("demo", "P1"): (1, 90 * 60.0)}
