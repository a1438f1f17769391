"""Adaptive Cards for activities: the `/activity new` form, the activity card, the daily feedback card,
the Team Leader's review card, the "park and start?" question, and the lists.

Buttons are Action.Execute, so the clicked card is replaced in place by the answer.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bot.cards import Card, adaptive_card, execute_action, fact_set, text_block
from domain.activities.feedback import is_overdue, local_date, working_days_between
from domain.activities.model import Activity, ActivityStatus, Repository
from domain.activities.template import Task
from domain.circle import Circle, Role

STATUS_COLOR = {
    ActivityStatus.TODO: "default",
    ActivityStatus.WIP: "accent",
    ActivityStatus.REVIEW: "warning",
    ActivityStatus.DONE: "good",
}
# Teams shows at most this many facts comfortably; the board links out for the rest.
MAX_ROWS = 30


def _input(
    input_id: str, label: str, *, multiline: bool = False, required: bool = False, value: str = "", hint: str = ""
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "Input.Text", "id": input_id, "label": label, "isMultiline": multiline}
    if required:
        element.update(isRequired=True, errorMessage=f"{label} is required")
    if value:
        element["value"] = value
    if hint:
        element["placeholder"] = hint
    return element


def new_activity_form(circle: Circle, *, error: str | None = None, values: dict[str, str] | None = None) -> Card:
    """The template as a form; a mistake comes back above the fields with what was typed kept."""
    values = values or {}
    repositories = [("Customer repository", Repository.CUSTOMER.value)]
    if circle.gitlab_internal_project:
        repositories.append(("Team's internal repository (generic work)", Repository.INTERNAL.value))
    body: list[dict[str, Any]] = [text_block("New activity", size="Medium", weight="Bolder")]
    if error:
        body.append(text_block(error, color="attention"))
    body += [
        text_block("Define it with your Team Leader; the bot files the GitLab issue from the template.", subtle=True),
        _input("title", "Title", required=True, value=values.get("title", "")),
        _input("description", "Description", multiline=True, value=values.get("description", "")),
        _input("tasks", "Tasks (one per line)", multiline=True, required=True, value=values.get("tasks", "")),
        {
            "type": "Input.Date",
            "id": "deadline",
            "label": "Deadline",
            "isRequired": True,
            "errorMessage": "Deadline is required",
            **({"value": values["deadline"]} if values.get("deadline") else {}),
        },
        _input(
            "done",
            "Definition of done (one item per line)",
            multiline=True,
            required=True,
            value=values.get("done", ""),
        ),
        {
            "type": "Input.ChoiceSet",
            "id": "repository",
            "label": "Where",
            "style": "expanded",
            "value": values.get("repository", Repository.CUSTOMER.value),
            "choices": [{"title": title, "value": value} for title, value in repositories],
        },
        _input("labels", "Extra labels (comma separated)", value=values.get("labels", ""), hint="e.g. terraform"),
    ]
    return adaptive_card(body, [execute_action("Create activity", "activity.create", {"circle": circle.name})])


def _gitlab(activity: Activity) -> str:
    if activity.web_url:
        return f"[{activity.project}#{activity.iid}]({activity.web_url})"
    return f"pending (filing in {activity.project}…)"


def _tasks_text(tasks: list[Task]) -> str:
    return "\n".join(f"{'☑' if t.done else '☐'} {t.text}" for t in tasks) or "none"


def _since(moment: datetime | None, circle: Circle, today: date) -> str:
    if moment is None:
        return "never"
    day = local_date(moment, circle.time_zone)
    days = working_days_between(day, today, circle.working_days) + (1 if day < today else 0)
    return "today" if day == today else f"{day.isoformat()} ({days} working day{'s' if days != 1 else ''} ago)"


def _name(circle: Circle, handle: str) -> str:
    member = circle.member(handle)
    return member.display_name if member else handle


def activity_card(activity: Activity, circle: Circle, *, today: date) -> Card:
    """The member's card for one activity: status, GitLab link, deadline, tasks, last feedback, next buttons."""
    deadline = activity.deadline.isoformat() if activity.deadline else "none"
    if is_overdue(activity, today):
        deadline += " — overdue"
    header = text_block(
        f"Activity · {activity.ref} · {activity.status.label.upper()}",
        size="Medium",
        weight="Bolder",
        color=STATUS_COLOR[activity.status],
    )
    facts = [
        ("Owner", _name(circle, activity.owner)),
        ("GitLab", _gitlab(activity)),
        ("Deadline", deadline),
        ("Tasks", f"{sum(t.done for t in activity.tasks)} of {len(activity.tasks)} ticked"),
    ]
    if activity.status is ActivityStatus.WIP:
        facts.append(("Last feedback", _since(activity.last_feedback_at, circle, today)))
    body: list[dict[str, Any]] = [
        header,
        text_block(activity.title, weight="Bolder"),
        fact_set(facts),
        text_block(_tasks_text(activity.tasks)),
        text_block("Definition of done", weight="Bolder"),
        text_block(_tasks_text(activity.definition_of_done)),
    ]
    if activity.missing_sections:
        body.append(text_block("Missing from the template: " + "; ".join(activity.missing_sections), color="warning"))
    data = {"activity": activity.id}
    actions: list[dict[str, Any]] = []
    if activity.status is ActivityStatus.TODO and activity.in_gitlab:
        actions.append(execute_action("Start", "activity.start", data))
    elif activity.status is ActivityStatus.WIP:
        actions += [
            execute_action("Give feedback", "activity.feedback.open", data),
            execute_action("Ready for review", "activity.ready", data),
            execute_action("Park", "activity.park", data),
        ]
    return adaptive_card(body, actions)


