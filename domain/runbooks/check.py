"""The runbook check: is each service's runbook complete and current? (handbook: "always up to date")

For each service: the file exists; every template section is there and not empty; every alert that
fired in the lookback window has an entry under Alerts; the last commit is within the circle's
staleness limit; and no postmortem corrective action naming the runbook was agreed after its last commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.runbooks.document import Runbook
from domain.services import RunbookPolicy, Service

MISSING_FILE = "missing_file"
MISSING_SECTIONS = "missing_sections"
UNDOCUMENTED_ALERTS = "undocumented_alerts"
STALE = "stale"
TOUCHED_BY_ACTION = "touched_by_action"


@dataclass(frozen=True)
class ActionMention:
    """A corrective action whose text names a runbook: it should change after `agreed_at`."""

    key: str  # "INC-7 A2"
    text: str
    agreed_at: datetime


@dataclass(frozen=True)
class Finding:
    kind: str
    text: str


@dataclass(frozen=True)
class RunbookReport:
    service: Service
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not self.findings


def check_runbook(
    service: Service,
    runbook: Runbook | None,
    *,
    last_commit_at: datetime | None,
    now: datetime,
    policy: RunbookPolicy,
    alerts_fired: Sequence[str],
    actions: Sequence[ActionMention],
) -> RunbookReport:
    """Every problem with one service's runbook, in the order a person fixes them."""
    if runbook is None:
        text = f"{service.runbook} does not exist; `/runbook new {service.name}` drafts it from the template"
        return RunbookReport(service, (Finding(MISSING_FILE, text),))
    findings: list[Finding] = []
    if missing := runbook.missing_sections():
        findings.append(Finding(MISSING_SECTIONS, "missing or empty sections: " + ", ".join(missing)))
    documented = {name.lower() for entry in runbook.alert_entries() for name in entry.names}
    if undocumented := [a for a in dict.fromkeys(alerts_fired) if a.lower() not in documented]:
        days = policy.alerts_lookback.days
        findings.append(
            Finding(
                UNDOCUMENTED_ALERTS,
                f"fired in the last {days} days with no entry under Alerts: " + ", ".join(undocumented),
            )
        )
    if last_commit_at is not None and now - last_commit_at > policy.staleness:
        findings.append(
            Finding(
                STALE,
                f"no commit for {(now - last_commit_at).days} days (last {last_commit_at:%Y-%m-%d}); "
                f"the circle's limit is {policy.staleness.days} days",
            )
        )
    for action in actions:
        if last_commit_at is None or action.agreed_at > last_commit_at:
            findings.append(
                Finding(
                    TOUCHED_BY_ACTION,
                    f"corrective action {action.key} asks for a change not committed yet: {action.text}",
                )
            )
    return RunbookReport(service, tuple(findings))


def mentions_runbook(action_text: str, service: Service) -> bool:
    """A corrective action is about this runbook when it names its path, or "runbook" and the service."""
    text = action_text.lower()
    if service.runbook.lower() in text:
        return True
    return "runbook" in text and service.name.lower() in text.replace("-", " ").split() + text.split()


def summary_lines(circle_name: str, reports: Sequence[RunbookReport]) -> list[str]:
    """One line per runbook with problems, for the Team Leader's one summary."""
    lines = []
    for report in reports:
        if not report.ok:
            lines.append(
                f"{report.service.name} ({report.service.owner}): " + "; ".join(f.text for f in report.findings)
            )
    return lines
