"""The blameless language check: spot phrasing that blames people, and suggest a rephrase.

It never blocks anything: a postmortem is about systems and conditions, and the bot only nudges.
The list is short on purpose (false alarms teach people to ignore the nudge):

- A person named as the cause ("Luca broke the deploy", "caused by Sara"): name the action and
  the system instead ("a deploy of v2.3 removed the index").
- "human error", "operator error", "user error": the condition that let the mistake through.
- Fault and blame words ("Marco's fault", "to blame"): what happened, which safeguard was missing.
- Hindsight ("should have known", "should have checked"): what was known at the time, and what
  would have surfaced the problem.
- Judging a person (careless, negligent, lazy, sloppy, incompetent, stupid, reckless): the action
  taken and its context.
- Slang for a mistake ("messed up", "screwed up", "dropped the ball"): the step that failed.
- "forgot to": the missing reminder, checklist or automation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class BlamingPhrase:
    """One finding: the words as written, why they read as blame, and a better way to say it."""

    phrase: str
    why: str
    rephrase: str


@dataclass(frozen=True)
class _Rule:
    pattern: str
    why: str
    rephrase: str


_RULES = (
    _Rule(
        r"\b(?:human|operator|user|engineer|developer|admin)\s+error\b",
        "it names people as the cause",
        "describe the condition that let the mistake through, e.g. “the runbook step was ambiguous”",
    ),
    _Rule(
        r"\b(?:(?:his|her|their|my|your)|[\w.-]+['’]s)\s+fault\b|\bfault\s+of\b|\bat\s+fault\b",
        "it assigns fault to a person",
        "say what happened and which safeguard was missing",
    ),
    _Rule(
        r"\bto\s+blame\b|\bblam(?:e|ed|es|ing)\b",
        "it talks about blame",
        "say what happened and which safeguard was missing",
    ),
    _Rule(
        r"\bshould\s+have\s+(?:known|noticed|checked|seen|caught|tested|asked|realised|realized)\b",
        "it judges with hindsight",
        "say what was known at the time, and what would have surfaced the problem",
    ),
    _Rule(
        r"\b(?:careless(?:ly|ness)?|negligen(?:t|tly|ce)|incompeten(?:t|ce)|lazy|sloppy|stupid|reckless(?:ly)?)\b",
        "it judges a person instead of describing an action",
        "describe the action taken and its context",
    ),
    _Rule(
        r"\b(?:messed|screwed|botched)\s+up\b|\bdropped\s+the\s+ball\b",
        "it blames someone for a mistake",
        "name the step that failed",
    ),
    _Rule(
        r"\bforgot\s+to\b",
        "it puts the miss on someone's memory",
        "name the missing reminder, checklist or automation",
    ),
)
_CAUSE_VERBS = (
    r"caused|broke|forgot|deleted|dropped|misconfigured|failed\s+to|did\s+not|didn['’]t|"
    r"messed|ignored|missed|overlooked|skipped|introduced"
)
_NAMED_CAUSE = _Rule(
    "",
    "it names a person as the cause",
    "name the action or the system, not the person: e.g. “a configuration change to X removed Y”",
)


def check(text: str, people: Iterable[str] = ()) -> list[BlamingPhrase]:
    """Blaming phrases in `text`, in order; `people` are names and handles that must not be causes."""
    found: list[tuple[int, BlamingPhrase]] = []
    taken: list[tuple[int, int]] = []

    def add(match: re.Match[str], rule: _Rule) -> None:
        span = match.span()
        if any(start < span[1] and span[0] < end for start, end in taken):
            return
        taken.append(span)
        found.append((span[0], BlamingPhrase(match.group(0), rule.why, rule.rephrase)))

    for pattern in _people_patterns(people):
        for match in pattern.finditer(text):
            add(match, _NAMED_CAUSE)
    for rule in _RULES:
        for match in re.finditer(rule.pattern, text, re.IGNORECASE):
            add(match, rule)
    return [finding for _position, finding in sorted(found, key=lambda item: item[0])]


def suggestion_text(findings: list[BlamingPhrase]) -> str:
    """A friendly, non-blocking note listing each finding and its rephrase."""
    lines = ["A blameless nudge (nothing was blocked):"]
    lines += [f"- “{f.phrase}”: {f.why}; instead, {f.rephrase}." for f in findings]
    return "\n".join(lines)


def _people_patterns(people: Iterable[str]) -> list[re.Pattern[str]]:
    names = sorted({name.strip() for name in people if len(name.strip()) >= 3}, key=len, reverse=True)
    if not names:
        return []
    alternatives = "|".join(re.escape(name) for name in names)
    return [
        re.compile(rf"\b(?:{alternatives})\b\s+(?:{_CAUSE_VERBS})\b", re.IGNORECASE),
        re.compile(rf"\b(?:because\s+of|caused\s+by|due\s+to|thanks\s+to)\s+(?:{alternatives})\b", re.IGNORECASE),
    ]
