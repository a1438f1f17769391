"""The services a circle runs (circles.yaml `services:`): owner, runbook, the alerts that are theirs.

Handbook: "Each SRE Engineer is accountable for keeping his domains runbooks up to date": every
service names its owner, and its runbook lives in the circle's DevOps repository. Alerts and
incidents are linked to a service by its alert names or its label matchers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time, timedelta
from urllib.parse import quote

RUNBOOK_DIR = "runbooks"


def default_runbook_path(service: str) -> str:
    """Where a service's runbook lives unless configured: runbooks/<service>.md."""
    return f"{RUNBOOK_DIR}/{service}.md"


@dataclass(frozen=True)
class Service:
    """One service of the circle; `matchers` are label sets (each all-equal) that mean this service."""

    name: str
    owner: str
    runbook: str = ""
    alerts: tuple[str, ...] = ()
    matchers: tuple[Mapping[str, str], ...] = ()
    dashboards: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not self.runbook:
            object.__setattr__(self, "runbook", default_runbook_path(self.name))

    def matches(self, labels: Mapping[str, str]) -> bool:
        """True when the alert's name is one of ours, or every label of one matcher is equal."""
        if labels.get("alertname") in self.alerts:
            return True
        if labels.get("service") == self.name:
            return True
        return any(all(labels.get(k) == v for k, v in matcher.items()) for matcher in self.matchers)


@dataclass(frozen=True)
class RunbookPolicy:
    """How a circle keeps runbooks current and people ready (circles.yaml `runbooks:`)."""

    # No commit on a runbook for longer than this: it is stale ("it should be always up to date").
    staleness: timedelta = timedelta(days=90)
    # Alerts that fired this far back must have an entry in the runbook's Alerts section.
    alerts_lookback: timedelta = timedelta(days=90)
    # On-call ready: passed a drill this recently. None: the circle does not track readiness.
    drill_window: timedelta | None = None
    # The share of right answers that passes a drill.
    pass_mark: float = 0.8
    # Questions in a drill when `/drill start` names no number.
    questions: int = 5
    # The weekly runbook check: weekday (0 = Monday) and local time.
    check_day: int = 0
    check_at: time = time(9, 0)
    # The branch runbooks and internal tests are read from.
    branch: str = "main"


def anchor(heading: str) -> str:
    """GitLab's anchor for a Markdown heading: lower case, punctuation dropped, spaces to '-'."""
    text = unicodedata.normalize("NFKC", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def runbook_web_url(web_base: str, project: str, branch: str, path: str, section: str | None = None) -> str:
    """The runbook file on GitLab's web UI, at `section`'s heading when given."""
    url = f"{web_base.rstrip('/')}/{project}/-/blob/{quote(branch)}/{quote(path)}"
    return f"{url}#{anchor(section)}" if section else url
