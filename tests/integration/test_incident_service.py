"""Incident use cases through real storage: effects commit with the change, timers drive the clock."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from adapters.incidents.timers import incident_timer_handlers
from adapters.timer_tick import TimerTick
from domain.circle import Circle, Severity
from domain.clock import FixedClock
from domain.incidents.model import Incident, IncidentError, IncidentStatus, Source
from domain.incidents.service import (
    IncidentContext,
    acknowledge,
    add_note,
    change_impact,
    change_severity,
    change_status,
    declare_incident,
    resolve,
    send_stakeholder_update,
)
from storage.database import Database
from storage.outbox import OutboxRow
from storage.timers import TimerRow
from storage.unit_of_work import UnitOfWorkFactory
from tests.support.fake_notifier import FakeNotifier

EXAMPLE = Path(__file__).resolve().parents[2] / "circles.example.yaml"


@pytest.fixture
def notifier() -> FakeNotifier:
    return FakeNotifier()


class Desk:
    """Runs one use case per transaction, the way the bot does."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: FixedClock, notifier: FakeNotifier) -> None:
        self.uow_factory, self.clock, self.notifier = uow_factory, clock, notifier
        self.start = clock.now()
        self.tick = TimerTick(uow_factory, incident_timer_handlers(clock, notifier, jira_enabled=True), clock)

    async def run(self, use_case, *args, **kwargs):  # type: ignore[no-untyped-def]
        async with self.uow_factory() as uow:
            ctx = IncidentContext(uow=uow, clock=self.clock, notifier=self.notifier, jira_enabled=True)
            result = await use_case(ctx, *args, **kwargs)
            await uow.commit()
            return result

    async def declare(self, circle: Circle, **options: object) -> Incident:
        defaults: dict[str, object] = {"title": "Checkout API returns 500", "severity": Severity.P1,
                                       "declared_by": "Giulia Rossi"}  # fmt: skip
        defaults.update(options)
        return await self.run(declare_incident, circle, **defaults)  # type: ignore[no-any-return]

    async def at(self, minutes: float) -> int:
        """Move the clock to `minutes` after the start and fire what is due."""
        self.clock.set(self.start + timedelta(minutes=minutes))
        return await self.tick.tick()


@pytest.fixture
def desk(uow_factory: UnitOfWorkFactory, clock: FixedClock, notifier: FakeNotifier) -> Desk:
    return Desk(uow_factory, clock, notifier)


async def outbox_rows(database: Database, kind: str | None = None) -> list[OutboxRow]:
    async with database.session() as session:
        query = select(OutboxRow).order_by(col(OutboxRow.id))
        if kind:
            query = query.where(OutboxRow.kind == kind)
        return list((await session.exec(query)).all())


async def pending_timers(database: Database) -> list[str]:
    async with database.session() as session:
        rows = (await session.exec(select(TimerRow).where(TimerRow.status == "pending"))).all()
        return sorted(row.key for row in rows)


async def test_declaring_assigns_the_on_call_queues_jira_and_arms_the_clocks(
    desk: Desk, circle: Circle, database: Database
) -> None:
    incident = await desk.declare(circle)

    assert incident.key == "INC-1"
    assert incident.commander == "luca"  # primary of the example rota in the week of 23 November 2026
    [create] = await outbox_rows(database, "jira.create_issue")
    assert create.payload["project"] == "DEMO"
    assert create.payload["priority"] == "Highest"
    assert create.payload["label"] == "circlebot-inc-1"
    assert create.ordering_key == "jira:INC-1"
    assert await pending_timers(database) == [
        "escalate:1:0", "escalate:1:1", "escalate:1:2",
        "sla:1:acknowledge:breach", "sla:1:acknowledge:warn", "sla:1:resolve:breach", "sla:1:resolve:warn",
    ]  # fmt: skip
    assert desk.notifier.said == [("card", "INC-1", "declared")]


