"""`circlebot serve` says in one human line where it listens and with what (issue #12, point 9)."""

from __future__ import annotations

from pathlib import Path

from adapters.settings import load_settings
from app import startup_line


def test_the_startup_line_says_url_database_config_and_which_integrations_are_on() -> None:
    settings = load_settings(DATABASE_URL="sqlite:///var/circlebot.db", CIRCLEBOT_CONFIG="circles.yaml", _env_file=None)
    assert startup_line(settings, "127.0.0.1", 3978) == (
        "circlebot listening on http://127.0.0.1:3978/api/messages · database sqlite:///var/circlebot.db"
        " · config circles.yaml · Jira off · GitLab off · anonymous (no MicrosoftAppId): playground and tests only"
    )


def test_the_startup_line_never_shows_the_database_password(tmp_path: Path) -> None:
    settings = load_settings(
        DATABASE_URL="postgresql://circlebot:s3cret-pw@db:5432/circlebot",
        JIRA_URL="https://jira.example",
        JIRA_USER="bot",
        JIRA_TOKEN="t0ken",
        _env_file=None,
    )
    line = startup_line(settings, "0.0.0.0", 8080)
    assert "s3cret-pw" not in line
    assert "database postgresql://circlebot:***@db:5432/circlebot" in line
    assert "config none (circles from the database) · Jira on · GitLab off" in line
