"""Adaptive Cards for postmortems: the review card, the knowledge-base lists.

The review card is the first post of the postmortem's thread and is refreshed in place; its
buttons are Action.Execute so the clicked card updates without a new message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from bot.cards import Card, adaptive_card, execute_action, fact_set, text_block
from domain.circle import Circle
from domain.postmortems.model import REVIEWING, ActionTracker, CorrectiveAction, Postmortem, PostmortemStatus

STATUS_COLOR = {
    PostmortemStatus.DRAFT: "warning",
    PostmortemStatus.IN_REVIEW: "accent",
    PostmortemStatus.ACTIONS_AGREED: "accent",
    PostmortemStatus.CLOSED: "good",
}


def postmortem_card(postmortem: Postmortem, circle: Circle, *, gitlab_enabled: bool, today: date) -> Card:
    """Status, owner, due date, the merge request, the corrective actions, and the buttons to review."""
    due = postmortem.due.isoformat() + (" — overdue" if postmortem.review_overdue(today) else "")
    facts = [
        ("Status", postmortem.status.label),
        ("Owner", _name(circle, postmortem.owner)),
        ("Review due", due),
        ("Document", _document(postmortem, gitlab_enabled)),
    ]
    if postmortem.triggers:
        facts.append(("Triggers", "; ".join(postmortem.triggers)))
    header = text_block(
        f"Postmortem · {postmortem.incident_key} · {postmortem.status.label.upper()}", size="Medium", weight="Bolder"
    )
    header["color"] = STATUS_COLOR[postmortem.status]
    body: list[dict[str, Any]] = [
        header,
        text_block(postmortem.title, weight="Bolder"),
        fact_set(facts),
        text_block("Corrective actions", weight="Bolder"),
    ]
    if postmortem.actions:
        body.append(fact_set([_action_fact(circle, postmortem, action) for action in postmortem.actions]))
    else:
        body.append(text_block("None yet: add one with the button or `/postmortem action`.", subtle=True))
    if not postmortem.is_closed:
        body.append(
            text_block(
                f"Review here: `/postmortem action {postmortem.incident_key} <what> @owner <due>`, "
                f"`/postmortem agree {postmortem.incident_key}`. Keep it blameless: systems, not people.",
                subtle=True,
            )
        )
    return adaptive_card(body, _actions(postmortem, circle))


def _document(postmortem: Postmortem, gitlab_enabled: bool) -> str:
    if postmortem.merge_request_url:
        state = postmortem.merge_request_state or "opened"
        return f"[!{postmortem.merge_request_iid} ({state})]({postmortem.merge_request_url}) · {postmortem.path}"
    if not gitlab_enabled:
        return "GitLab: not configured (the draft lives in this thread)"
    return f"drafting {postmortem.path} on {postmortem.branch}…"


def _action_fact(circle: Circle, postmortem: Postmortem, action: CorrectiveAction) -> tuple[str, str]:
    title = f"{action.key} · {_name(circle, action.owner)} · due {action.due.isoformat()}"
    if action.done:
        state = "done"
    elif action.issue_ref:
        state = f"[{action.issue_ref}]({action.issue_url})" if action.issue_url else action.issue_ref
    elif action.tracker is ActionTracker.CHAT:
        state = "tracked here (no tracker configured)"
    elif action.tracker is not None:
        state = f"filing in {action.tracker.value.capitalize()}…"
    else:
        state = "to be agreed" if postmortem.status in REVIEWING else "to be filed"
    return title, f"{action.text} — {state}"


def _actions(postmortem: Postmortem, circle: Circle) -> list[dict[str, Any]]:
    if postmortem.is_closed:
        return []
    data = {"incident": postmortem.incident_number}
    buttons: list[dict[str, Any]] = [
        {
            "type": "Action.ShowCard",
            "title": "Add corrective action",
            "card": {
                "type": "AdaptiveCard",
                "body": [
                    {
                        "type": "Input.Text",
                        "id": "text",
                        "label": "What will change",
                        "isRequired": True,
                        "errorMessage": "Say what will change",
                        "maxLength": 500,
                    },
                    {
                        "type": "Input.ChoiceSet",
                        "id": "owner",
                        "label": "Owner",
                        "style": "compact",
                        "value": postmortem.owner,
                        "choices": [{"title": m.display_name, "value": m.handle} for m in circle.members],
                    },
                    {"type": "Input.Date", "id": "due", "label": "Due"},
                ],
                "actions": [execute_action("Add", "postmortem.action.add", data)],
            },
        }
    ]
    if postmortem.status is PostmortemStatus.DRAFT:
        buttons.append(execute_action("Ready for review", "postmortem.review", data))
    if postmortem.status in REVIEWING:
        buttons.append(execute_action("Actions agreed", "postmortem.agree", data))
    return buttons


def postmortem_list_card(title: str, postmortems: Sequence[Postmortem], *, empty: str) -> Card:
    """A knowledge-base listing: one line per postmortem, with status and root cause."""
    if not postmortems:
        return adaptive_card([text_block(title, weight="Bolder"), text_block(empty)])
    rows = []
    for postmortem in postmortems:
        cause = f" — root cause: {postmortem.root_cause}" if postmortem.root_cause else ""
        names = ", ".join(trigger.split(":", 1)[0] for trigger in postmortem.triggers)
        triggers = f" — triggers: {names}" if names else ""
        rows.append(
            (
                f"{postmortem.incident_key} · {postmortem.document_date.isoformat()} · {postmortem.status.label}",
                f"{postmortem.title}{cause}{triggers}",
            )
        )
    return adaptive_card([text_block(title, weight="Bolder"), fact_set(rows)])


def _name(circle: Circle, handle: str) -> str:
    member = circle.member(handle)
    return member.display_name if member else handle


# --- examples for the schema test -----------------------------------------------------------


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


CARD_EXAMPLES: list[tuple[str, Callable[[], Card]]] = [
    (
        "postmortem card, draft, no GitLab",
        _with_example(lambda p, c: postmortem_card(p, c, gitlab_enabled=False, today=date(2026, 12, 8))),
    ),
    ("postmortem card, agreed with MR", _example_agreed),
    ("postmortem list", _with_example(lambda p, _c: postmortem_list_card("Postmortems · demo", [p], empty="none"))),
    ("postmortem list, empty", lambda: postmortem_list_card("Postmortems · demo", [], empty="No postmortems yet.")),
]
