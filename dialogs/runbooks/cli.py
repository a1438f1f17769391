"""`circlebot runbooks check`: the runbook check from the command line (CI, or before a review)."""

from __future__ import annotations

from adapters.gitlab.runbooks import gitlab_runbooks_from_settings
from adapters.runbooks.library import RunbookLibrary
from adapters.runtime import Runtime
from bot.messenger import Messenger
from bot.runbooks.notifier import TeamsRunbookNotifier
from dialogs.runbooks.desk import RunbookDesk
from domain.runbooks import service
from domain.runbooks.check import RunbookReport


async def check_runbooks(runtime: Runtime, *, circle: str | None, notify: bool) -> list[str]:
    """Lines to print: per circle, each runbook's findings ("  - " lines) or that all are in order.

    With `notify`, owners and the Team Leader are told as by the weekly check (queued in the outbox,
    delivered by the running bot).
    """
    gitlab = gitlab_runbooks_from_settings(runtime.settings)
    library = RunbookLibrary(runtime.uow, runtime.clock, gitlab)
    desk = RunbookDesk(runtime.uow, runtime.clock, library, TeamsRunbookNotifier(Messenger()), gitlab is not None)
    try:
        async with runtime.uow.reader() as uow:
            circles = await uow.circles.active()
        if circle is not None:
            circles = [c for c in circles if c.name == circle]
            if not circles:
                raise ValueError(f"no active circle is called {circle!r}; `circlebot config apply` stores them")
        lines: list[str] = []
        for each in circles:
            if notify:
                reports, unanswered = await desk.check_now(
                    each, key=f"cli:{each.name}:{runtime.clock.now().isoformat()}"
                )
            else:
                unanswered = await library.prefetch(each)
                async with runtime.uow.reader() as uow:
                    ctx = desk.context(uow)
                    reports = [await service.check_service(ctx, each, s) for s in each.services]
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
