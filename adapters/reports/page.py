"""The dashboard's HTML: headline figures, the charts with their text alternatives, the CSV link.

Everything is rendered here, on the server, with no inline script or style (the page's
Content-Security-Policy forbids both); dashboard.css colours the charts for each Teams theme.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from adapters.reports.svg import Chart, Series, heatmap, line_chart, stacked_bars
from domain.circle import Severity
from domain.reports.report import CircleReport
from domain.reports.summary import breach_line, days, headline, minutes, share
from domain.reports.teamwork import TeamworkFigures
from domain.reports.trends import Trends

THEMES = {"default": "light", "light": "light", "dark": "dark", "contrast": "contrast"}
SEVERITY_CLASS = {Severity.P1: "s1", Severity.P2: "s2", Severity.P3: "s3", Severity.P4: "s4"}


def charts(trends: Trends) -> list[Chart]:
    """Every chart of the dashboard, in reading order."""
    labels = [week.label for week in trends.weeks]
    span = f"the {len(labels)} weeks from {labels[0]} to {labels[-1]}"

    def per_severity(values: dict[Severity, list[float | None]]) -> list[Series]:
        return [Series(str(s), values[s], SEVERITY_CLASS[s]) for s in Severity if any(v is not None for v in values[s])]

    counts: dict[Severity, list[float | None]] = {s: [float(v) for v in trends.incidents[s]] for s in Severity}
    total = sum(sum(v) for v in trends.incidents.values())
    return [
        line_chart(
            "mtta", "Mean time to acknowledge, per week and severity", labels, per_severity(trends.mtta_minutes),
            lambda v: minutes(v), _trend_alt("Mean time to acknowledge", trends.mtta_minutes, span, "minutes"),
        ),
        line_chart(
            "mttr", "Mean time to resolve, per week and severity", labels, per_severity(trends.mttr_hours),
            lambda v: minutes(v * 60), _trend_alt("Mean time to resolve", trends.mttr_hours, span, "hours"),
        ),
        stacked_bars(
            "incidents", "Incidents per week, by severity", labels,
            [Series(str(s), counts[s], SEVERITY_CLASS[s]) for s in Severity], lambda v: f"{v:.0f}",
            f"{total} incidents over {span}: "
            + ", ".join(f"{s} {sum(trends.incidents[s])}" for s in Severity) + ".",
        ),
        stacked_bars(
            "breaches", "SLA minutes in breach per week (acknowledge and resolve together)", labels,
            [Series("minutes in breach", list(trends.breach_minutes), "s1")], minutes,
            f"{sum(trends.breaches)} SLA breaches over {span}, {minutes(sum(trends.breach_minutes))} past deadlines "
            f"in all; the worst week had {minutes(max(trends.breach_minutes, default=0))}.",
        ),
        heatmap(
            "load", "On-call load: minutes on incidents by hour of day, in each person's zone",
            [(name, f"{name} ({zone})") for name, zone, _ in trends.load_by_hour],
            [hours for _, _, hours in trends.load_by_hour], minutes,
            _load_alt(trends, span),
        ),
        line_chart(
            "actions", "Open postmortem actions at the end of each week", labels,
            [Series("open actions", [float(v) for v in trends.open_actions], "s3")], lambda v: f"{v:.0f}",
            f"Open corrective actions went from {trends.open_actions[0]} to {trends.open_actions[-1]} over {span}.",
        ),
    ]  # fmt: skip


def fragment(report: CircleReport, trends: Trends, *, csv_href: str | None, note: str) -> str:
    """The dashboard's content: what the page shows below its banner."""
    comparison = report.comparison
    facts = "".join(f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>" for label, value in headline(report))
    breaches = "".join(f"<li>{escape(breach_line(b))}</li>" for b in report.current.worst_breaches)
    parts = [
        f"<header><h1>{escape(report.circle)} · {escape(comparison.current.label)}</h1>"
        f'<p class="subtle">Compared with {escape(comparison.previous.label)} · times in '
        f"{escape(report.time_zone)} · {escape(note)}</p></header>",
        f'<section class="headline" aria-label="Headline figures"><dl>{facts}</dl>',
        f"<h2>Worst SLA breaches</h2><ul>{breaches}</ul>" if breaches else "",
        "</section>",
        '<section class="charts">',
        *(_figure(chart) for chart in charts(trends)),
        "</section>",
        teamwork_table(report.teamwork, comparison.current.label),
    ]
    if csv_href:
        parts.append(f'<p><a class="csv" href="{escape(csv_href)}" download>Download the incidents as CSV</a></p>')
    return "".join(parts)


TEAMWORK_HEADERS = ("Member", "Stand-ups answered", "Feedback on WIP days", "In progress now", "Overdue activities")


def teamwork_table(figures: TeamworkFigures, label: str) -> str:
    """Stand-ups and activities member by member: a table, with its one-line text alternative."""
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in TEAMWORK_HEADERS)
    rows = "".join(
        f'<tr><th scope="row">{escape(m.name)}</th>'
        f"<td>{escape(share(m.standups_answered, m.standups_expected))}</td>"
        f"<td>{escape(share(m.feedback_days, m.wip_days))}</td>"
        f"<td>{escape(f'{m.wip_ref} · {days(m.wip_age_days)}' if m.wip_ref else '—')}</td>"
        f"<td>{m.overdue}</td></tr>"
        for m in figures.members
    )
    return (
        '<section class="teamwork" aria-labelledby="teamwork-title">'
        '<h2 id="teamwork-title">Stand-ups and activities, member by member</h2>'
        f'<p class="alt">{escape(teamwork_alt(figures, label))}</p>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></section>"
    )


