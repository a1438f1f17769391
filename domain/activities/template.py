"""The activity template (handbook: Title, Description, Tasks, Deadline, Definition of done) as GitLab markdown.

Tasks and the definition of done are GitLab task lists (`- [ ] …`), so GitLab counts them
(`task_completion_status`) and people tick them on the web as well as from the feedback card.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

MARKER_PREFIX = "circlebot:activity:"
SECTION_DESCRIPTION = "Description"
SECTION_TASKS = "Tasks"
SECTION_DEADLINE = "Deadline"
SECTION_DONE = "Definition of done"
REQUIRED_SECTIONS = (SECTION_DESCRIPTION, SECTION_TASKS, SECTION_DEADLINE, SECTION_DONE)

_HEADING = re.compile(r"^#{1,4}\s+(.+?)\s*#*\s*$")
_TASK = re.compile(r"^(\s*[-*+]\s+\[)([ xX~])(\]\s+)(.*\S)\s*$")
_MARKER = re.compile(r"<!--\s*" + re.escape(MARKER_PREFIX) + r"([A-Za-z0-9_.:-]+)\s*-->")


@dataclass(frozen=True)
class Task:
    text: str
    done: bool = False


@dataclass(frozen=True)
class ParsedIssue:
    """What an issue description says, section by section; `missing` names template sections not found."""

    description: str
    tasks: tuple[Task, ...]
    definition_of_done: tuple[Task, ...]
    deadline: date | None
    marker: str | None
    missing: tuple[str, ...]


def marker_comment(marker: str) -> str:
    """The hidden line that lets a retry find the issue it may already have created."""
    return f"<!-- {MARKER_PREFIX}{marker} -->"


def render_description(
    *, marker: str, description: str, tasks: list[Task], deadline: date | None, definition_of_done: list[Task]
) -> str:
    """The issue description from the template, with the marker first."""
    parts = [
        marker_comment(marker),
        f"## {SECTION_DESCRIPTION}\n\n{description.strip() or '_(none)_'}",
        f"## {SECTION_TASKS}\n\n{_task_list(tasks)}",
        f"## {SECTION_DEADLINE}\n\n{deadline.isoformat() if deadline else '_(none)_'}",
        f"## {SECTION_DONE}\n\n{_task_list(definition_of_done)}",
    ]
    return "\n\n".join(parts) + "\n"


def _task_list(tasks: list[Task]) -> str:
    return "\n".join(f"- [{'x' if t.done else ' '}] {t.text}" for t in tasks) or "_(none)_"


def parse_description(text: str, *, due_date: date | None = None) -> ParsedIssue:
    """Read an issue written from the template (or by hand): sections by heading, task lists, the marker.

    GitLab's `due_date` stands in for a missing Deadline section.
    """
    sections = _sections(text or "")
    lower = {name.lower(): body for name, body in sections.items()}
    deadline = _first_date(lower.get(SECTION_DEADLINE.lower(), "")) or due_date
    missing = [name for name in REQUIRED_SECTIONS if name.lower() not in lower]
    if SECTION_DEADLINE in missing and due_date is not None:
        missing.remove(SECTION_DEADLINE)
    tasks = _tasks(lower.get(SECTION_TASKS.lower(), ""))
    done = _tasks(lower.get(SECTION_DONE.lower(), ""))
    if SECTION_TASKS not in missing and not tasks:
        missing.append(f"{SECTION_TASKS} (no `- [ ]` items)")
    if SECTION_DONE not in missing and not done:
        missing.append(f"{SECTION_DONE} (no `- [ ]` items)")
    found = _MARKER.search(text or "")
    return ParsedIssue(
        description=lower.get(SECTION_DESCRIPTION.lower(), sections.get("", "")).strip(),
        tasks=tasks,
        definition_of_done=done,
        deadline=deadline,
        marker=found.group(1) if found else None,
        missing=tuple(missing),
    )


def tick_tasks(text: str, ticked: list[str]) -> str:
    """`text` with the task items whose text is in `ticked` marked done; every other character kept.

    Works on the description as GitLab has it now, so edits made on the web are never lost.
    """
    wanted = {_normal(t) for t in ticked}
    lines = []
    for line in text.split("\n"):
        match = _TASK.match(line)
        if match and match.group(2) == " " and _normal(match.group(4)) in wanted:
            line = f"{match.group(1)}x{match.group(3)}{match.group(4)}"
        lines.append(line)
    return "\n".join(lines)


def _sections(text: str) -> dict[str, str]:
    sections: dict[str, list[str]] = {"": []}
    current = ""
    for line in text.split("\n"):
        heading = _HEADING.match(line)
        if heading:
            current = heading.group(1).strip().rstrip(":")
            sections.setdefault(current, [])
            continue
        sections[current].append(line)
    return {name: "\n".join(lines) for name, lines in sections.items()}


def _tasks(body: str) -> tuple[Task, ...]:
    found = []
    for line in body.split("\n"):
        match = _TASK.match(line)
        if match:
            found.append(Task(match.group(4).strip(), done=match.group(2) in "xX"))
    return tuple(found)


def _first_date(body: str) -> date | None:
    match = re.search(r"\d{4}-\d{2}-\d{2}", body)
    if match is None:
        return None
    try:
        return date.fromisoformat(match.group(0))
    except ValueError:
        return None


def _normal(text: str) -> str:
    return " ".join(text.split()).lower()
