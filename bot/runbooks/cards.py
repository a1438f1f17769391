"""Adaptive Cards (1.5) for runbooks and drills: the 3 a.m. runbook card, the check, questions, results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.cards import Card, adaptive_card, execute_action, fact_set, text_block
from domain.circle import Circle
from domain.durations import format_duration
from domain.incidents.sla import humanize
from domain.runbooks.check import RunbookReport
from domain.runbooks.document import AlertEntry, first_lines, parse_runbook
from domain.runbooks.drill import Drill, Verdict
from domain.runbooks.escalation import LiveStep
from domain.runbooks.ports import RunbookCopy
from domain.runbooks.template import PostmortemLink
from domain.services import Service

ANSWER_VERB = "drill.answer"
GRADE_VERB = "drill.grade"
FILE_GAPS_VERB = "drill.file_gaps"
ANSWER_INPUT = "answer"
NOTE_INPUT = "note"
SECTION_CHARS = 500


@dataclass(frozen=True)
class RunbookView:
    """Everything the runbook card shows; `copy` None with `unavailable` saying why."""

    circle: Circle
    service: Service
    copy: RunbookCopy | None
    unavailable: str | None
    escalation: Sequence[LiveStep]
    postmortems: Sequence[PostmortemLink]
    alert: str | None
    now: datetime


def runbook_card(view: RunbookView) -> Card:
    """`/runbook <service> [alert]`: what a responder needs at 3 a.m., the escalation path live."""
    circle, service = view.circle, view.service
    body: list[dict[str, Any]] = [text_block(f"Runbook · {service.name}", size="Medium", weight="Bolder")]
    owner = circle.member(service.owner)
    body.append(text_block(f"Owner {owner.display_name if owner else service.owner} · {circle.name}", subtle=True))
    runbook = parse_runbook(view.copy.markdown) if view.copy and view.copy.markdown is not None else None
    if view.unavailable:
        body.append(text_block(view.unavailable, color="warning"))
    elif view.copy is not None and view.copy.markdown is None:
        body.append(text_block(f"{service.runbook} does not exist yet: `/runbook new {service.name}` drafts it.",
                               color="warning"))  # fmt: skip
    if view.copy is not None and view.copy.age_note:
        body.append(text_block(view.copy.age_note + ".", color="warning"))
    if runbook is not None:
        for name in ("Summary", "Service SLA"):
            text = runbook.section(name)
            if text:
                body += [text_block(name, weight="Bolder"), text_block(first_lines(text, SECTION_CHARS))]
    body.append(text_block("Escalation path (on call now)", weight="Bolder"))
    body.append(fact_set([(f"{i}. {step.step}", _who(step, i)) for i, step in enumerate(view.escalation, start=1)]))
    body.append(text_block("Delays for a P1, from declaration. `/oncall` for the rota.", subtle=True))
    monitoring = runbook.section("Monitoring") if runbook else None
    if monitoring:
        body += [text_block("Monitoring", weight="Bolder"), text_block(first_lines(monitoring, SECTION_CHARS))]
    if view.alert:
        entry = runbook.alert_entry(view.alert) if runbook else None
        body += _alert_entry(view.alert, entry)
    if view.postmortems:
        body.append(text_block("Postmortems", weight="Bolder"))
        body.append(text_block("\n".join(f"- {p.key}: {p.title}" for p in view.postmortems[:5])))
    links = [(title, url) for title, url in service.dashboards]
    if view.copy and view.copy.web_url and view.copy.markdown is not None:
        links.insert(0, ("Open runbook", view.copy.web_url))
    links += [(p.key, p.url) for p in view.postmortems[:3] if p.url]
    actions = [{"type": "Action.OpenUrl", "title": title, "url": url} for title, url in links[:6]]
    if view.copy is not None and view.copy.last_commit_at is not None:
        age = humanize(view.now - view.copy.last_commit_at)
        body.append(text_block(f"{service.runbook}, last commit {age} ago.", subtle=True))
    return adaptive_card(body, actions)


def _who(step: LiveStep, position: int) -> str:
    when = "at once" if position == 1 else f"after {format_duration(step.after)}"
    if step.person is None:
        return f"nobody now — rota gap ({when})"
    phone = f", {step.person.phone}" if step.person.phone else ""
    return f"{step.person.display_name}{phone} ({when})"


def _alert_entry(alert: str, entry: AlertEntry | None) -> list[dict[str, Any]]:
    if entry is None:
        return [text_block(f"Alert {alert}", weight="Bolder"),
                text_block("No entry for this alert under Alerts: say what you did in the incident thread, "
                           "and add the entry afterwards.", color="warning")]  # fmt: skip
    facts = [(label, entry.part(label)) for label in ("Meaning", "Impact", "Remediation") if entry.part(label)]
    body = [text_block(f"Alert {alert}", weight="Bolder")]
    body.append(fact_set(facts) if facts else text_block(first_lines(entry.text, SECTION_CHARS)))
    return body


def check_card(circle: Circle, reports: Sequence[RunbookReport], *, late: str | None = None) -> Card:
    """The runbook check: each service's findings, or that every runbook is in order."""
    body: list[dict[str, Any]] = [text_block(f"Runbook check · {circle.name}", size="Medium", weight="Bolder")]
    if late:
        body.append(text_block(f"This is {late}.", subtle=True))
    if not reports:
        body.append(text_block("No services are configured: add `services:` to the circle in circles.yaml."))
    bad = [r for r in reports if not r.ok]
    if reports and not bad:
        body.append(text_block(f"All {len(reports)} runbooks are complete and current.", color="good"))
    for report in bad:
        owner = circle.member(report.service.owner)
        body.append(text_block(f"{report.service.name} · {owner.display_name if owner else report.service.owner}",
                               weight="Bolder"))  # fmt: skip
        body.append(text_block("\n".join(f"- {f.text}" for f in report.findings)))
    good = [r.service.name for r in reports if r.ok]
    if bad and good:
        body.append(text_block("In order: " + ", ".join(good), subtle=True))
    return adaptive_card(body)


