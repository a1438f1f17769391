"""circlebot's own alerting rules (deploy/prometheus/) pass their promtool unit tests.

promtool comes with Debian's `prometheus` package (`make test` installs it). Without it the test
skips locally; under CI=true that is a failure, so the rules are always tested in CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but promtool is missing: install Debian's `prometheus` package (make system-packages)")
        pytest.skip("promtool not installed (Debian package `prometheus`; `make system-packages` installs it)")
    return found


def test_the_rules_are_valid() -> None:
    result = subprocess.run(
        [promtool(), "check", "rules", "circlebot-rules.yml"], cwd=RULES, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_rules_fire_when_and_only_when_their_unit_tests_say() -> None:
    result = subprocess.run(
        [promtool(), "test", "rules", "circlebot-rules.test.yml"], cwd=RULES, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
