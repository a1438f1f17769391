"""Postmortem use cases through real storage: effects commit with the change, timers drive reminders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from adapters.postmortems.timers import postmortem_timer_handlers
from adapters.timer_tick import TimerTick
from domain.circle import Circle, Member, Severity
from domain.clock import FixedClock
from domain.incidents.service import IncidentContext, decide_postmortem, declare_incident, resolve
from domain.ports import UnitOfWork
from domain.postmortems.model import Postmortem, PostmortemError, PostmortemStatus
from domain.postmortems.service import (
    PostmortemContext,
    add_action,
    agree_actions,
    complete_action,
    record_action_filed,
    record_draft,
    record_merge_request_state,
    review_comment,
    start_postmortem,
)
from storage.database import Database
from storage.outbox import OutboxRow
from storage.postmortems.repository import SqlPostmortems
from storage.timers import TimerRow
from storage.unit_of_work import SqlUnitOfWork, UnitOfWorkFactory
from tests.support.fake_notifier import FakeNotifier

EXAMPLE = Path(__file__).resolve().parents[2] / "circles.example.yaml"


@dataclass
class FakePostmortemNotifier:
    said: list[tuple[str, str]] = field(default_factory=list)

    async def postmortem_changed(self, uow: UnitOfWork, postmortem: Postmortem, circle: Circle) -> None:
        self.said.append(("card", postmortem.status.value))

    async def tell_review(self, uow: UnitOfWork, postmortem: Postmortem, circle: Circle, text: str) -> None:
        self.said.append(("thread", text))

    async def remind(
        self, uow: UnitOfWork, postmortem: Postmortem, circle: Circle, member: Member, text: str, *, key: str
    ) -> None:
        self.said.append(("remind", f"{member.handle}: {text}"))

    def of(self, kind: str) -> list[str]:
        return [text for said_kind, text in self.said if said_kind == kind]


class Desk:
    """Runs one use case per transaction, the way the bot does; fires timers at chosen times."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: FixedClock, *, gitlab: bool, jira: bool) -> None:
        self.uow_factory, self.clock = uow_factory, clock
        self.notifier = FakePostmortemNotifier()
        self.gitlab, self.jira = gitlab, jira
        self.tick = TimerTick(uow_factory, postmortem_timer_handlers(self.context), clock)

    def context(self, uow: SqlUnitOfWork) -> PostmortemContext:
        return PostmortemContext(
            uow=uow, postmortems=SqlPostmortems(uow.session), clock=self.clock, notifier=self.notifier,
            gitlab_enabled=self.gitlab, jira_enabled=self.jira,
        )  # fmt: skip

    async def run(self, use_case: Any, *args: Any, **kwargs: Any) -> Any:
        async with self.uow_factory() as uow:
            result = await use_case(self.context(uow), *args, **kwargs)
            await uow.commit()
            return result

    async def incident(self, use_case: Any, *args: Any, **kwargs: Any) -> Any:
        async with self.uow_factory() as uow:
            ctx = IncidentContext(uow=uow, clock=self.clock, notifier=FakeNotifier(), jira_enabled=False)
            result = await use_case(ctx, *args, **kwargs)
            await uow.commit()
            return result

    async def at(self, moment: datetime) -> int:
        self.clock.set(moment)
        return await self.tick.tick()


def desk_for(uow_factory: UnitOfWorkFactory, clock: FixedClock, *, gitlab: bool = True, jira: bool = True) -> Desk:
    return Desk(uow_factory, clock, gitlab=gitlab, jira=jira)


async def resolved_incident(desk: Desk, circle: Circle) -> int:
    incident = await desk.incident(
        declare_incident, circle, title="Checkout API returns 500", severity=Severity.P1,
        declared_by="Giulia Rossi", business_impact=True,
    )  # fmt: skip
    desk.clock.advance(timedelta(minutes=40))
    await desk.incident(resolve, incident.number, "Luca Ferrari", summary="rolled back v2.3", root_cause="pool leak")
    await desk.incident(decide_postmortem, incident.number, "Marco Bianchi", start=True)
    return int(incident.number)


async def outbox_rows(database: Database, kind: str) -> list[OutboxRow]:
    async with database.session() as session:
        query = select(OutboxRow).where(OutboxRow.kind == kind).order_by(col(OutboxRow.id))
        return list((await session.exec(query)).all())


