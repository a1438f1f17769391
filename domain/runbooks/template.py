"""A new runbook, prefilled from what the bot knows: SLAs, escalation path, alerts seen, postmortems."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.circle import Circle, Severity
from domain.durations import format_duration
from domain.services import Service

TARGET_NAMES = {
    "primary": "the primary on-call",
    "secondary": "the secondary on-call",
    "team_leader": "the Team Leader",
    "focus_sre": "the focus SRE",
}


@dataclass(frozen=True)
class PostmortemLink:
    key: str
    title: str
    url: str | None


def escalation_target_name(circle: Circle, notify: str) -> str:
    """How a person reads an escalation step: "the secondary on-call", or the member's name."""
    if notify in TARGET_NAMES:
        return TARGET_NAMES[notify]
    member = circle.member(notify)
    return member.display_name if member else notify


def render_runbook(
    circle: Circle,
    service: Service,
    *,
    alerts_seen: Sequence[str],
    postmortems: Sequence[PostmortemLink],
) -> str:
    """The handbook's template in Markdown with every section the bot can fill already filled."""
    owner = circle.member(service.owner)
    lines = [
        f"# {service.name} runbook",
        "",
        f"Owner: {owner.display_name if owner else service.owner}. Circle: {circle.name} "
        f"({circle.customer} {circle.project}).",
        "",
        "## Summary",
        "",
        f"_What {service.name} offers, in two or three sentences: "
        "who uses it and what breaks for them when it is down._",
        "",
        "## Service SLA",
        "",
        "| Severity | Acknowledge | Resolve |",
        "| --- | --- | --- |",
    ]
    for severity in Severity:
        sla = circle.sla_for(severity)
        lines.append(f"| {severity} | {format_duration(sla.acknowledge)} | {format_duration(sla.resolve)} |")
    lines += ["", "## Escalation path", ""]
    if circle.escalation:
        lines.append("1. the primary on-call (paged at once)")
        for number, step in enumerate(circle.escalation, start=2):
            lines.append(
                f"{number}. {escalation_target_name(circle, step.notify)} (after {format_duration(step.after)})"
            )
    else:
        lines.append("1. the primary on-call, then the Team Leader")
    lines += [
        "",
        "Who is on call right now: `/oncall` in Teams (`/runbook " + service.name + "` shows it live).",
        "",
        "## Incident workflow",
        "",
        "`/incident P1 <title>` in the circle's channel opens the incident and pages the primary; "
        "acknowledge from the card, keep stakeholders updated, resolve with a summary.",
        "",
        "## Monitoring",
        "",
    ]
    lines += [f"- [{title}]({url})" for title, url in service.dashboards] or ["- _dashboards_"]
    lines += ["", "## Alerts", ""]
    for alert in dict.fromkeys([*service.alerts, *alerts_seen]):
        lines += [
            f"### {alert}",
            "",
            "- **Meaning**: _what the metric measures and why it fired_",
            "- **Impact**: _what the customer sees_",
            "- **Remediation**: _what to check first, in order_",
            "",
        ]
    lines += ["## Postmortems", ""]
    lines += [f"- [{p.key}: {p.title}]({p.url})" if p.url else f"- {p.key}: {p.title}" for p in postmortems] or [
        "- _none yet_"
    ]
    lines += ["", "## Doc", "", "- _links to the service's documentation_", ""]
    return "\n".join(lines)
