"""Examples of the rota and handover cards (bot/oncall/cards.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from bot.cards import Card
from bot.oncall.cards import (
    handover_card,
    notes_prompt_card,
    notes_sent_card,
    oncall_card,
    overrides_card,
    schedule_card,
)
from domain.circle import Circle, Member, Role, Severity, SlaPolicy
from domain.oncall.handover import ActionLine, Handover, HandoverBrief, HandoverStatus, IncidentLine
from domain.oncall.model import LayerNow
from domain.rota import Layer, Override, Rota, Rotation, Shift, ShiftSource


def _example_circle() -> Circle:
    from domain.circle import JiraBinding

    policy = SlaPolicy(timedelta(minutes=5), timedelta(hours=4), timedelta(minutes=30))
    return Circle(
        name="demo",
        customer="acme",
        project="shop",
        team_id="team",
        channel_id="channel",
        time_zone="Europe/Rome",
        team_leader="giulia",
        members=(
            Member("giulia", "Giulia Rossi", Role.TEAM_LEADER),
            Member("marco", "Marco Bianchi", phone="+39 0000 000001"),
            Member("sara", "Sara Romano"),
        ),
        sla=dict.fromkeys(Severity, policy),
        jira=JiraBinding("DEMO"),
        rota=Rota(
            "Europe/Rome",
            rotations=(Rotation(Layer.PRIMARY, ("marco", "sara"), handover_weekday=0, start=date(2026, 1, 5)),),
        ),
    )


_NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


def _example_handover(accepted: bool = False) -> Handover:
    start = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    handover = Handover("demo", Layer.PRIMARY, start, start + timedelta(days=7), start - timedelta(days=7),
                        "marco", "sara", _NOW, id=7, notes="db-2 disk at 85 %")  # fmt: skip
    if accepted:
        handover = replace(handover, status=HandoverStatus.ACCEPTED, accepted_at=start, accepted_by="sara")
    return handover


def _example_brief() -> HandoverBrief:
    sla = "ack met (2m) · resolve in 3h"
    line = IncidentLine("INC-3", "P2", "Checkout slow", "investigating", sla, "Marco Bianchi", "due in 12m")
    action = ActionLine("INC-2 A1", "Alert on replica lag", "Sara Romano", date(2026, 11, 25), overdue=True)
    return HandoverBrief((line,), (line,), (line,), (action,))


def _example_oncall() -> Card:
    circle = _example_circle()
    shift = Shift("marco", datetime.combine(date(2026, 11, 23), time(8), UTC), datetime(2026, 11, 30, 8, tzinfo=UTC),
                  Layer.PRIMARY)  # fmt: skip
    upcoming = Shift("sara", shift.end, shift.end + timedelta(days=7), Layer.PRIMARY, ShiftSource.OVERRIDE)
    return oncall_card(circle, [LayerNow(Layer.PRIMARY, shift, upcoming), LayerNow(Layer.SECONDARY, None, None)], _NOW)


def _example_schedule() -> Card:
    circle = _example_circle()
    shift = Shift("marco", _NOW, _NOW + timedelta(days=3), Layer.PRIMARY, ShiftSource.OVERRIDE)
    gap = (_NOW + timedelta(days=3), _NOW + timedelta(days=4))
    return schedule_card(circle, {Layer.PRIMARY: [shift]}, [gap], start=_NOW, days=14, now=_NOW)


EXAMPLES: list[tuple[str, Callable[[], Card]]] = [
    ("oncall_card", _example_oncall),
    ("oncall_card (empty rota)", lambda: oncall_card(_example_circle(), [], _NOW)),
    (
        "oncall_card (Team Leader, readiness)",
        lambda: oncall_card(_example_circle(), [], _NOW, readiness={"marco": "no drill passed in the last 182 days"}),
    ),
    ("schedule_card", _example_schedule),
    (
        "overrides_card",
        lambda: overrides_card(
            _example_circle(),
            [(3, Override("sara", _NOW, _NOW + timedelta(hours=12), Layer.PRIMARY, "dentist", "giulia"))],
            _NOW,
        ),
    ),
    ("handover_card (pending)", lambda: handover_card(_example_circle(), _example_handover(), _example_brief(), _NOW)),
    (
        "handover_card (accepted)",
        lambda: handover_card(_example_circle(), _example_handover(True), HandoverBrief((), (), ()), _NOW),
    ),
    ("notes_prompt_card", lambda: notes_prompt_card(_example_circle(), _example_handover(), _NOW)),
    ("notes_sent_card", lambda: notes_sent_card(_example_circle(), _example_handover())),
]