async def test_acknowledging_stops_the_escalation_and_comments_in_jira(
    desk: Desk, circle: Circle, database: Database
) -> None:
    incident = await desk.declare(circle)
    desk.clock.advance(timedelta(minutes=2))
    await desk.run(acknowledge, incident.number, "Luca Verdi")

    assert await pending_timers(database) == ["sla:1:resolve:breach", "sla:1:resolve:warn"]
    comments = await outbox_rows(database, "jira.comment")
    assert comments[-1].payload["body"] == "Luca Verdi: Acknowledged by Luca Verdi"
    assert {row.ordering_key for row in comments} == {"jira:INC-1"}
    with pytest.raises(IncidentError, match="already acknowledged"):
        await desk.run(acknowledge, incident.number, "Giulia Rossi")


async def test_unacknowledged_p1_warns_at_80_percent_then_escalates_step_by_step(
    desk: Desk, circle: Circle, database: Database
) -> None:
    await desk.declare(circle)

    await desk.at(3)
    assert desk.notifier.of("thread") == []
    await desk.at(4)
    # The circle's clock (Europe/Rome, 03:05 UTC = 04:05 CET), and the commander is @mentioned.
    assert desk.notifier.of("thread") == ["SLA warning: INC-1 must be acknowledged by 04:05 CET (in 1m)."]
    assert desk.notifier.of("mention") == ["luca"]
    await desk.at(5)  # ack deadline: breach notice and the first escalation step (the primary, again)
    assert desk.notifier.of("page") == ["luca"]
    assert desk.notifier.of("thread")[1] == "ACK OVERDUE: INC-1 was not acknowledged by 04:05 CET."
    assert desk.notifier.of("mention") == ["luca", "luca"]
    await desk.at(10)
    assert desk.notifier.of("page") == ["luca", "paolo"]
    await desk.at(20)
    assert desk.notifier.of("page") == ["luca", "paolo", "giulia"]
    await desk.at(60)
    assert desk.notifier.of("page") == ["luca", "paolo", "giulia"]  # each step exactly once


async def test_a_warning_that_comes_after_the_deadline_is_not_sent_the_breach_says_it(
    desk: Desk, circle: Circle, database: Database
) -> None:
    await desk.declare(circle)

    await desk.at(7)  # the bot was down through the warning: both timers are due at once

    assert desk.notifier.of("thread")[0] == "ACK OVERDUE: INC-1 was not acknowledged by 04:05 CET (2m)."
    assert not [text for text in desk.notifier.of("thread") if text.startswith("SLA warning")]


async def test_escalation_survives_a_restart_and_never_fires_twice(
    circle: Circle, database_url: str, clock: FixedClock
) -> None:
    first_process = Database(database_url)
    notifier = FakeNotifier()
    desk = Desk(UnitOfWorkFactory(first_process, clock), clock, notifier)
    await desk.declare(circle)
    await desk.at(10)  # primary and secondary paged, then the process dies
    await first_process.dispose()

    second_process = Database(database_url)
    try:
        after_restart = Desk(UnitOfWorkFactory(second_process, clock), clock, notifier)
        after_restart.start = desk.start
        await after_restart.at(10)
        await after_restart.at(20)
    finally:
        await second_process.dispose()
    assert notifier.of("page") == ["luca", "paolo", "giulia"]


async def test_acknowledged_incident_is_never_escalated(desk: Desk, circle: Circle) -> None:
    incident = await desk.declare(circle)
    await desk.at(1)
    await desk.run(acknowledge, incident.number, "Luca Verdi")
    for minute in (4, 5, 10, 20):
        await desk.at(minute)
    assert desk.notifier.of("page") == []
    assert not any("acknowledge" in text for text in desk.notifier.of("thread"))


async def test_raising_severity_moves_the_deadlines(desk: Desk, circle: Circle, database: Database) -> None:
    incident = await desk.declare(circle, severity=Severity.P3)  # ack in 1h
    await desk.at(10)
    assert desk.notifier.of("page") == []
    await desk.run(change_severity, incident.number, Severity.P1, "Giulia Rossi")  # ack was due at 5m
    await desk.at(10)
    assert desk.notifier.of("page") == ["luca", "paolo"]


