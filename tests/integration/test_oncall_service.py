"""The rota through real storage and durable timers: overrides everywhere, handovers chased, gaps reported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from adapters.circles_file import parse_circles
from dialogs.oncall.handover import started_text
from domain.circle import Circle, Severity
from domain.clock import FixedClock
from domain.incidents.service import IncidentContext, current_commander, declare_incident
from domain.oncall import service
from domain.oncall.moments import OnCallError
from domain.oncall.schedule import GAP_REPORT, SHIFT_CHANGE, SHIFT_REMINDER
from domain.rota import Layer
from storage.database import Database
from storage.timers import TimerRow
from storage.unit_of_work import UnitOfWorkFactory
from tests.support.fake_notifier import FakeNotifier
from tests.support.fake_oncall_notifier import FakeOnCallNotifier
from tests.support.oncall_rota import Rota

EXAMPLE = Path(__file__).resolve().parents[2] / "circles.example.yaml"
ROME = ZoneInfo("Europe/Rome")
NEXT_MONDAY = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 in Rome: luca hands primary over to sara


def rome(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ROME).astimezone(UTC)


@pytest.fixture
def notifier() -> FakeOnCallNotifier:
    return FakeOnCallNotifier(reachable={"giulia", "marco", "luca", "sara", "paolo", "elena"})


@pytest.fixture
async def rota(uow_factory: UnitOfWorkFactory, clock: FixedClock, notifier: FakeOnCallNotifier, circle: Circle) -> Rota:
    rota = Rota(uow_factory, clock, notifier)
    await rota.planner.plan()
    return rota


async def pending_timers(database: Database, kind: str | None = None) -> list[tuple[str, datetime]]:
    async with database.session() as session:
        query = select(TimerRow).where(TimerRow.status == "pending")
        if kind:
            query = query.where(TimerRow.kind == kind)
        return sorted((row.key, row.due_at) for row in (await session.exec(query)).all())


# --- overrides ------------------------------------------------------------------------------------


async def test_a_chat_override_is_merged_into_the_circle_wherever_it_is_loaded(rota: Rota) -> None:
    await rota.override("giulia", "sara", rome("2026-11-27 18:00"), rome("2026-11-28 09:00"), reason="luca away")

    async with rota.uow_factory() as uow:
        by_name, by_channel = await uow.circles.get("demo"), await uow.circles.by_channel("team-id")
        [active] = await uow.circles.active()
    for circle in (by_name, by_channel, active):
        assert circle is not None
        assert current_commander(circle, rome("2026-11-27 19:00")) == "sara"  # incidents go to the override
        assert current_commander(circle, rome("2026-11-28 10:00")) == "luca"


async def test_of_two_overlapping_chat_overrides_the_newer_one_wins(rota: Rota) -> None:
    await rota.override("giulia", "sara", rome("2026-11-27 18:00"), rome("2026-11-28 09:00"))
    await rota.override("giulia", "marco", rome("2026-11-27 22:00"), rome("2026-11-28 02:00"))

    circle = await rota.circle()
    assert [current_commander(circle, rome(t)) for t in ("2026-11-27 20:00", "2026-11-27 23:00", "2026-11-28 03:00")] \
        == ["sara", "marco", "sara"]  # fmt: skip


async def test_a_cancelled_override_no_longer_counts(rota: Rota) -> None:
    override_id = await rota.override("luca", "marco", rome("2026-11-27 18:00"), rome("2026-11-28 09:00"))
    circle = await rota.circle()

    with pytest.raises(OnCallError, match="only the Team Leader or the person who made"):
        await rota.run(service.cancel_override, circle, caller=circle.member("sara"), override_id=override_id)
    await rota.run(service.cancel_override, circle, caller=circle.member("luca"), override_id=override_id)

    assert current_commander(await rota.circle(), rome("2026-11-27 19:00")) == "luca"


# --- planning -------------------------------------------------------------------------------------


async def test_planning_arms_each_shift_change_its_reminders_and_the_weekly_gap_report(
    rota: Rota, database: Database
) -> None:
    changes = await pending_timers(database, SHIFT_CHANGE)
    reminders = await pending_timers(database, SHIFT_REMINDER)
    [report] = await pending_timers(database, GAP_REPORT)

    assert changes[:2] == [
        ("handover:demo:primary:2026-11-30T08:00:00+00:00", NEXT_MONDAY),
        ("handover:demo:secondary:2026-11-30T08:00:00+00:00", NEXT_MONDAY),
    ]
    sara = [(key, due) for key, due in reminders if ":sara:" in key]
    assert sorted(due for _, due in sara) == [NEXT_MONDAY - timedelta(days=1), NEXT_MONDAY - timedelta(hours=1)]
    assert report == ("oncall-gaps:demo:2026-11-30", NEXT_MONDAY)  # Monday 09:00 in Rome


async def test_planning_twice_arms_nothing_twice(rota: Rota, database: Database) -> None:
    before = await pending_timers(database)
    await rota.planner.plan()

    assert await pending_timers(database) == before


# --- the handover ---------------------------------------------------------------------------------


async def test_the_incoming_engineer_is_reminded_a_day_and_an_hour_before_the_shift(rota: Rota) -> None:
    await rota.at(NEXT_MONDAY - timedelta(days=1))
    await rota.at(NEXT_MONDAY - timedelta(hours=1))

    assert rota.notifier.of("shift_reminder") == [
        ("sara", "primary in 1 day, 0:00:00"), ("elena", "secondary in 1 day, 0:00:00"),
        ("sara", "primary in 1:00:00"), ("elena", "secondary in 1:00:00"),
    ]  # fmt: skip


async def test_at_the_shift_change_the_outgoing_is_asked_for_notes_and_the_incoming_gets_the_card(
    rota: Rota,
) -> None:
    await rota.at(NEXT_MONDAY)

    assert rota.notifier.of("notes_prompt") == [("luca", "sara"), ("paolo", "elena")]
    assert rota.notifier.of("handover_card") == [("sara", "pending"), ("elena", "pending")]


async def test_an_unaccepted_handover_gets_a_reminder_then_the_team_leader_is_told(rota: Rota) -> None:
    await rota.at(NEXT_MONDAY)
    await rota.at(NEXT_MONDAY + timedelta(minutes=29))
    assert rota.notifier.of("handover_reminder") == []

    await rota.at(NEXT_MONDAY + timedelta(minutes=30))
    assert rota.notifier.of("handover_reminder") == [("sara", ""), ("elena", "")]
    assert rota.notifier.of("team_leader") == []

    await rota.at(NEXT_MONDAY + timedelta(hours=1))
    told = [text for _, text in rota.notifier.of("team_leader")]
    assert told == [
        "Sara Romano has not accepted the primary on-call handover of demo (shift from Mon 30 Nov 09:00 CET).",
        "Elena Ricci has not accepted the secondary on-call handover of demo (shift from Mon 30 Nov 09:00 CET).",
    ]


async def test_accepting_stops_the_chase_and_tells_the_outgoing_engineer(rota: Rota) -> None:
    [handover, _secondary] = [h for h in [await rota.run(service.on_shift_change, "demo", layer, NEXT_MONDAY)
                                          for layer in Layer] if h]  # fmt: skip
    await rota.at(NEXT_MONDAY + timedelta(minutes=10))
    accepted = await rota.run(service.accept_handover, handover.id, "sara")
    await rota.at(NEXT_MONDAY + timedelta(hours=2))

    assert accepted.accepted_at == NEXT_MONDAY + timedelta(minutes=10)
    assert rota.notifier.of("accepted") == [("luca", "sara")]
    assert ("sara", "") not in rota.notifier.of("handover_reminder")
    assert "Sara Romano" not in " ".join(text for _, text in rota.notifier.of("team_leader"))


async def test_the_notes_reach_the_incoming_engineers_card(rota: Rota) -> None:
    await rota.at(NEXT_MONDAY)
    handover = await rota.run(lambda ctx: ctx.handovers.find("demo", Layer.PRIMARY, NEXT_MONDAY))

    with pytest.raises(OnCallError, match="only the outgoing"):
        await rota.run(service.add_handover_notes, handover.id, "sara", "hi")
    await rota.run(service.add_handover_notes, handover.id, "luca", "db-2 disk at 85 %, cleanup at 02:00")

    assert rota.notifier.of("handover_card")[-1] == ("sara", "db-2 disk at 85 %, cleanup at 02:00")


async def test_someone_the_bot_cannot_reach_is_reported_to_the_team_leader(rota: Rota) -> None:
    rota.notifier.reachable.discard("sara")

    await rota.at(NEXT_MONDAY)

    [(leader, text)] = [said for said in rota.notifier.of("team_leader") if "could not reach Sara" in said[1]]
    assert leader == "giulia"
    assert text.startswith("I could not reach Sara Romano with the handover card")
    assert "say hi to me once" in text


async def test_handover_typed_for_someone_unreachable_says_so_instead_of_claiming_it_was_sent(rota: Rota) -> None:
    rota.notifier.reachable.discard("sara")
    rota.clock.set(NEXT_MONDAY - timedelta(hours=3))
    circle = await rota.circle()

    start = await rota.run(service.start_handover, circle, Layer.PRIMARY)

    assert start.unreached == ("sara",)
    answer = started_text(circle, start.handover, "Mon 30 Nov 09:00 CET", start.unreached)
    assert "sent Sara Romano the handover card" not in answer
    assert answer == (
        "Handover of demo primary to Sara Romano (shift from Mon 30 Nov 09:00 CET) started: I asked Luca Ferrari "
        "for notes. I could not reach Sara Romano: I can only message people who have chatted with me once. "
        "Ask them to say hi to me in a 1:1 chat, then type `/handover` again; the Team Leader is told."
    )
    rota.notifier.reachable.add("sara")  # Sara said hi; `/handover` again now brings her the card
    again = await rota.run(service.start_handover, circle, Layer.PRIMARY)
    assert (again.started, again.unreached) == (False, ())
    assert rota.notifier.of("handover_card")[-1][0] == "sara"


async def test_handover_started_early_is_not_started_again_at_the_shift_change(rota: Rota) -> None:
    rota.clock.set(NEXT_MONDAY - timedelta(hours=3))
    first = await rota.run(service.start_handover, await rota.circle(), Layer.PRIMARY)
    again = await rota.run(service.start_handover, await rota.circle(), Layer.PRIMARY)
    await rota.at(NEXT_MONDAY)

    assert (first.started, again.started, again.handover.id) == (True, False, first.handover.id)
    # Sent when started, refreshed (in place, in Teams) when asked again; not a third time at the shift change.
    assert rota.notifier.of("handover_card").count(("sara", "pending")) == 2
    # The reminder counts from the shift change, not from the early start.
    await rota.at(NEXT_MONDAY + timedelta(minutes=29))
    assert ("sara", "") not in rota.notifier.of("handover_reminder")


async def test_an_override_after_planning_moves_the_handover_and_drops_the_stale_reminder(rota: Rota) -> None:
    # Luca keeps the pager until Tuesday 09:00; sara starts a day later.
    await rota.override("giulia", "luca", NEXT_MONDAY, rome("2026-12-01 09:00"))

    await rota.at(NEXT_MONDAY - timedelta(hours=1))
    await rota.at(NEXT_MONDAY)
    assert ("sara", "primary in 1:00:00") not in rota.notifier.of("shift_reminder")
    assert ("luca", "sara") not in rota.notifier.of("notes_prompt")

    await rota.at(rome("2026-12-01 09:00"))
    assert ("luca", "sara") in rota.notifier.of("notes_prompt")


async def test_the_brief_lists_open_incidents_and_the_incidents_of_the_past_shift(rota: Rota) -> None:
    async with rota.uow_factory() as uow:
        ctx = IncidentContext(uow=uow, clock=rota.clock, notifier=FakeNotifier(), jira_enabled=False)
        await declare_incident(ctx, await uow.circles.get("demo"), title="Checkout API returns 500",  # type: ignore[arg-type]
                               severity=Severity.P2, declared_by="Luca Ferrari", business_impact=True)  # fmt: skip
        await uow.commit()

    await rota.at(NEXT_MONDAY)

    brief = rota.notifier.briefs[0]
    assert [line.key for line in brief.open_incidents] == ["INC-1"]
    assert [line.key for line in brief.during_shift] == ["INC-1"]
    [pending] = brief.pending_updates
    assert pending.stakeholder_update is not None and pending.stakeholder_update.startswith("OVERDUE since")


# --- gaps -----------------------------------------------------------------------------------------

GAPPY = """
circles:
  - name: lean
    customer: acme
    project: lean
    team_id: t
    channel_id: lean-channel
    time_zone: Europe/Rome
    team_leader: ada
    members:
      - {handle: ada, name: Ada Lovelace, teams_user_id: u-ada}
      - {handle: bob, name: Bob Oncall, teams_user_id: u-bob}
    rota:
      rotations:
        - {layer: primary, members: [bob], every: weekly, handover: {day: mon, time: "09:00"}, start: 2026-12-07}
    sla:
      P1: {acknowledge: 5m, resolve: 4h, stakeholder_updates: 30m}
      P2: {acknowledge: 15m, resolve: 8h, stakeholder_updates: 1h}
      P3: {acknowledge: 1h, resolve: 3d, stakeholder_updates: never}
      P4: {acknowledge: 4h, resolve: 10d, stakeholder_updates: never}
    jira: {project: LEAN}
"""


async def test_the_weekly_report_tells_the_team_leader_of_gaps_and_people_to_say_hi(
    uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    async with uow_factory() as uow:
        await uow.circles.apply(parse_circles(GAPPY), clock.now())
        await uow.commit()
    notifier = FakeOnCallNotifier(reachable={"ada"})
    rota = Rota(uow_factory, clock, notifier)

    await rota.at(NEXT_MONDAY)  # the Monday report; bob's rotation only starts a week later

    [(leader, text)] = notifier.of("team_leader")
    assert leader == "ada"
    assert text.splitlines() == [
        "Rota check for lean:",
        "- nobody is primary on call from Mon 30 Nov 09:00 CET to Mon 7 Dec 09:00 CET",
        "- I cannot message Bob Oncall privately yet: ask them to say hi to me once in a 1:1 chat",
    ]
    assert notifier.of("say_hi") == [("channel", "bob")]
    await rota.at(NEXT_MONDAY + timedelta(minutes=10))  # the next periodic plan reaches a week ahead
    next_week = await pending_timers(uow_factory.database, GAP_REPORT)
    assert [key for key, _ in next_week] == ["oncall-gaps:lean:2026-12-07"]
