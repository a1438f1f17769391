"""`circlebot runbooks check`: the runbook check from the command line (CI, or before a review)."""

from __future__ import annotations

from adapters.gitlab.runbooks import gitlab_runbooks_from_settings
from adapters.runtime import Runtime
from dialogs.runbooks.desk import desk_for
from domain.runbooks.check import RunbookReport


async def check_runbooks(runtime: Runtime, *, circle: str | None, notify: bool) -> list[str]:
    """Lines to print: per circle, each runbook's findings ("  - " lines) or that all are in order.

    With `notify`, owners and the Team Leader are told as by the weekly check (queued in the outbox,
    delivered by the running bot). ValueError when `circle` names no active circle.
    """
    gitlab = gitlab_runbooks_from_settings(runtime.settings)
    try:
        lines: list[str] = []
        for each, reports, unanswered in await desk_for(runtime, gitlab).check_circles(circle, notify=notify):
            lines += _lines(each.name, reports)
            lines += [f"  note: GitLab did not answer, so my last copy was checked: {what}" for what in unanswered]
        return lines
    finally:
        if gitlab is not None:
            gitlab.close()


def _lines(circle: str, reports: list[RunbookReport]) -> list[str]:
    bad = [r for r in reports if not r.ok]
    lines = [f"circle {circle}: {len(reports)} runbooks, {len(bad)} need attention"]
    for report in bad:
        for finding in report.findings:
            lines.append(f"  - {report.service.name} ({report.service.runbook}): {finding.text}")
    return lines