async def test_business_impact_asks_for_stakeholder_updates_at_phase_changes_and_on_cadence(
    desk: Desk, circle: Circle, database: Database
) -> None:
    incident = await desk.declare(circle, business_impact=True)
    await desk.run(acknowledge, incident.number, "Luca Verdi")
    assert desk.notifier.of("stakeholder_prompt") == ["due"]  # phase change

    await desk.at(20)
    await desk.run(send_stakeholder_update, incident.number, "Luca Verdi", "Payments degraded; rollback underway.")
    assert desk.notifier.of("stakeholder_post") == ["Payments degraded; rollback underway."]
    await desk.at(49)
    assert desk.notifier.of("stakeholder_prompt") == ["due"]
    await desk.at(50)  # 30 minutes after the last update
    assert desk.notifier.of("stakeholder_prompt") == ["due", "due"]
    await desk.at(65)  # still nothing sent: reminded as overdue
    assert desk.notifier.of("stakeholder_prompt") == ["due", "due", "overdue"]
    [comment] = [r for r in await outbox_rows(database, "jira.comment") if "rollback underway" in r.payload["body"]]
    assert comment.payload["label"] == "circlebot-inc-1"


async def test_resolving_reports_sla_and_the_postmortem_triggers(
    desk: Desk, circle: Circle, database: Database
) -> None:
    incident = await desk.declare(circle)
    await desk.at(3)
    await desk.run(change_status, incident.number, IncidentStatus.IDENTIFIED, "Luca Verdi", "bad deploy")
    await desk.at(40)
    report = await desk.run(
        resolve, incident.number, "Luca Verdi", summary="rolled back v2.3", root_cause="config", oncall_intervened=True
    )
    assert report.time_to_acknowledge == timedelta(minutes=3)
    assert report.time_to_resolve == timedelta(minutes=40)
    assert report.sla_met
    assert [t.name for t in report.triggers] == ["on-call intervention", "monitoring failure"]
    [transition] = await outbox_rows(database, "jira.transition")
    assert transition.payload["transition"] == "Resolve Issue"
    assert await pending_timers(database) == []


async def test_the_third_alert_with_the_same_fingerprint_in_30_days_is_a_recurring_event(
    desk: Desk, circle: Circle
) -> None:
    for day in range(3):
        desk.clock.set(desk.start + timedelta(days=day * 10))
        incident = await desk.declare(
            circle, source=Source.ALERT, declared_by="alertmanager", alert_fingerprint="7d2d332feada5c59"
        )
        report = await desk.run(resolve, incident.number, "Luca Verdi", summary="self-healed")
    assert [t.name for t in report.triggers] == ["recurring event"]


async def test_thread_chatter_lands_in_the_timeline_but_not_in_jira(
    desk: Desk, circle: Circle, database: Database
) -> None:
    incident = await desk.declare(circle)
    await desk.run(add_note, incident.number, "Paolo", "is it the CDN?", kind="thread")
    await desk.run(add_note, incident.number, "Luca Verdi", "restarted the pods")
    bodies = [row.payload["body"] for row in await outbox_rows(database, "jira.comment")]
    assert "Luca Verdi: restarted the pods" in bodies
    assert not any("CDN" in body for body in bodies)


async def test_impact_found_out_mid_incident_starts_the_stakeholder_updates(desk: Desk, circle: Circle) -> None:
    incident = await desk.declare(circle)
    await desk.run(acknowledge, incident.number, "Luca Verdi")
    assert desk.notifier.of("stakeholder_prompt") == []

    await desk.run(change_impact, incident.number, "Luca Verdi", business_impact=True, data_loss=False)
    await desk.at(30)
    assert desk.notifier.of("stakeholder_prompt") == ["due"]
    with pytest.raises(IncidentError, match="already has that impact"):
        await desk.run(change_impact, incident.number, "Luca Verdi", business_impact=True, data_loss=False)
