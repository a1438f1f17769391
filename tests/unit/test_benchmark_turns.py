"""The turn benchmark still runs end to end: a handful of turns, both bots, one JSON line (no timings asserted)."""

from __future__ import annotations

import json

import pytest

from benchmarks import turns


def test_a_tiny_run_prints_one_json_line_with_both_bots_answering_every_turn(
    capsys: pytest.CaptureFixture[str],
) -> None:
    exit_code = turns.main(["--turns", "6", "--concurrency", "2", "--warmup", "2"])

    assert exit_code == 0
    [line] = capsys.readouterr().out.splitlines()
    result = json.loads(line)
    assert (result["turns"], result["concurrency"]) == (6, 2)
    for bot in (turns.CIRCLEBOT, turns.ECHO):
        assert result[bot]["errors"] == 0
        assert result[bot]["replies"] == 6
        assert {"rps", "p50_ms", "p99_ms"} <= set(result[bot])
    assert result[turns.CIRCLEBOT]["cards"] == 6  # `help` answers with the help card
    assert result[turns.ECHO]["cards"] == 0
    assert isinstance(result["ratio"], float)
    assert set(result["targets"]) == {"ratio_ge_3", "p99_lt_100ms"}


def test_a_turn_count_below_one_is_refused_with_the_reason(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        turns.main(["--turns", "0"])

    assert exit_info.value.code == 2
    assert "--turns: expected at least 1, got 0" in capsys.readouterr().err


def test_percentiles_are_nearest_rank() -> None:
    latencies = [float(value) for value in range(1, 101)]

    assert turns.percentile(latencies, 0.50) == 50.0
    assert turns.percentile(latencies, 0.99) == 99.0
    assert turns.percentile([7.0], 0.99) == 7.0