def feedback_card(activity: Activity, circle: Circle, *, prefill: str, today: date, note: str | None = None) -> Card:
    """The daily question for the WIP activity; submitting posts one note on the issue."""
    open_tasks = [t for t in activity.tasks + activity.definition_of_done if not t.done]
    body: list[dict[str, Any]] = [
        text_block(f"Daily feedback · {activity.ref} · {today.isoformat()}", size="Medium", weight="Bolder"),
        text_block(activity.title, weight="Bolder"),
    ]
    if note:
        body.append(text_block(note, color="attention"))
    if prefill:
        body.append(text_block("Prefilled from today's stand-up: change it as you like.", subtle=True))
    body.append(_input("done", "What was done today", multiline=True, required=True, value=prefill))
    if open_tasks:
        body.append(
            {
                "type": "Input.ChoiceSet",
                "id": "ticked",
                "label": "Tasks finished (ticked on the issue)",
                "isMultiSelect": True,
                "style": "expanded",
                "choices": [{"title": t.text, "value": t.text} for t in open_tasks],
            }
        )
    body += [
        _input("blockers", "Blockers", multiline=True, hint="none"),
        _input("next", "Next step"),
        text_block("Posted as one note on the GitLab issue.", subtle=True),
    ]
    data = {"activity": activity.id}
    return adaptive_card(
        body,
        [
            execute_action("Post feedback", "activity.feedback", data),
            execute_action("Ready for review", "activity.ready", data),
        ],
    )


def feedback_posted_card(activity: Activity, circle: Circle, *, today: date) -> Card:
    card = activity_card(activity, circle, today=today)
    card["body"].insert(
        1, text_block(f"Feedback of {today.isoformat()} saved; it goes on {activity.ref} now.", color="good")
    )
    return card


def ready_form(activity: Activity, unticked: list[str]) -> Card:
    """Unticked definition-of-done items: tick them on GitLab, or send anyway with a reason."""
    body = [
        text_block(f"{activity.ref} · not everything is done", size="Medium", weight="Bolder"),
        text_block("Still unticked in the definition of done:", weight="Bolder"),
        text_block("\n".join(f"☐ {item}" for item in unticked)),
        _input("reason", "Send to review anyway, because…", multiline=True, required=True),
    ]
    return adaptive_card(body, [execute_action("Send to review anyway", "activity.ready", {"activity": activity.id})])