async def pending_timers(database: Database) -> dict[str, datetime]:
    async with database.session() as session:
        rows = (await session.exec(select(TimerRow).where(TimerRow.status == "pending"))).all()
        return {row.key: row.due_at for row in rows if row.key.startswith("postmortem:")}


def member(circle: Circle, handle: str) -> Member:
    found = circle.member(handle)
    assert found is not None
    return found


async def test_starting_drafts_in_gitlab_for_the_focus_sre_due_in_five_working_days(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, circle: Circle, database: Database
) -> None:
    desk = desk_for(uow_factory, clock)
    number = await resolved_incident(desk, circle)

    postmortem = await desk.run(start_postmortem, number, member(circle, "luca"))

    assert (postmortem.owner, postmortem.due, postmortem.status) == ("marco", date(2026, 12, 4), PostmortemStatus.DRAFT)
    assert "business impact: customers or the business were affected" in postmortem.triggers
    [draft] = await outbox_rows(database, "postmortem.gitlab_draft")
    assert draft.payload["project"] == "acme.shop.DevOps"
    assert draft.payload["branch"] == "postmortem/INC-1-checkout-api-returns-500"
    assert draft.payload["path"] == "postmortems/2026-11-27-INC-1-checkout-api-returns-500.md"
    assert draft.payload["assignee"] == "mbianchi"
    assert "| Fri 27 Nov 2026 04:00 CET | Giulia Rossi |" in draft.payload["content"]
    assert desk.notifier.said[0] == ("card", "draft")
    assert await pending_timers(database) == {
        "postmortem:1:review:owner": datetime(2026, 12, 7, 8, 0, tzinfo=UTC),
        "postmortem:1:review:leader": datetime(2026, 12, 9, 8, 0, tzinfo=UTC),
    }


async def test_only_members_start_only_resolved_incidents_and_only_once(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, circle: Circle
) -> None:
    desk = desk_for(uow_factory, clock)
    open_one = await desk.incident(
        declare_incident, circle, title="Still burning", severity=Severity.P2, declared_by="Giulia Rossi"
    )
    with pytest.raises(PostmortemError, match="resolve INC-1 first"):
        await desk.run(start_postmortem, open_one.number, member(circle, "luca"))
    number = await resolved_incident(desk, circle)
    with pytest.raises(PostmortemError, match="only members of circle demo"):
        await desk.run(start_postmortem, number, Member("stranger", "Stranger"))
    await desk.run(start_postmortem, number, member(circle, "luca"), owner="sara")
    with pytest.raises(PostmortemError, match="already has a postmortem"):
        await desk.run(start_postmortem, number, member(circle, "luca"))


async def test_agreeing_files_each_action_in_jira_and_watches_the_merge_request_until_it_is_merged(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, circle: Circle, database: Database
) -> None:
    desk = desk_for(uow_factory, clock)
    number = await resolved_incident(desk, circle)
    await desk.run(start_postmortem, number, member(circle, "marco"))
    added = await desk.run(add_action, number, "Marco Bianchi", text="Alert on pool saturation", owner="sara", due="2w")
    assert (added.action.key, added.action.due) == ("A1", date(2026, 12, 11))
    await desk.run(record_draft, number, 3, "https://gitlab.example/mr/3")

    agreed = await desk.run(agree_actions, number, "Giulia Rossi")

    assert agreed.status is PostmortemStatus.ACTIONS_AGREED
    [filing] = await outbox_rows(database, "postmortem.file_action")
    assert (filing.payload["tracker"], filing.payload["project"], filing.payload["owner"]) == (
        "jira", "DEMO", "712020:00000000-0000-0000-0000-000000000023",
    )  # fmt: skip
    assert filing.payload["label"] == "circlebot-pm-inc-1-a1"
    assert "postmortem:1:review:owner" not in await pending_timers(database)

    await desk.at(clock.now())  # the first merge check is due at once
    [check] = await outbox_rows(database, "postmortem.gitlab_mr_state")
    assert (check.payload["iid"], check.payload["check"]) == (3, 0)
    assert (await pending_timers(database))["postmortem:1:merge-check:1"] == clock.now() + timedelta(minutes=10)

    await desk.run(record_action_filed, number, 1, "DEMO-9", None)
    await desk.run(record_merge_request_state, number, "opened")
    still_open = await desk.run(record_merge_request_state, number, "merged")

    assert still_open.status is PostmortemStatus.CLOSED
    assert "postmortem:1:merge-check:1" not in await pending_timers(database)
    assert desk.notifier.of("thread")[-1].startswith("The postmortem of INC-1 is closed")


