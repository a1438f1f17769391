"""The #17 workloads still run end to end on a few turns: one JSON line each, every card delivered (no timings)."""

from __future__ import annotations

import json

import pytest

from benchmarks import cost, workloads


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    assert workloads.main(list(argv)) == 0
    [line] = capsys.readouterr().out.splitlines()
    result: dict[str, object] = json.loads(line)
    return result


def test_declaring_in_a_channel_waits_for_the_relay_to_deliver_every_card(capsys: pytest.CaptureFixture[str]) -> None:
    result = _run(capsys, "declare", "--turns", "4", "--concurrency", "2", "--warmup", "1")

    figures = result["circlebot"]
    assert isinstance(figures, dict)
    assert (figures["errors"], figures["cards_delivered"]) == (0, 4)
    assert figures["card_p99_ms"] is not None and figures["cpu_ms_per_turn"] > 0
    targets = result["targets"]
    assert isinstance(targets, dict) and targets["every_card"] is True


def test_a_channel_help_turn_is_answered_by_both_bots(capsys: pytest.CaptureFixture[str]) -> None:
    result = _run(capsys, "channel", "--turns", "4", "--concurrency", "2", "--warmup", "1")

    for bot in ("circlebot", "echo"):
        figures = result[bot]
        assert isinstance(figures, dict)
        assert (figures["errors"], figures["replies"]) == (0, 4)
    assert isinstance(result["ratio"], float)


def test_a_small_storm_opens_one_incident_per_group(capsys: pytest.CaptureFixture[str]) -> None:
    result = _run(capsys, "storm", "--groups", "5", "--concurrency", "2", "--card-wait", "30")

    figures = result["circlebot"]
    assert isinstance(figures, dict)
    assert figures["statuses"] == {"200": 5}
    assert figures["all_opened_after_last_answer_s"] is not None
    assert figures["cards_within_wait"] == 5


def test_start_up_is_timed_to_ready_on_a_migrated_database(capsys: pytest.CaptureFixture[str]) -> None:
    result = _run(capsys, "startup")

    figures = result["circlebot"]
    assert isinstance(figures, dict)
    assert figures["ready_s"] > 0 and figures["cpu_s_to_ready"] > 0 and figures["rss_idle_mb"] > 0


def test_two_replicas_need_postgresql(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        workloads.main(["declare", "--replicas", "2"])
    assert exit_info.value.code == 2
    assert "--replicas 2 needs --database-url postgresql://" in capsys.readouterr().err


def test_the_cost_probe_counts_statements_for_every_workload(capsys: pytest.CaptureFixture[str]) -> None:
    assert cost.main(["--turns", "2"]) == 0
    result = json.loads(capsys.readouterr().out)
    for workload in ("channel_help", "declare", "alert_group"):
        assert result[workload]["statements_per_turn"] > 0
        assert result[workload]["by_verb"]["INSERT"] > 0
