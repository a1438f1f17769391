"""Examples of the postmortem cards (bot/postmortems/cards.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from bot.cards import Card
from bot.postmortems.cards import postmortem_card, postmortem_list_card
from domain.circle import Circle
from domain.postmortems.model import Postmortem


def _example() -> tuple[Postmortem, Circle]:
    from datetime import timedelta

    from domain.circle import JiraBinding, Member, Role, Severity, SlaPolicy

    at = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    circle = Circle(
        name="demo", customer="acme", project="shop", team_id="team-id", channel_id="team-id",
        time_zone="Europe/Rome", team_leader="giulia",
        members=(Member("giulia", "Giulia Rossi", Role.TEAM_LEADER), Member("marco", "Marco Bianchi")),
        sla={s: SlaPolicy(timedelta(minutes=5), timedelta(hours=4)) for s in Severity},
        jira=JiraBinding("DEMO"),
    )  # fmt: skip
    postmortem = Postmortem.start(
        incident_number=7, circle="demo", title="Checkout API returns 500", owner="marco", started_by="Marco Bianchi",
        at=at, due=date(2026, 12, 4), document_date=date(2026, 11, 27),
        triggers=("on-call intervention: the on-call engineer had to intervene",), root_cause="connection pool",
    )  # fmt: skip
    postmortem.add_action(
        text="Alert on pool saturation", owner="marco", due=date(2026, 12, 11), by="Marco", at=at, today=at.date()
    )
    return postmortem, circle


def _example_agreed() -> Card:
    postmortem, circle = _example()
    postmortem.agree("Giulia Rossi", datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    postmortem.record_merge_request(12, "https://gitlab.example.com/acme/docs/-/merge_requests/12")
    postmortem.record_action_filed(1, "DEMO-42", None)
    return postmortem_card(postmortem, circle, gitlab_enabled=True, today=date(2026, 12, 1))


def _with_example(build: Callable[[Postmortem, Circle], Card]) -> Callable[[], Card]:
    def example() -> Card:
        return build(*_example())

    return example


EXAMPLES: list[tuple[str, Callable[[], Card]]] = [
    (
        "postmortem card, draft, no GitLab",
        _with_example(lambda p, c: postmortem_card(p, c, gitlab_enabled=False, today=date(2026, 12, 8))),
    ),
    ("postmortem card, agreed with MR", _example_agreed),
    ("postmortem list", _with_example(lambda p, _c: postmortem_list_card("Postmortems · demo", [p], empty="none"))),
    ("postmortem list, empty", lambda: postmortem_list_card("Postmortems · demo", [], empty="No postmortems yet.")),
]
