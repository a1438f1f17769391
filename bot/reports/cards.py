"""The report card: the period's headline figures against the period before, the worst SLA
breaches, who carried the night, and a link to the dashboard. Compact enough for a phone."""

from __future__ import annotations

from bot.cards import Card, adaptive_card, fact_set, text_block
from domain.reports.report import CircleReport
from domain.reports.summary import breach_line, headline, night_line


def report_card(report: CircleReport, dashboard_url: str | None = None, *, late: str | None = None) -> Card:
    """The `/report` answer and the weekly post; `late` says why a weekly post comes late."""
    now = report.current
    comparison = report.comparison
    body = [
        text_block(f"Report · {report.circle} · {comparison.current.label}", size="Medium", weight="Bolder"),
        text_block(f"Compared with {comparison.previous.label} · times in {report.time_zone}", subtle=True),
        fact_set(headline(report)),
    ]
    if late:
        body.insert(2, text_block(f"Posted late: {late}", subtle=True))
    if now.worst_breaches:
        body.append(text_block("Worst SLA breaches", weight="Bolder"))
        body.extend(text_block(breach_line(b), color="attention") for b in now.worst_breaches)
    carrier = report.night_carrier
    if carrier is not None:
        body.append(text_block("Most night load (00:00–07:00 in their zone)", weight="Bolder"))
        body.append(text_block(night_line(carrier)))
    actions = [{"type": "Action.OpenUrl", "title": "Open dashboard", "url": dashboard_url}] if dashboard_url else []
    return adaptive_card(body, actions)
