"""Adaptive Cards for postmortems: the review card, the knowledge-base lists.

The review card is the first post of the postmortem's thread and is refreshed in place; its
buttons are Action.Execute so the clicked card updates without a new message.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.cards import Card, adaptive_card, execute_action, fact_set, text_block
from domain.circle import Circle
from domain.local_time import format_date
from domain.postmortems.model import REVIEWING, ActionTracker, CorrectiveAction, Postmortem, PostmortemStatus

STATUS_COLOR = {
    PostmortemStatus.DRAFT: "warning",
    PostmortemStatus.IN_REVIEW: "accent",
    PostmortemStatus.ACTIONS_AGREED: "accent",
    PostmortemStatus.CLOSED: "good",
}


def postmortem_card(postmortem: Postmortem, circle: Circle, *, gitlab_enabled: bool, today: date) -> Card:
    """Status, owner, due date, the merge request, the corrective actions, and the buttons to review."""
    due = format_date(postmortem.due, today) + (" — overdue" if postmortem.review_overdue(today) else "")
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
        body.append(fact_set([_action_fact(circle, postmortem, action, today) for action in postmortem.actions]))
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


def _action_fact(circle: Circle, postmortem: Postmortem, action: CorrectiveAction, today: date) -> tuple[str, str]:
    title = f"{action.key} · {_name(circle, action.owner)} · due {format_date(action.due, today)}"
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
                f"{postmortem.incident_key} · {format_date(postmortem.document_date)} · {postmortem.status.label}",
                f"{postmortem.title}{cause}{triggers}",
            )
        )
    return adaptive_card([text_block(title, weight="Bolder"), fact_set(rows)])


def _name(circle: Circle, handle: str) -> str:
    member = circle.member(handle)
    return member.display_name if member else handle