def question_card(circle: Circle, drill: Drill, index: int, *, error: str | None = None) -> Card:
    """One question of a drill, answered on the card (choices, or a text box for an open answer)."""
    question = drill.questions[index]
    body: list[dict[str, Any]] = [
        text_block(f"Internal test · {circle.name}", size="Medium", weight="Bolder"),
        text_block(f"Question {index + 1} of {len(drill.questions)} · {question.topic}", subtle=True),
        text_block(question.text, weight="Bolder"),
    ]
    if error:
        body.append(text_block(error, color="attention"))
    if question.open:
        body.append({"type": "Input.Text", "id": ANSWER_INPUT, "isMultiline": True, "label": "Your answer",
                     "placeholder": "What would you do, or what does it mean?"})  # fmt: skip
    else:
        body.append({"type": "Input.ChoiceSet", "id": ANSWER_INPUT, "style": "expanded", "label": "Your answer",
                     "choices": [{"title": c, "value": c} for c in question.choices]})  # fmt: skip
    data = {"drill": drill.id, "question": index}
    return adaptive_card(body, [execute_action("Answer", ANSWER_VERB, data)])


def answered_card(circle: Circle, drill: Drill, index: int) -> Card:
    """The question card once answered: the verdict, or that the Team Leader will grade it."""
    question, answer = drill.questions[index], drill.answers[index]
    body: list[dict[str, Any]] = [
        text_block(f"Internal test · question {index + 1} of {len(drill.questions)}", weight="Bolder"),
        text_block(question.text),
        fact_set([("Your answer", answer.given)]),
    ]
    if answer.verdict is Verdict.RIGHT:
        body.append(text_block("Right.", color="good", weight="Bolder"))
    elif answer.verdict is Verdict.WRONG:
        body.append(text_block(f"Not quite: the expected answer is “{question.answer}”.", color="attention"))
        if question.runbook:
            body.append(text_block(f"Read: {question.runbook}", subtle=True))
    else:
        body.append(text_block("Sent to the Team Leader, who grades open answers.", subtle=True))
    if drill.next_index is None:
        body.append(text_block("That was the last question: the results go to the Team Leader.", subtle=True))
    return adaptive_card(body)


