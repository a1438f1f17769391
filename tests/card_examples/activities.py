"""Examples of the activity cards (bot/activities/cards.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from bot.activities.cards import (
    activity_card,
    board_card,
    choose_card,
    feedback_card,
    feedback_posted_card,
    my_activities_card,
    new_activity_form,
    ready_form,
    review_card,
)
from bot.cards import Card
from domain.activities.model import Activity, ActivityStatus, Repository
from domain.activities.template import Task
from domain.circle import Circle, Member, Role


def _example() -> tuple[Activity, Circle]:
    from domain.circle import JiraBinding

    circle = Circle(
        name="shop",
        customer="acme",
        project="shop",
        team_id="19:team",
        channel_id="19:channel",
        time_zone="Europe/Rome",
        team_leader="ada",
        members=(Member("ada", "Ada", Role.TEAM_LEADER), Member("bob", "Bob")),
        sla={},
        jira=JiraBinding("SHOP"),
        gitlab_activity_project="acme/shop",
        gitlab_internal_project="sre/internal",
    )
    moment = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    activity = Activity(
        circle="shop",
        owner="bob",
        title="Upgrade the ingress controller",
        description="v1.9 to v1.11",
        tasks=[Task("Read the changelog", True), Task("Upgrade staging")],
        definition_of_done=[Task("Production upgraded"), Task("Runbook updated")],
        deadline=date(2026, 12, 10),
        repository=Repository.CUSTOMER,
        project="acme/shop",
        marker="0123456789abcdef",
        created_by="bob",
        created_at=moment,
        id=7,
        iid=15,
        web_url="https://gitlab.example/acme/shop/-/issues/15",
        status=ActivityStatus.WIP,
        started_at=moment,
        last_feedback_at=moment,
    )
    return activity, circle


def _review_example() -> Card:
    activity, circle = _example()
    activity.status, activity.review_reason = ActivityStatus.REVIEW, "the runbook waits for the TL's wording"
    return review_card(activity, circle, today=date(2026, 12, 2))


EXAMPLES: list[tuple[str, Callable[[], Card]]] = [
    ("activity form", lambda: new_activity_form(_example()[1], error="the template needs a deadline")),
    ("activity card", lambda: activity_card(*_example(), today=date(2026, 12, 2))),
    ("feedback card", lambda: feedback_card(*_example(), prefill="staging upgraded", today=date(2026, 12, 2))),
    ("feedback posted", lambda: feedback_posted_card(*_example(), today=date(2026, 12, 2))),
    ("ready anyway", lambda: ready_form(_example()[0], ["Runbook updated"])),
    ("review card", _review_example),
    ("choose card", lambda: choose_card(_example()[0], _example()[0])),
    ("my activities", lambda: my_activities_card([_example()[0]], _example()[1], today=date(2026, 12, 2))),
    ("board", lambda: board_card([_example()[0]], _example()[1], today=date(2026, 12, 11))),
]
