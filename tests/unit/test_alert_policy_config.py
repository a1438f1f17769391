"""The `alerts:` block of circles.yaml: severities, windows, and a token written only as its digest."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from adapters.circles_file import CirclesFileError, parse_circles
from domain.circle import Severity
from storage.circle_config import circle_from_spec
from storage.circle_spec import CircleSpec
from tests.support.alerts import EXAMPLE
from tests.support.circles import as_stored


def with_alerts_block(block: str) -> str:
    text = EXAMPLE.read_text()
    start = text.index("    alerts:\n")
    return text[:start] + block


def test_a_circle_maps_its_own_severities_and_windows_and_keeps_them_in_storage() -> None:
    digest = hashlib.sha256(b"t0ken").hexdigest()
    config = parse_circles(
        with_alerts_block(
            "    alerts:\n"
            "      severities: { sev1: P1, sev2: p2 }\n"
            "      default_severity: P4\n"
            "      reattach_window: 2h\n"
            "      auto_resolve: true\n"
            f"      token_sha256: {digest.upper()}\n"
        )
    )
    policy = config.circles[0].alerts

    assert policy.severity_for({"severity": "sev2"}) is Severity.P2
    assert policy.severity_for({"severity": "critical"}) is Severity.P4  # a map of its own replaces the default
    assert (policy.reattach_window, policy.auto_resolve, policy.token_sha256) == (timedelta(hours=2), True, digest)
    assert as_stored(config.specs[0]).alerts == policy


def test_a_plain_token_in_the_file_is_refused_with_how_to_write_its_digest() -> None:
    with pytest.raises(CirclesFileError) as refused:
        parse_circles(with_alerts_block("    alerts:\n      token_sha256: my-secret\n"))

    assert "alerts.token_sha256: expected the SHA-256 of the token" in str(refused.value)
    assert "sha256sum" in str(refused.value)


def test_a_stored_circle_from_before_alert_policies_gets_the_defaults() -> None:
    config = parse_circles(EXAMPLE.read_text())
    stored = config.specs[0].model_dump(mode="json")
    del stored["alerts"]

    assert (
        circle_from_spec(CircleSpec.model_validate(stored)).alerts.severity_for({"severity": "critical"}) is Severity.P1
    )