def grade_card(circle: Circle, drill: Drill, index: int) -> Card:
    """The Team Leader's review of one open answer: Right or Wrong, with a note."""
    question, answer = drill.questions[index], drill.answers[index]
    member = circle.member(drill.member)
    body: list[dict[str, Any]] = [
        text_block(f"Grade an open answer · drill #{drill.id}", size="Medium", weight="Bolder"),
        text_block(
            f"{member.display_name if member else drill.member}, question {index + 1} · {question.topic}", subtle=True
        ),
        text_block(question.text, weight="Bolder"),
        fact_set([("Expected", question.answer), ("Answered", answer.given)]),
    ]
    if answer.verdict is not Verdict.PENDING:
        by = circle.member(answer.graded_by) if answer.graded_by else None
        graded = "right" if answer.verdict is Verdict.RIGHT else "wrong"
        body.append(text_block(f"Graded {graded} by {by.display_name if by else answer.graded_by}.", weight="Bolder"))
        return adaptive_card(body)
    body.append({"type": "Input.Text", "id": NOTE_INPUT, "label": "Note (optional)", "isMultiline": True})
    data = {"drill": drill.id, "question": index}
    return adaptive_card(
        body,
        [execute_action("Right", GRADE_VERB, {**data, "right": True}),
         execute_action("Wrong", GRADE_VERB, {**data, "right": False})],
    )  # fmt: skip


def results_card(circle: Circle, drill: Drill) -> Card:
    """A finished drill: score per topic, pass or not, and the gaps."""
    member = circle.member(drill.member)
    policy = circle.runbooks
    passed = drill.passed(policy.pass_mark)
    body: list[dict[str, Any]] = [
        text_block(
            f"Drill #{drill.id} results · {member.display_name if member else drill.member}",
            size="Medium",
            weight="Bolder",
        ),
        text_block(
            f"{round(drill.score() * 100)}% right (pass mark {round(policy.pass_mark * 100)}%): "
            + ("passed — on-call ready." if passed else "not passed yet."),
            color="good" if passed else "attention",
            weight="Bolder",
        ),
        fact_set([(topic, f"{right} of {asked}") for topic, (right, asked) in drill.by_topic().items()]),
    ]
    if gaps := drill.gaps():
        body.append(text_block("Gaps", weight="Bolder"))
        body.append(text_block("\n".join(f"- {q.text} (expected: {q.answer})" for _i, q, _a in gaps)))
        body.append(text_block("`/drill review` turns them into corrective actions.", subtle=True))
    return adaptive_card(body)


def gaps_card(circle: Circle, drills: Sequence[Drill], *, filed: int | None = None) -> Card:
    """`/drill review`: the gaps of finished drills, and a button that files them as GitLab issues."""
    body: list[dict[str, Any]] = [text_block(f"Drill review · {circle.name}", size="Medium", weight="Bolder")]
    if filed is not None:
        body.append(text_block(f"{filed} gap{'s' if filed != 1 else ''} filed as GitLab issues in {circle.docs_repo}; "
                               "owners are assignees.", color="good"))  # fmt: skip
        return adaptive_card(body)
    if not drills:
        body.append(
            text_block("No open gaps: every finished drill's wrong answers are filed already, or none were wrong.")
        )
        return adaptive_card(body)
    count = 0
    for drill in drills:
        member = circle.member(drill.member)
        body.append(text_block(f"Drill #{drill.id} · {member.display_name if member else drill.member} · "
                               f"{drill.started_at:%Y-%m-%d}", weight="Bolder"))  # fmt: skip
        lines = []
        for _index, question, answer in drill.gaps():
            count += 1
            lines.append(
                f"- {question.topic}: {question.text} — expected “{question.answer}”, answered “{answer.given}”"
            )
        body.append(text_block("\n".join(lines)))
    return adaptive_card(body, [execute_action(f"File {count} as corrective actions", FILE_GAPS_VERB)])


def readiness_lines(circle: Circle, unready: dict[str, str]) -> str:
    """For `/drill` (Team Leader): who is not on-call ready, and why."""
    window = circle.runbooks.drill_window
    if window is None:
        return "Readiness is not tracked: set `runbooks.drill_window` (e.g. 182d) in circles.yaml."
    if not unready:
        return f"Readiness: everyone passed a drill within {window.days} days."
    names = "; ".join(f"{_name(circle, h)}: {why}" for h, why in unready.items())
    return f"Not on-call ready — {names}. `/drill start @member` sends a drill."


def _name(circle: Circle, handle: str) -> str:
    member = circle.member(handle)
    return member.display_name if member else handle