async def test_without_jira_or_gitlab_the_actions_are_tracked_in_the_thread_and_it_closes_on_agreement(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, circle: Circle, database: Database
) -> None:
    desk = desk_for(uow_factory, clock, gitlab=False, jira=False)
    number = await resolved_incident(desk, circle)
    await desk.run(start_postmortem, number, member(circle, "marco"))
    await desk.run(add_action, number, "Marco Bianchi", text="Document the rollback", owner=None)

    closed = await desk.run(agree_actions, number, "Giulia Rossi")

    assert closed.status is PostmortemStatus.CLOSED
    assert await outbox_rows(database, "postmortem.gitlab_draft") == []
    assert await outbox_rows(database, "postmortem.file_action") == []


async def test_an_overdue_review_reminds_the_owner_then_the_team_leader(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, circle: Circle
) -> None:
    desk = desk_for(uow_factory, clock)
    number = await resolved_incident(desk, circle)
    await desk.run(start_postmortem, number, member(circle, "luca"))

    await desk.at(datetime(2026, 12, 7, 7, 59, tzinfo=UTC))
    assert desk.notifier.of("remind") == []
    await desk.at(datetime(2026, 12, 7, 8, 0, tzinfo=UTC))
    assert desk.notifier.of("remind") == [
        "marco: The postmortem of INC-1 was due on Fri 4 Dec. finish the review and agree the actions: "
        "`/postmortem agree INC-1`"
    ]
    await desk.at(datetime(2026, 12, 9, 8, 0, tzinfo=UTC))
    assert desk.notifier.of("remind")[-1].startswith("giulia: The postmortem of INC-1 was due on Fri 4 Dec and is")


async def test_an_overdue_action_reminds_its_owner_unless_it_is_done(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, circle: Circle
) -> None:
    desk = desk_for(uow_factory, clock)
    number = await resolved_incident(desk, circle)
    await desk.run(start_postmortem, number, member(circle, "marco"))
    await desk.run(add_action, number, "Marco", text="Alert on pool saturation", owner="sara", due="2026-11-30")
    await desk.run(add_action, number, "Marco", text="Load test the pool", owner="luca", due="2026-11-30")
    await desk.run(agree_actions, number, "Giulia Rossi")
    await desk.run(complete_action, number, 2, "Luca Ferrari")

    await desk.at(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))

    [reminder] = desk.notifier.of("remind")
    assert reminder.startswith("sara: Corrective action INC-1 A1 “Alert on pool saturation” was due on Mon 30 Nov")


async def test_blaming_words_in_actions_and_comments_get_a_rephrase_suggestion_and_are_kept(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, circle: Circle
) -> None:
    desk = desk_for(uow_factory, clock)
    number = await resolved_incident(desk, circle)
    await desk.run(start_postmortem, number, member(circle, "marco"))

    added = await desk.run(add_action, number, "Marco", text="Make sure Luca forgot to check nothing again", owner=None)
    findings = await desk.run(review_comment, number, "Honestly this was human error")

    assert added.action.text == "Make sure Luca forgot to check nothing again"
    assert [f.phrase for f in added.blaming] == ["Luca forgot"]
    assert [f.phrase for f in findings] == ["human error"]
    assert len([t for t in desk.notifier.of("thread") if "blameless nudge" in t]) == 2


async def test_the_knowledge_base_finds_past_postmortems_by_title_trigger_or_root_cause(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, circle: Circle
) -> None:
    desk = desk_for(uow_factory, clock)
    number = await resolved_incident(desk, circle)
    await desk.run(start_postmortem, number, member(circle, "marco"))

    async with uow_factory() as uow:
        repository = SqlPostmortems(uow.session)
        by_cause = await repository.search(["POOL"])
        by_trigger = await repository.search(["business", "impact"])
        nothing = await repository.search(["kafka"])
        listed = await repository.in_circle("demo")

    assert [p.incident_key for p in by_cause] == ["INC-1"]
    assert [p.incident_key for p in by_trigger] == ["INC-1"]
    assert nothing == []
    assert [p.incident_key for p in listed] == ["INC-1"]
