"""`circlebot config validate|apply FILE`: what an operator sees on the terminal."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

import app
from adapters.circles_cli import CirclesConfigInvalid, apply_at_startup
from adapters.circles_file import load_circles
from domain.oncall.model import shift_changes
from storage.database import sync_url
from storage.unit_of_work import UnitOfWorkFactory

EXAMPLE = Path(__file__).resolve().parents[2] / "circles.example.yaml"


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """app.main installs a root handler on the captured stderr; later tests must not write to it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def empty_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """DATABASE_URL for an empty SQLite file: `config apply` migrates it first."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("CIRCLEBOT_CONFIG", raising=False)
    return url


def test_validate_says_ok_and_counts_the_circles(capsys: pytest.CaptureFixture[str]) -> None:
    assert app.main(["config", "validate", str(EXAMPLE)]) == 0

    assert capsys.readouterr().out == f"{EXAMPLE}: ok, 1 circle\n"


def test_validate_lists_every_error_and_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "circles.yaml"
    broken.write_text(EXAMPLE.read_text().replace("time_zone: Europe/Rome", "time_zone: Europe/Roma"))

    assert app.main(["config", "validate", str(broken)]) == 1

    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 2  # defaults.time_zone and circles[0].time_zone
    assert all(line.startswith(f"{broken}:") and "'Europe/Roma' is not an IANA time zone" in line for line in errors)


def test_apply_prints_the_diff_then_no_changes(empty_database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert app.main(["config", "apply", str(EXAMPLE), "--dry-run"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "+ circle demo",
        "~ default_circle: none -> demo",
        "dry run: nothing was stored",
    ]

    assert app.main(["config", "apply", str(EXAMPLE)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["+ circle demo", "~ default_circle: none -> demo"]
    assert lines[2].startswith("schedules planned for 1 circle(s): ")

    assert app.main(["config", "apply", str(EXAMPLE)]) == 0
    assert capsys.readouterr().out.splitlines() == ["no changes", "schedules planned for 1 circle(s): 0 new run(s)"]


def test_apply_arms_the_next_shift_change_at_once(empty_database: str) -> None:
    assert app.main(["config", "apply", str(EXAMPLE)]) == 0

    now = datetime.now(UTC)
    [circle] = load_circles(EXAMPLE).circles
    upcoming = shift_changes(circle.rota, now, now + timedelta(days=8))[0]
    engine = create_engine(sync_url(empty_database))
    try:
        with engine.connect() as connection:
            query = text("SELECT due_at FROM timer WHERE kind = 'oncall.shift_change' AND status = 'pending'")
            due = {datetime.fromisoformat(row[0]).astimezone(UTC) for row in connection.execute(query)}
    finally:
        engine.dispose()
    assert upcoming.at in due


def test_apply_refuses_an_invalid_file(empty_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "circles.yaml"
    broken.write_text("circles:\n  - name: x\n    colour: red\n")

    assert app.main(["config", "apply", str(broken)]) == 1

    assert f"{broken}:3: circles[0].colour: unknown field" in capsys.readouterr().err


async def test_start_up_applies_circlebot_config_and_logs_the_changes(
    uow_factory: UnitOfWorkFactory, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="circlebot.circles"):
        await apply_at_startup(uow_factory, EXAMPLE)

    assert [r.getMessage() for r in caplog.records if r.name == "circlebot.circles"] == [
        "circles: + circle demo",
        "circles: ~ default_circle: none -> demo",
    ]
    async with uow_factory() as uow:
        assert (await uow.circles.by_channel("team-id")).name == "demo"  # type: ignore[union-attr]


async def test_start_up_fails_with_every_error_logged_when_circlebot_config_is_invalid(
    uow_factory: UnitOfWorkFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = tmp_path / "circles.yaml"
    text = EXAMPLE.read_text().replace("after: 5m", "after: soon")
    broken.write_text(text)
    line = next(n for n, content in enumerate(text.splitlines(), start=1) if "after: soon" in content)

    with pytest.raises(CirclesConfigInvalid, match=r"CIRCLEBOT_CONFIG=.*is invalid \(1 error\(s\) logged above\)"):
        await apply_at_startup(uow_factory, broken)

    logged = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert logged == [
        f"{broken}:{line}: circles[0].escalation[1].after: 'soon' is not a duration; "
        "write a number and a unit, like 30s, 5m, 4h or 3d"
    ]
