"""The stand-up benchmark still runs end to end: two small circles, one JSON line (no timings asserted)."""

from __future__ import annotations

import asyncio
import json

import pytest

from benchmarks import standups


def test_a_small_morning_delivers_every_prompt_once_and_ends_with_final_complete_summaries(
    capsys: pytest.CaptureFixture[str],
) -> None:
    exit_code = asyncio.run(standups.main(["--circles", "2", "--members", "3", "--answers-seconds", "1"]))

    [line] = capsys.readouterr().out.splitlines()
    result = json.loads(line)
    assert result["prompts"]["delivered_exactly_once"] == 6 and result["prompts"]["requests"] == 8
    assert result["tenant_limit"]["refused_429"] == 0
    assert result["answers"] == {**result["answers"], "count": 6, "http_200": 6}
    assert result["summary_cards"]["final_and_complete"] == 2
    assert exit_code == (0 if result["ok"] else 1)
