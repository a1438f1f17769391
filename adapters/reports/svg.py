"""Small server-side SVG charts for the dashboard: lines, stacked bars and a heatmap.

Our own ~200 lines instead of a charting library: the dashboard needs four chart shapes, a
library (pygal, matplotlib) would add megabytes and its own styling to fight, and plain SVG
lets the page's CSS colour every series for Teams' light, dark and high-contrast themes
(classes `s1`…`s4`, never inline colours, so a strict Content-Security-Policy holds). Each
chart carries a <title> and <desc> for screen readers, and the page adds its data as a table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 16, 36


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    css_class: str


@dataclass(frozen=True)
class Chart:
    """One chart: its SVG, a one-paragraph text alternative, and its data as a table."""

    key: str
    title: str
    svg: str
    alt: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def line_chart(
    key: str, title: str, labels: Sequence[str], series: Sequence[Series], fmt: Callable[[float], str], alt: str
) -> Chart:
    """One line per series over `labels`; a missing value (None) breaks the line."""
    top = _nice_max([v for s in series for v in s.values if v is not None])
    parts = [*_axes(labels, top, fmt)]
    for s in series:
        points = [(_x(i, len(labels)), _y(v, top)) for i, v in enumerate(s.values) if v is not None]
        if points:
            path = " ".join(f"{'M' if n == 0 else 'L'}{x:.1f},{y:.1f}" for n, (x, y) in enumerate(points))
            parts.append(f'<path class="line {s.css_class}" d="{path}"/>')
            parts += [f'<circle class="dot {s.css_class}" cx="{x:.1f}" cy="{y:.1f}" r="3"/>' for x, y in points]
    parts.append(_legend(series))
    return _chart(key, title, alt, parts, labels, series, fmt)


def stacked_bars(
    key: str, title: str, labels: Sequence[str], series: Sequence[Series], fmt: Callable[[float], str], alt: str
) -> Chart:
    """One bar per label, the series stacked bottom-up."""
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(labels))]
    top = _nice_max(totals)
    step = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    parts = [*_axes(labels, top, fmt)]
    for i in range(len(labels)):
        base = 0.0
        for s in series:
            value = s.values[i] or 0
            if value:
                y0, y1 = _y(base, top), _y(base + value, top)
                x = LEFT + i * step + step * 0.15
                parts.append(
                    f'<rect class="bar {s.css_class}" x="{x:.1f}" y="{y1:.1f}" width="{step * 0.7:.1f}" '
                    f'height="{y0 - y1:.1f}"><title>{escape(labels[i])} · {escape(s.name)}: {fmt(value)}</title></rect>'
                )
            base += value
    parts.append(_legend(series))
    return _chart(key, title, alt, parts, labels, series, fmt)


def heatmap(
    key: str,
    title: str,
    rows: Sequence[tuple[str, str]],
    values: Sequence[Sequence[float]],
    fmt: Callable[[float], str],
    alt: str,
) -> Chart:
    """`rows` (short label, full label) by 24 hours; darker is more. Each non-empty cell names its value."""
    height = TOP + 22 * max(len(rows), 1) + BOTTOM
    left = 150
    cell_w = (WIDTH - left - RIGHT) / 24
    peak = max([v for row in values for v in row] or [0]) or 1
    parts = []
    for r, (short, name) in enumerate(rows):
        y = TOP + 22 * r
        parts.append(f'<text class="label" x="{left - 6}" y="{y + 15}" text-anchor="end">{escape(short[:24])}</text>')
        for hour, value in enumerate(values[r]):
            level = 0 if not value else 1 + min(4, int(4 * value / peak))
            tip = f"<title>{escape(name)} {hour:02d}:00 · {fmt(value)}</title>" if value else ""
            parts.append(
                f'<rect class="heat h{level}" x="{left + hour * cell_w:.1f}" y="{y}" width="{cell_w - 1:.1f}" '
                f'height="20">{tip}</rect>'
            )
    for hour in range(0, 24, 3):
        parts.append(f'<text class="label" x="{left + (hour + 0.5) * cell_w:.1f}" y="{height - 14}" '
                     f'text-anchor="middle">{hour:02d}</text>')  # fmt: skip
    svg = _svg(key, title, alt, parts, height)
    table = tuple((name, *(fmt(v) if v else "" for v in row)) for (_, name), row in zip(rows, values, strict=True))
    return Chart(key, title, svg, alt, ("person", *(f"{h:02d}" for h in range(24))), table)


def _chart(
    key: str,
    title: str,
    alt: str,
    parts: list[str],
    labels: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[float], str],
) -> Chart:
    rows = tuple(
        (label, *("" if s.values[i] is None else fmt(s.values[i] or 0) for s in series))
        for i, label in enumerate(labels)
    )
    return Chart(key, title, _svg(key, title, alt, parts, HEIGHT), alt, ("week", *(s.name for s in series)), rows)


def _svg(key: str, title: str, alt: str, parts: list[str], height: int) -> str:
    return (
        f'<svg class="chart-svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{key}-title {key}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{key}-title">{escape(title)}</title><desc id="{key}-desc">{escape(alt)}</desc>'
        + "".join(parts)
        + "</svg>"
    )


def _axes(labels: Sequence[str], top: float, fmt: Callable[[float], str]) -> list[str]:
    bottom = HEIGHT - BOTTOM
    parts = [f'<line class="axis" x1="{LEFT}" y1="{bottom}" x2="{WIDTH - RIGHT}" y2="{bottom}"/>']
    for tick in range(5):
        value = top * tick / 4
        y = _y(value, top)
        parts.append(f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>')
        parts.append(f'<text class="label" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{fmt(value)}</text>')
    every = max(1, math.ceil(len(labels) / 8))
    for i, label in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            x = _x(i, len(labels))
            parts.append(
                f'<text class="label" x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">{escape(label)}</text>'
            )
    return parts


def _legend(series: Sequence[Series]) -> str:
    items = []
    for n, s in enumerate(series):
        x = LEFT + n * 90
        items.append(
            f'<rect class="swatch {s.css_class}" x="{x}" y="{HEIGHT - 12}" width="10" height="10"/>'
            f'<text class="label" x="{x + 14}" y="{HEIGHT - 3}">{escape(s.name)}</text>'
        )
    return "".join(items)


def _x(index: int, count: int) -> float:
    step = (WIDTH - LEFT - RIGHT) / max(count, 1)
    return LEFT + step * (index + 0.5)


def _y(value: float, top: float) -> float:
    return HEIGHT - BOTTOM - (HEIGHT - BOTTOM - TOP) * (value / top)


def _nice_max(values: Sequence[float]) -> float:
    """A round axis top at or above the largest value, with round quarters (1, 2, 4 or 8 times 10 to the n)."""
    peak = max([v for v in values if v] or [1])
    power = 10 ** math.floor(math.log10(peak))
    return float(next(power * m for m in (1, 2, 4, 8, 10) if power * m >= peak))
