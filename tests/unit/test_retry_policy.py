from __future__ import annotations

import random
from datetime import timedelta

import pytest

from domain.retry_policy import RetryPolicy

POLICY = RetryPolicy(max_attempts=5, base=timedelta(seconds=2), cap=timedelta(minutes=1))


@pytest.mark.parametrize(("attempt", "low", "high"), [(1, 1, 2), (2, 2, 4), (3, 4, 8), (4, 8, 16), (10, 30, 60)])
def test_backoff_doubles_with_jitter_and_is_capped(attempt: int, low: float, high: float) -> None:
    delays = [POLICY.delay(attempt, rng=random.Random(seed)).total_seconds() for seed in range(50)]
    assert all(low <= d <= high for d in delays)
    assert len(set(delays)) > 1  # jitter spreads a thundering herd


def test_retry_after_from_the_server_wins_when_longer() -> None:
    assert POLICY.delay(1, retry_after=timedelta(seconds=30)) == timedelta(seconds=30)
    assert POLICY.delay(5, retry_after=timedelta(seconds=1)) >= timedelta(seconds=8)


def test_gives_up_after_the_configured_number_of_attempts() -> None:
    assert not POLICY.gives_up_after(4)
    assert POLICY.gives_up_after(5)


def test_attempts_count_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        POLICY.delay(0)
