"""Where drill questions come from: the circle's question bank, and the circle's own configuration.

The bank is `internal-tests/*.yaml` in the DevOps repository, each file a list of questions:

    - topic: process            # process | architecture | troubleshooting | monitoring
      question: Who declares a P1 found by a customer?
      choices: [The on-call, The customer, The Team Leader]   # leave out for an open answer
      answer: The on-call
      runbook: checkout          # optional: the service (or runbook path) a gap points at

Derived questions come from circles.yaml and the runbooks, so they are never out of date: who
follows the primary in the escalation path, the P1 acknowledge SLA, what an alert means.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from domain.circle import Circle, Severity
from domain.durations import format_duration
from domain.runbooks.document import Runbook
from domain.runbooks.drill import TOPICS, Question
from domain.runbooks.template import escalation_target_name
from domain.services import Service

BANK_DIR = "internal-tests"
_FIELDS = {"topic", "question", "choices", "answer", "runbook"}


def bank_questions(path: str, entries: Any) -> tuple[list[Question], list[str]]:
    """The questions of one bank file (already parsed YAML), and a line per mistake, "path: item 2: …"."""
    if not isinstance(entries, list):
        return [], [f"{path}: expected a list of questions (each with topic, question, answer)"]
    questions: list[Question] = []
    errors: list[str] = []
    for number, entry in enumerate(entries, start=1):
        where = f"{path}: item {number}"
        if not isinstance(entry, Mapping):
            errors.append(f"{where}: expected a mapping with topic, question, answer")
            continue
        if unknown := sorted(set(entry) - _FIELDS):
            errors.append(f"{where}: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_FIELDS))}")
            continue
        topic = str(entry.get("topic", "")).strip().lower()
        text = str(entry.get("question", "")).strip()
        answer = str(entry.get("answer", "")).strip()
        choices = entry.get("choices") or []
        if topic not in TOPICS:
            errors.append(f"{where}: topic {topic or '(none)'!r} is not one of {', '.join(TOPICS)}")
            continue
        if not text or not answer:
            errors.append(f"{where}: question and answer are both required")
            continue
        if not isinstance(choices, list) or (choices and answer not in [str(c).strip() for c in choices]):
            errors.append(f"{where}: the answer must be one of the choices")
            continue
        digest = hashlib.sha256(f"{path}\n{text}".encode()).hexdigest()[:10]
        questions.append(
            Question(
                id=f"bank:{digest}",
                topic=topic,
                text=text,
                answer=answer,
                choices=tuple(str(c).strip() for c in choices),
                runbook=str(entry["runbook"]).strip() if entry.get("runbook") else None,
                source=path,
            )
        )
    return questions, errors


def derived_questions(circle: Circle, runbooks: Mapping[str, Runbook]) -> list[Question]:
    """Questions the bot can ask from configuration and runbooks (by service name)."""
    questions: list[Question] = []
    # The primary is paged first; a step paging the primary again (by phone) engages nobody new.
    after_primary = next(
        (escalation_target_name(circle, s.notify) for s in circle.escalation if s.notify != "primary"), None
    )
    if after_primary:
        choices = _unique([after_primary, "the secondary on-call", "the Team Leader", "the focus SRE", "the customer"])
        questions.append(
            Question(
                id="derived:escalation-after-primary",
                topic="process",
                text=f"In {circle.name}'s escalation path, who is engaged after the primary on-call?",
                answer=after_primary,
                choices=tuple(choices[:4]),
                source="circles.yaml escalation",
            )
        )
    ack = format_duration(circle.sla_for(Severity.P1).acknowledge)
    others = [format_duration(circle.sla_for(s).acknowledge) for s in Severity]
    questions.append(
        Question(
            id="derived:p1-acknowledge-sla",
            topic="process",
            text=f"What is {circle.name}'s acknowledge SLA for a P1?",
            answer=ack,
            choices=tuple(_unique([ack, *others, "1h", "15m", "30m"])[:4]),
            source="circles.yaml sla",
        )
    )
    for service in circle.services:
        runbook = runbooks.get(service.name)
        if runbook is None:
            continue
        questions += _alert_questions(service, runbook)
    return questions


def _alert_questions(service: Service, runbook: Runbook) -> list[Question]:
    entries = [entry for entry in runbook.alert_entries() if entry.meaning]
    questions = []
    for entry in entries:
        others = [e.meaning for e in entries if e is not entry and e.meaning != entry.meaning]
        alert = entry.names[0]
        ref = f"{service.runbook}#{entry.heading}"
        if len(others) >= 1:
            # Choices in a fixed, answer-independent order, so the right one is not always first.
            choices = tuple(
                sorted(_unique([entry.meaning, *others])[:4], key=lambda c: hashlib.sha256(c.encode()).hexdigest())
            )
            questions.append(
                Question(f"derived:alert:{service.name}:{alert}", "monitoring", f"What does the alert {alert} mean?",
                         entry.meaning, choices, ref, f"runbook {service.runbook}")
            )  # fmt: skip
        else:
            questions.append(
                Question(f"derived:alert:{service.name}:{alert}", "monitoring", f"What does the alert {alert} mean?",
                         entry.meaning, (), ref, f"runbook {service.runbook}")
            )  # fmt: skip
    return questions


def _unique(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))
