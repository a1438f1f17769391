from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest

from adapters.settings import SettingsError, load_settings


def test_defaults_run_locally_on_sqlite_in_anonymous_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("MicrosoftAppId", raising=False)
    settings = load_settings(_env_file=None)
    assert settings.database_url == "sqlite:///var/circlebot.db"
    assert settings.anonymous


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("LOG_LEVEL", "loud", "LOG_LEVEL: Input should be 'DEBUG', 'INFO', 'WARNING' or 'ERROR'"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL: expected a sqlite:/// or postgresql:// URL"),
        ("MicrosoftAppType", "Single", "MicrosoftAppType: Input should be 'MultiTenant'"),
        ("JIRA_URL", "jira.local", "JIRA_URL: expected an http:// or https:// URL"),
        ("OUTBOX_MAX_ATTEMPTS", "0", "OUTBOX_MAX_ATTEMPTS: Input should be greater than or equal to 1"),
        ("CIRCLEBOT_SHIFT_CHANGE_GRACE", "soon", "CIRCLEBOT_SHIFT_CHANGE_GRACE: 'soon' is not a duration; write a"),
        ("CIRCLEBOT_CATCH_UP_GRACE", "9d", "CIRCLEBOT_CATCH_UP_GRACE: expected a duration from 0s to 7d"),
    ],
)
def test_a_bad_value_names_the_variable_and_what_is_expected(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as error:
        load_settings(_env_file=None)
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_catch_up_graces_are_written_like_the_durations_in_circles_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIRCLEBOT_SHIFT_CHANGE_GRACE", "6h")
    monkeypatch.setenv("CIRCLEBOT_CATCH_UP_GRACE", "1h30m")
    monkeypatch.setenv("CIRCLEBOT_PLAN_LOOKBACK", "3600")  # plain seconds work too
    settings = load_settings(_env_file=None)
    assert (settings.shift_change_grace, settings.catch_up_grace, settings.plan_lookback) == (
        timedelta(hours=6), timedelta(minutes=90), timedelta(hours=1),
    )  # fmt: skip


def test_the_cli_stops_with_one_line_and_no_traceback(tmp_path: object) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import app, sys; sys.exit(app.main(['db', 'upgrade']))"],
        env={"LOG_LEVEL": "loud", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "circlebot: configuration error: LOG_LEVEL: Input should be 'DEBUG', 'INFO', 'WARNING' or 'ERROR' (got 'LOUD')"
    ]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MicrosoftAppId": "00000000-0000-0000-0000-000000000001"}, "MicrosoftAppPassword: required when"),
        ({"MicrosoftAppType": "SingleTenant"}, "MicrosoftAppId: required when MicrosoftAppType is SingleTenant"),
        (
            {"MicrosoftAppId": "00000000-0000-0000-0000-000000000001", "MicrosoftAppType": "SingleTenant"},
            "MicrosoftAppTenantId: required when MicrosoftAppType is SingleTenant",
        ),
    ],
)
def test_an_incomplete_bot_identity_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for variable in ("MicrosoftAppId", "MicrosoftAppPassword", "MicrosoftAppType", "MicrosoftAppTenantId"):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in env.items():
        monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=message):
        load_settings(_env_file=None)


def test_allowed_service_urls_are_http_prefixes_and_a_bad_one_is_named() -> None:
    settings = load_settings(ALLOWED_SERVICE_URLS="https://a.example/teams/, http://127.0.0.1:8080", _env_file=None)
    assert settings.service_url_allowlist == ("https://a.example/teams/", "http://127.0.0.1:8080")

    with pytest.raises(SettingsError, match=r"ALLOWED_SERVICE_URLS: .*'ftp://files.example' is not one"):
        load_settings(ALLOWED_SERVICE_URLS="https://a.example, ftp://files.example", _env_file=None)
