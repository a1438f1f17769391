"""Examples of the runbook and drill cards (bot/runbooks/cards.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.cards import Card
from bot.runbooks.cards import (
    RunbookView,
    answered_card,
    check_card,
    gaps_card,
    grade_card,
    question_card,
    results_card,
    runbook_card,
)
from domain.circle import Circle, JiraBinding, Member, Severity, SlaPolicy
from domain.rota import Rota
from domain.runbooks.check import Finding, RunbookReport
from domain.runbooks.drill import Answer, Drill, Question, Verdict
from domain.runbooks.escalation import LiveStep
from domain.runbooks.ports import RunbookCopy
from domain.runbooks.template import PostmortemLink
from domain.services import Service


def _example_circle() -> Circle:
    sla = {s: SlaPolicy(timedelta(minutes=5 * (i + 1)), timedelta(hours=4 * (i + 1))) for i, s in enumerate(Severity)}
    return Circle(
        name="demo", customer="acme", project="shop", team_id="t", channel_id="c", time_zone="Europe/Rome",
        team_leader="giulia",
        members=(Member("giulia", "Giulia Rossi"), Member("marco", "Marco Bianchi", phone="+39 333 0000000")),
        sla=sla, jira=JiraBinding("DEMO"), rota=Rota(time_zone="Europe/Rome"),
        services=(Service("checkout", "marco", alerts=("CheckoutErrors",),
                          dashboards=(("Checkout", "https://grafana.example/d/checkout"),)),),
    )  # fmt: skip


NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
_RUNBOOK = """# checkout
## Summary
Takes payments for the shop.
## Service SLA
P1 acknowledged in 5 minutes.
## Monitoring
Grafana dashboard Checkout.
## Alerts
### CheckoutErrors
- **Meaning**: more than 5% of checkouts fail
- **Impact**: customers cannot pay
- **Remediation**: check the payment provider status page
"""


def _example_drill(*, answered: int = 0, open_question: bool = False) -> Drill:
    questions = [
        Question("q1", "process", "Who is engaged after the primary?", "the secondary on-call",
                 ("the secondary on-call", "the customer")),
        Question("q2", "monitoring", "What does CheckoutErrors mean?", "more than 5% of checkouts fail",
                 () if open_question else ("more than 5% of checkouts fail", "the disk is full"), "checkout"),
    ]  # fmt: skip
    drill = Drill("demo", "marco", "giulia", NOW, questions, id=3)
    for index in range(answered):
        drill.answers[index] = Answer(questions[index].choices[-1] if questions[index].choices else "restart it",
                                      Verdict.WRONG if index else Verdict.RIGHT, NOW)  # fmt: skip
    return drill


def _example_view(alert: str | None) -> Card:
    circle = _example_circle()
    copy = RunbookCopy("runbooks/checkout.md", _RUNBOOK, NOW - timedelta(days=3), "https://gitlab.example/x",
                       "GitLab did not answer; this is my copy from 2h ago")  # fmt: skip
    steps = [LiveStep("the primary on-call", circle.member("marco"), timedelta(0)),
             LiveStep("the Team Leader", circle.member("giulia"), timedelta(minutes=10))]  # fmt: skip
    postmortems = [PostmortemLink("INC-7", "checkout 500s", "https://gitlab.example/mr/1")]
    view = RunbookView(circle, circle.services[0], copy, None, steps, postmortems, alert, NOW)
    return runbook_card(view)


EXAMPLES: list[tuple[str, Callable[[], Card]]] = [
    ("runbook card", lambda: _example_view(None)),
    ("runbook card for an alert", lambda: _example_view("CheckoutErrors")),
    ("runbook card for an undocumented alert", lambda: _example_view("DiskFull")),
    ("check card", lambda: check_card(_example_circle(), [
        RunbookReport(_example_circle().services[0], (Finding("stale", "no commit for 120 days"),))], late="late")),
    ("question card", lambda: question_card(_example_circle(), _example_drill(), 0, error="pick one")),
    ("open question card", lambda: question_card(_example_circle(), _example_drill(open_question=True), 1)),
    ("answered card", lambda: answered_card(_example_circle(), _example_drill(answered=2), 1)),
    ("grade card", lambda: grade_card(_example_circle(), _example_drill(answered=2, open_question=True), 1)),
    ("results card", lambda: results_card(_example_circle(), _example_drill(answered=2))),
    ("gaps card", lambda: gaps_card(_example_circle(), [_example_drill(answered=2)])),
    ("gaps filed", lambda: gaps_card(_example_circle(), [], filed=2)),
]  # fmt: skip
