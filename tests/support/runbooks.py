"""A circle with services, a complete runbook, an incomplete one and a question bank, for runbook tests."""

from __future__ import annotations

from domain.circle import Circle

RUNBOOK_CHECKOUT = """\
# checkout runbook

## Summary
Takes the shop's payments: cart to order. When it is down nobody can buy.

## Service SLA
P1 acknowledged within 5 minutes and resolved within 4 hours, by contract.

## Escalation path
Primary on-call, then the secondary after 5 minutes, then the Team Leader.

## Incident workflow
`/incident P1 <title>` in the circle's channel; acknowledge from the card.

## Monitoring
- [Checkout overview](https://grafana.example.com/d/checkout)

## Alerts

### CheckoutHighErrorRate
- **Meaning**: more than 5% of checkout requests fail for 5 minutes
- **Impact**: customers cannot pay
- **Remediation**: check the payment provider's status page, then the last deploy

### CheckoutLatencyHigh
- **Meaning**: p99 checkout latency above 2 seconds
- **Impact**: slow payments, abandoned carts
- **Remediation**: check the database connection pool

## Postmortems
See postmortems/ in this repository.

## Doc
- https://docs.example.com/checkout
"""

# The catalog runbook forgot its Alerts and Doc sections.
RUNBOOK_CATALOG = """\
# catalog
## Summary
Product listings.
## Service SLA
As the circle's.
## Escalation path
As the circle's.
## Incident workflow
As usual.
## Monitoring
Grafana.
## Postmortems
None.
"""

QUESTION_BANK = """\
- topic: process
  question: Who declares a P1 found by a customer?
  choices: [The on-call, The customer, The stakeholder]
  answer: The on-call
- topic: troubleshooting
  question: Checkout answers 500 after a deploy. What do you look at first?
  answer: The deploy's diff and its rollback
  runbook: checkout
"""


def services_yaml(indent: str = "    ") -> str:
    """The `services:` and `runbooks:` blocks of a circle, indented for a circles file."""
    text = """\
services:
  - name: checkout
    owner: marco
    alerts: [CheckoutHighErrorRate, CheckoutLatencyHigh]
    match:
      - {app: checkout}
    dashboards:
      - {title: Checkout overview, url: "https://grafana.example.com/d/checkout"}
  - name: catalog
    owner: marco
    match:
      - {app: catalog}
runbooks: {staleness: 90d, drill_window: 182d, pass_mark: 80%, questions: 3}
"""
    return "".join(indent + line if line.strip() else line for line in text.splitlines(keepends=True))


def circle_yaml(team_id: str, channel_id: str, giulia: str, marco: str, *, gitlab_project: str | None = None) -> str:
    project = f"\n    docs_repo: {gitlab_project}" if gitlab_project else ""
    return f"""
circles:
  - name: shop
    customer: acme
    project: shop
    team_id: "{team_id}"
    channel_id: "{channel_id}"
    time_zone: Europe/Rome
    team_leader: giulia
    members:
      - {{handle: giulia, name: Giulia Rossi, teams_user_id: "{giulia}", gitlab: grossi, phone: "+39 000 1"}}
      - {{handle: marco, name: Marco Bianchi, teams_user_id: "{marco}", gitlab: mbianchi, phone: "+39 000 2"}}
      - {{handle: sara, name: Sara Romano, teams_user_id: "29:sara", gitlab: sromano}}
    rota:
      rotations:
        - {{layer: primary, members: [marco, sara], every: weekly, handover: {{day: mon}}, start: 2026-11-30}}
        - {{layer: secondary, members: [sara, marco], every: weekly, handover: {{day: mon}}, start: 2026-11-30}}
    escalation:
      - {{notify: secondary, after: 5m}}
      - {{notify: team_leader, after: 10m}}
    sla:
      P1: {{acknowledge: 5m, resolve: 4h, stakeholder_updates: never}}
      P2: {{acknowledge: 15m, resolve: 8h, stakeholder_updates: never}}
      P3: {{acknowledge: 1h, resolve: 3d, stakeholder_updates: never}}
      P4: {{acknowledge: 4h, resolve: 10d, stakeholder_updates: never}}
    jira: {{project: SHOP}}{project}
{services_yaml()}"""


def shop_circle() -> Circle:
    from adapters.circles_file import parse_circles

    return parse_circles(circle_yaml("team-1", "channel-1", "29:giulia", "29:marco")).circles[0]
