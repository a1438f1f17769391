"""The dashboard's own SVG charts: data marks where the data is, round axes, user text escaped."""

from __future__ import annotations

from adapters.reports.svg import Series, _nice_max, heatmap, line_chart, stacked_bars


def test_a_line_has_one_dot_per_known_value_and_breaks_at_missing_ones() -> None:
    chart = line_chart("mtta", "MTTA", ["a", "b", "c"], [Series("P1", [1.0, None, 3.0], "s1")], str, "alt")
    assert chart.svg.count('<circle class="dot s1"') == 2
    assert chart.rows == (("a", "1.0"), ("b", ""), ("c", "3.0"))


def test_stacked_bars_stack_each_series_and_skip_zeros() -> None:
    chart = stacked_bars("n", "Incidents", ["w1", "w2"], [Series("P1", [1, 0], "s1"), Series("P2", [2, 3], "s2")],
                         lambda v: f"{v:.0f}", "alt")  # fmt: skip
    assert chart.svg.count('class="bar s1"') == 1 and chart.svg.count('class="bar s2"') == 2


def test_axes_end_on_round_values_with_round_quarters() -> None:
    assert [_nice_max([v]) for v in (0.3, 3, 25, 90, 500)] == [0.4, 4, 40, 100, 800]


def test_text_from_users_is_escaped_in_svg_and_tables() -> None:
    hostile = "<script>alert(1)</script>"
    chart = heatmap("load", "Load", [(hostile, hostile)], [[0.0] * 23 + [5.0]], str, f"alt {hostile}")
    assert "<script>" not in chart.svg and "&lt;script&gt;" in chart.svg
    assert chart.svg.count('class="heat h5"') == 1 and chart.svg.count('class="heat h0"') == 23