def teamwork_alt(figures: TeamworkFigures, label: str) -> str:
    standups = (
        f"stand-ups answered {share(figures.standups_answered, figures.standups_expected)}, blockers "
        f"{figures.blockers_raised} raised and {figures.blockers_solved} solved; "
        if figures.has_standup
        else "no stand-up; "
    )
    in_progress = [m for m in figures.members if m.wip_age_days is not None]
    oldest = max(in_progress, key=lambda m: m.wip_age_days or 0, default=None)
    wip = (
        f"the oldest activity in progress is {oldest.name}'s {oldest.wip_ref} ({days(oldest.wip_age_days)})"
        if oldest is not None
        else "no activity is in progress"
    )
    feedback = (
        f"feedback given on {share(figures.feedback_days, figures.wip_days)} of the days with an activity in progress"
        if figures.wip_days
        else "no day with an activity in progress"
    )
    return f"In {label}: {standups}{feedback}; {wip}; {figures.overdue_activities} activities overdue."


def page(*, title: str, body: str, theme: str, scripts: Sequence[str] = (), banner: str = "") -> str:
    """A whole HTML page in the Teams theme asked for ("default", "dark" or "contrast")."""
    theme_class = THEMES.get(theme, "light")
    script_tags = "".join(f'<script src="{escape(src)}"></script>' for src in scripts)
    banner_html = f'<p class="banner" role="status">{escape(banner)}</p>' if banner else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        # No favicon request (a 404 in the browser console): the tab has Teams' icon anyway.
        '<link rel="icon" href="data:,">'
        '<link rel="stylesheet" href="/tabs/static/dashboard.css">'
        f'{script_tags}</head><body class="theme-{theme_class}">{banner_html}<main id="dashboard">{body}</main>'
        "</body></html>"
    )


def _figure(chart: Chart) -> str:
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in chart.headers)
    rows = "".join(
        "<tr>" + f'<th scope="row">{escape(row[0])}</th>' + "".join(f"<td>{escape(c)}</td>" for c in row[1:]) + "</tr>"
        for row in chart.rows
    )
    return (
        f'<figure class="chart" data-chart="{chart.key}"><figcaption><h2>{escape(chart.title)}</h2></figcaption>'
        f'{chart.svg}<p class="alt">{escape(chart.alt)}</p>'
        f"<details><summary>Data of this chart</summary><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{rows}</tbody></table></details></figure>"
    )


def _trend_alt(what: str, values: dict[Severity, list[float | None]], span: str, unit: str) -> str:
    parts = []
    for severity, series in values.items():
        known = [v for v in series if v is not None]
        if known:
            parts.append(f"{severity} from {known[0]:.1f} to {known[-1]:.1f} {unit} (best {min(known):.1f})")
    if not parts:
        return f"{what}: no incidents over {span}."
    return f"{what} over {span}: " + "; ".join(parts) + "."


def _load_alt(trends: Trends, span: str) -> str:
    if not trends.load_by_hour:
        return f"Nobody worked on an incident over {span}."
    people = [(f"{name} ({zone})", hours) for name, zone, hours in trends.load_by_hour]
    night = sorted(((sum(hours[:7]), name) for name, hours in people), reverse=True)
    busiest = sorted(((sum(hours), name) for name, hours in people), reverse=True)[0]
    return (
        f"Over {span}, {busiest[1]} spent the most time on incidents ({minutes(busiest[0])}); "
        f"the most sleep-hour time (00:00-07:00) was {night[0][1]}'s ({minutes(night[0][0])})."
    )
