"""benchmarks/jira_faults.py replays issue #11's Jira faults: one issue per incident, and it says so."""

from __future__ import annotations

import json

import pytest

from benchmarks import jira_faults


def test_the_replay_finds_exactly_one_issue_per_incident(capsys: pytest.CaptureFixture[str]) -> None:
    assert jira_faults.main(["--incidents", "4", "--rounds", "20"]) == 0

    result = json.loads(capsys.readouterr().out)
    assert result["issues_per_incident"] == {"INC-1": 1, "INC-2": 1, "INC-3": 1, "INC-4": 1}
    assert result["exactly_one"] is True
    assert (result["creates_sent"], result["duplicates_closed"]) == (4, 0)  # never made twice at all


def test_without_the_consistency_window_the_replay_shows_the_duplicates(capsys: pytest.CaptureFixture[str]) -> None:
    assert jira_faults.main(["--incidents", "4", "--rounds", "20", "--window", "0"]) == 1

    result = json.loads(capsys.readouterr().out)
    assert result["exactly_one"] is False
    assert max(result["issues_per_incident"].values()) >= 2
