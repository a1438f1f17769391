"""Internal tests (handbook): questions on process, architecture, troubleshooting and monitoring,
a drill per member, graded per topic, and the gaps that become corrective actions.

A drill is a list of questions sent one per card. A multiple-choice answer is graded at once; an
open answer waits for the Team Leader's verdict. A drill is complete when every answer is graded;
it is passed when the share of right answers reaches the circle's pass mark.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

TOPICS = ("process", "architecture", "troubleshooting", "monitoring")


class DrillError(ValueError):
    """A drill rule was broken; the text says what to do instead."""


@dataclass(frozen=True)
class Question:
    """One question; `choices` empty means an open answer graded by the Team Leader."""

    id: str
    topic: str
    text: str
    answer: str
    choices: tuple[str, ...] = ()
    runbook: str | None = None  # "runbooks/checkout.md#checkouthigherrorrate", or a service name
    source: str = "bank"

    @property
    def open(self) -> bool:
        return not self.choices

    def is_right(self, given: str) -> bool:
        return _norm(given) == _norm(self.answer)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "topic": self.topic,
            "text": self.text,
            "answer": self.answer,
            "choices": list(self.choices),
            "runbook": self.runbook,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Question:
        return cls(
            id=str(data["id"]),
            topic=str(data["topic"]),
            text=str(data["text"]),
            answer=str(data["answer"]),
            choices=tuple(str(c) for c in data.get("choices") or ()),
            runbook=data.get("runbook"),
            source=str(data.get("source", "bank")),
        )


class Verdict(StrEnum):
    PENDING = "pending"  # an open answer waiting for the Team Leader
    RIGHT = "right"
    WRONG = "wrong"


@dataclass
class Answer:
    given: str
    verdict: Verdict
    at: datetime
    graded_by: str | None = None
    note: str = ""


class DrillStatus(StrEnum):
    RUNNING = "running"  # questions still to answer
    GRADING = "grading"  # all answered, some open answers not graded
    DONE = "done"


@dataclass
class Drill:
    circle: str
    member: str
    started_by: str
    started_at: datetime
    questions: list[Question]
    answers: dict[int, Answer] = field(default_factory=dict)
    id: int | None = None
    completed_at: datetime | None = None
    gaps_filed_at: datetime | None = None
    revision: int = 0

    @property
    def status(self) -> DrillStatus:
        if len(self.answers) < len(self.questions):
            return DrillStatus.RUNNING
        if any(a.verdict is Verdict.PENDING for a in self.answers.values()):
            return DrillStatus.GRADING
        return DrillStatus.DONE

    @property
    def next_index(self) -> int | None:
        """The first question not answered yet."""
        return next((i for i in range(len(self.questions)) if i not in self.answers), None)

    def answer(self, index: int, given: str, at: datetime) -> Answer:
        """Record the member's answer; a choice is graded now, an open answer waits."""
        if not 0 <= index < len(self.questions):
            raise DrillError("that question is not part of this drill")
        if index in self.answers:
            raise DrillError(f"question {index + 1} is answered already")
        if not given.strip():
            raise DrillError("type an answer (or pick a choice) before sending")
        question = self.questions[index]
        if question.open:
            verdict = Verdict.PENDING
        else:
            if given not in question.choices:
                raise DrillError("pick one of the choices on the card")
            verdict = Verdict.RIGHT if question.is_right(given) else Verdict.WRONG
        answer = Answer(given=given.strip(), verdict=verdict, at=at)
        self.answers[index] = answer
        self._maybe_complete(at)
        self.revision += 1
        return answer

    def grade(self, index: int, right: bool, by: str, at: datetime, note: str = "") -> Answer:
        """The Team Leader's verdict on an open answer."""
        answer = self.answers.get(index)
        if answer is None:
            raise DrillError("that question has no answer yet")
        if answer.verdict is not Verdict.PENDING:
            return answer  # graded already (a second click, or another reviewer)
        answer.verdict = Verdict.RIGHT if right else Verdict.WRONG
        answer.graded_by = by
        answer.note = note.strip()
        self._maybe_complete(at)
        self.revision += 1
        return answer

    def _maybe_complete(self, at: datetime) -> None:
        if self.status is DrillStatus.DONE and self.completed_at is None:
            self.completed_at = at

    def score(self) -> float:
        graded = [a for a in self.answers.values() if a.verdict is not Verdict.PENDING]
        return sum(a.verdict is Verdict.RIGHT for a in graded) / len(self.questions) if self.questions else 0.0

    def passed(self, pass_mark: float) -> bool:
        return self.status is DrillStatus.DONE and self.score() >= pass_mark - 1e-9

    def by_topic(self) -> dict[str, tuple[int, int]]:
        """(right, asked) per topic, in the handbook's topic order."""
        result: dict[str, tuple[int, int]] = {}
        for topic in TOPICS:
            asked = [i for i, q in enumerate(self.questions) if q.topic == topic]
            if asked:
                right = sum(1 for i in asked if (a := self.answers.get(i)) and a.verdict is Verdict.RIGHT)
                result[topic] = (right, len(asked))
        return result

    def gaps(self) -> list[tuple[int, Question, Answer]]:
        """The questions answered wrong: what the review meeting turns into corrective actions."""
        return [
            (i, q, a) for i, q in enumerate(self.questions) if (a := self.answers.get(i)) and a.verdict is Verdict.WRONG
        ]


def pick_questions(bank: Sequence[Question], *, topics: Sequence[str], count: int, seed: str) -> list[Question]:
    """`count` questions of the given topics (all when none), spread over the topics, deterministic for `seed`."""
    wanted = [q for q in bank if not topics or q.topic in topics]
    if not wanted:
        named = ", ".join(topics) if topics else "any topic"
        raise DrillError(
            f"the question bank has no question on {named}; add some under internal-tests/ in the DevOps repository"
        )
    rng = random.Random(seed)
    per_topic: dict[str, list[Question]] = {}
    for question in wanted:
        per_topic.setdefault(question.topic, []).append(question)
    for questions in per_topic.values():
        rng.shuffle(questions)
    picked: list[Question] = []
    while len(picked) < count and any(per_topic.values()):
        for topic in TOPICS:
            if per_topic.get(topic) and len(picked) < count:
                picked.append(per_topic[topic].pop())
    return picked


def parse_topics_and_count(words: Sequence[str], default_count: int) -> tuple[list[str], int]:
    """`process monitoring 6` → (["process", "monitoring"], 6); unknown words are an error saying the topics."""
    topics: list[str] = []
    count = default_count
    for word in words:
        lowered = word.lower().strip(",")
        if lowered.isdigit():
            count = int(lowered)
            if not 1 <= count <= 30:
                raise DrillError("a drill has 1 to 30 questions")
        elif lowered in TOPICS:
            topics.append(lowered)
        elif lowered:
            raise DrillError(f"`{word}` is not a topic; topics are {', '.join(TOPICS)}")
    return topics, count


def is_ready(passed_at: datetime | None, now: datetime, window: timedelta) -> bool:
    """On-call ready: passed a drill within the circle's window."""
    return passed_at is not None and now - passed_at <= window


def _norm(text: str) -> str:
    return " ".join(text.lower().split()).strip(" .")
