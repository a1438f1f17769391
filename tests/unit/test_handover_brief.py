"""The handover brief tells the incoming engineer which postmortem actions are still open."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from adapters.circles_file import load_circles
from domain.oncall.handover import build_brief
from domain.postmortems.model import Postmortem

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # Friday 27 November, 09:00 in Rome
CIRCLE = load_circles(Path(__file__).resolve().parents[2] / "circles.example.yaml").circles[0]


def postmortem(number: int, *actions: tuple[str, str, date]) -> Postmortem:
    started = Postmortem.start(
        incident_number=number, circle="demo", title="Checkout down", owner="marco", started_by="Marco",
        at=NOW, due=date(2026, 12, 4), document_date=date(2026, 11, 20),
    )  # fmt: skip
    for text, owner, due in actions:
        started.add_action(text=text, owner=owner, due=due, by="Marco", at=NOW, today=date(2026, 11, 20))
    return started


def test_open_actions_are_listed_soonest_first_with_overdue_ones_flagged() -> None:
    first = postmortem(
        2, ("Alert on replica lag", "sara", date(2026, 11, 30)), ("Runbook for failover", "luca", date(2026, 11, 25))
    )
    second = postmortem(5, ("Load test the cache", "paolo", date(2026, 12, 10)))
    second.complete_action(1, "Paolo", NOW)

    brief = build_brief(CIRCLE, [], [], NOW, [first, second])

    assert [(a.key, a.owner, a.overdue) for a in brief.pending_actions] == [
        ("INC-2 A2", "Luca Ferrari", True),
        ("INC-2 A1", "Sara Romano", False),
    ]


def test_a_closed_postmortems_actions_live_in_the_tracker_not_in_the_handover() -> None:
    done = postmortem(3, ("Rotate the keys", "sara", date(2026, 11, 30)))
    done.agree("Giulia", NOW)
    done.record_action_filed(1, "DEMO-9", None)
    done.close_if_ready(NOW, needs_merge=False)
    assert done.is_closed

    assert build_brief(CIRCLE, [], [], NOW, [done]).pending_actions == ()