def review_card(activity: Activity, circle: Circle, *, today: date) -> Card:
    """The Team Leader's review: Approve closes it with status::done; Request changes sends it back."""
    owner = _name(circle, activity.owner)
    facts = [
        ("Owner", owner),
        ("GitLab", _gitlab(activity)),
        ("Deadline", activity.deadline.isoformat() if activity.deadline else "none"),
        ("Tasks", f"{sum(t.done for t in activity.tasks)} of {len(activity.tasks)} ticked"),
    ]
    body: list[dict[str, Any]] = [
        text_block(f"Review · {activity.ref} · {activity.status.label.upper()}", size="Medium", weight="Bolder"),
        text_block(activity.title, weight="Bolder"),
        fact_set(facts),
        text_block("Definition of done", weight="Bolder"),
        text_block(_tasks_text(activity.definition_of_done)),
    ]
    if activity.review_reason:
        body.append(text_block(f"{owner} sent it with items open, because: {activity.review_reason}", color="warning"))
    data = {"activity": activity.id}
    if activity.status is not ActivityStatus.REVIEW:
        body.append(text_block(f"Reviewed: {activity.status.label}.", subtle=True))
        return adaptive_card(body)
    body.append(_input("comment", "Comment (needed to request changes)", multiline=True))
    return adaptive_card(
        body,
        [
            execute_action("Approve", "activity.approve", data),
            execute_action("Request changes", "activity.changes", data),
        ],
    )


def choose_card(current: Activity, wanted: Activity) -> Card:
    """One activity at a time (handbook): park the current one, or stay on it."""
    body = [
        text_block("One activity at a time", size="Medium", weight="Bolder"),
        text_block(
            f"You are on {current.ref} {current.title}. Park {current.ref} and start {wanted.ref} {wanted.title}?"
        ),
    ]
    return adaptive_card(
        body,
        [
            execute_action(
                f"Park {current.ref}, start {wanted.ref}", "activity.start", {"activity": wanted.id, "park": True}
            ),
            execute_action(f"Stay on {current.ref}", "activity.stay", {"activity": current.id, "other": wanted.id}),
        ],
    )


def my_activities_card(activities: list[Activity], circle: Circle, *, today: date) -> Card:
    """`/activity`: WIP first, then to do, in review, recently done, with deadlines."""
    order = {ActivityStatus.WIP: 0, ActivityStatus.TODO: 1, ActivityStatus.REVIEW: 2, ActivityStatus.DONE: 3}
    body: list[dict[str, Any]] = [text_block("Your activities", size="Medium", weight="Bolder")]
    if not activities:
        body.append(text_block("None yet. `/activity new` defines one (with your Team Leader)."))
        return adaptive_card(body)
    facts = []
    for activity in sorted(activities, key=lambda a: order[a.status])[:MAX_ROWS]:
        due = activity.deadline.isoformat() if activity.deadline else "no deadline"
        if is_overdue(activity, today):
            due += " (overdue)"
        link = f"[{activity.ref}]({activity.web_url})" if activity.web_url else activity.ref
        facts.append((activity.status.label, f"{link} {activity.title} · due {due}"))
    body.append(fact_set(facts))
    return adaptive_card(body)


def board_card(activities: list[Activity], circle: Circle, *, today: date, only: str | None = None) -> Card:
    """`/activity list`: who is on what, due dates, days since the last feedback."""
    title = f"Activities · {circle.name}" + (f" · {_name(circle, only)}" if only else "")
    body: list[dict[str, Any]] = [text_block(title, size="Medium", weight="Bolder")]
    people = [m for m in circle.members if m.role is not Role.STAKEHOLDER and (only is None or m.handle == only)]
    rows: list[tuple[str, str]] = []
    for member in people:
        mine = [a for a in activities if a.owner == member.handle]
        rows.append((member.display_name, _board_line(mine, circle, today)))
    body.append(fact_set(rows[:MAX_ROWS]) if rows else text_block("Nobody in this circle yet."))
    overdue = [a for a in activities if is_overdue(a, today)]
    if overdue:
        body.append(
            text_block(
                "Overdue: " + ", ".join(f"{a.ref} ({_name(circle, a.owner)})" for a in overdue), color="attention"
            )
        )
    return adaptive_card(body)


def _board_line(mine: list[Activity], circle: Circle, today: date) -> str:
    wip = next((a for a in mine if a.status is ActivityStatus.WIP), None)
    parts = []
    if wip is not None:
        due = wip.deadline.isoformat() if wip.deadline else "no deadline"
        parts.append(f"on {wip.ref} {wip.title} · due {due} · feedback {_since(wip.last_feedback_at, circle, today)}")
    else:
        parts.append("no activity in progress")
    todo = sum(a.status is ActivityStatus.TODO for a in mine)
    review = sum(a.status is ActivityStatus.REVIEW for a in mine)
    if todo or review:
        parts.append(f"{todo} to do, {review} in review")
    return " · ".join(parts)
