"""A runbook as the handbook's template has it: the sections, and one entry per alert.

Handbook: Summary, Service SLA, Escalation path, Incident workflow, Monitoring, Alerts ("for each
alert, or group of alerts, describe the meaning of the metric, the impact on the customer, and
possible remediation checks"), Postmortems, Doc. Sections are `##` headings; alert entries are
`###` headings inside Alerts, named after the alert (several alerts may share one, comma-separated).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TEMPLATE_SECTIONS = (
    "Summary",
    "Service SLA",
    "Escalation path",
    "Incident workflow",
    "Monitoring",
    "Alerts",
    "Postmortems",
    "Doc",
)
ALERTS = "Alerts"
# What an alert entry should say (handbook); the template writes these as bold labels.
ALERT_ENTRY_PARTS = ("Meaning", "Impact", "Remediation")

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


@dataclass(frozen=True)
class AlertEntry:
    heading: str
    names: tuple[str, ...]
    text: str

    def part(self, label: str) -> str:
        """The text after `**Meaning**:` (or `Meaning:`), up to the next labelled part."""
        labels = "|".join(ALERT_ENTRY_PARTS)
        start = rf"^\s*[-*]?\s*\**{re.escape(label)}\**\s*:?\**\s*"
        pattern = rf"(?ims){start}(.+?)(?=^\s*[-*]?\s*\**(?:{labels})\**\s*:|\Z)"
        match = re.search(pattern, self.text)
        return " ".join(match.group(1).split()) if match else ""

    @property
    def meaning(self) -> str:
        """What the alert means: its Meaning part, else its first paragraph."""
        return self.part("Meaning") or " ".join(self.text.strip().split("\n\n", 1)[0].split())


@dataclass(frozen=True)
class Runbook:
    """A parsed runbook: `sections` by their heading as written, in order."""

    sections: dict[str, str] = field(default_factory=dict)

    def section(self, name: str) -> str | None:
        wanted = _norm(name)
        return next((text for heading, text in self.sections.items() if _norm(heading) == wanted), None)

    def missing_sections(self) -> list[str]:
        """Template sections absent or left empty."""
        return [name for name in TEMPLATE_SECTIONS if not (self.section(name) or "").strip()]

    def alert_entries(self) -> list[AlertEntry]:
        text = self.section(ALERTS) or ""
        entries: list[AlertEntry] = []
        heading: str | None = None
        lines: list[str] = []
        for line in text.splitlines():
            match = _HEADING.match(line)
            if match and len(match.group(1)) >= 3:
                if heading is not None:
                    entries.append(_entry(heading, lines))
                heading, lines = match.group(2), []
            elif heading is not None:
                lines.append(line)
        if heading is not None:
            entries.append(_entry(heading, lines))
        return entries

    def alert_entry(self, alert: str) -> AlertEntry | None:
        """The entry that names `alert` (exactly, any case)."""
        wanted = alert.strip().lower()
        return next((e for e in self.alert_entries() if wanted in (n.lower() for n in e.names)), None)


def parse_runbook(markdown: str) -> Runbook:
    """Split on `##` headings (a single `#` title is ignored); text before the first is dropped."""
    sections: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []
    fenced = False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        if match and len(match.group(1)) == 2:
            if current is not None:
                sections[current] = "\n".join(lines).strip()
            current, lines = match.group(2), []
        elif current is not None:
            lines.append(line)
    if current is not None:
        sections[current] = "\n".join(lines).strip()
    return Runbook(sections)


def first_lines(text: str, limit: int = 600) -> str:
    """Up to `limit` characters of `text`, cut at a line break when possible, for a card."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip() + " …"


def _entry(heading: str, lines: list[str]) -> AlertEntry:
    names = tuple(name.strip().strip("`") for name in re.split(r"[,/]", heading) if name.strip())
    return AlertEntry(heading=heading, names=names, text="\n".join(lines).strip())


def _norm(heading: str) -> str:
    return " ".join(heading.lower().replace("-", " ").split())
