"""`circlebot report --circle X --month 2026-11 [--csv]`: what a Team Leader sees on the terminal."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import app
from adapters.circles_file import load_circles
from domain.circle import Severity
from domain.clock import FixedClock
from domain.incidents.model import Incident, Source
from storage import migrate
from storage.database import Database
from storage.unit_of_work import UnitOfWorkFactory
from tests.conftest import EXAMPLE_CIRCLES
from tests.integration.test_circles_cli import restore_logging  # noqa: F401  (autouse fixture)

DECLARED = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)  # 03:00 in Rome


async def seed(url: str) -> None:
    """November: a P1 acknowledged in 12 minutes and resolved in 5 hours; an open P3 named like a formula."""
    database = Database(url)
    uow_factory = UnitOfWorkFactory(database, FixedClock(DECLARED))
    async with uow_factory() as uow:
        await uow.circles.apply(load_circles(EXAMPLE_CIRCLES), DECLARED)
        p1 = Incident.declare(number=0, circle="demo", title="Checkout returns 500", severity=Severity.P1,
                              declared_by="Giulia Rossi", at=DECLARED, commander="marco")  # fmt: skip
        p1.acknowledge("marco", DECLARED + timedelta(minutes=12))
        p1.resolve("marco", DECLARED + timedelta(hours=5), summary="rolled back")
        await uow.incidents.add(p1)
        p3 = Incident.declare(number=0, circle="demo", title="=HYPERLINK(evil)", severity=Severity.P3,
                              declared_by="monitoring", at=DECLARED + timedelta(days=5), commander="luca",
                              source=Source.ALERT, service="search")  # fmt: skip
        await uow.incidents.add(p3)
        await uow.commit()
    await database.dispose()


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'report.db'}"
    migrate.upgrade(url)
    asyncio.run(seed(url))
    monkeypatch.setenv("DATABASE_URL", url)
    yield url


def test_the_month_report_prints_the_figures_against_the_month_before(
    seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert app.main(["report", "--circle", "demo", "--month", "2026-11"]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out[0] == "demo · November 2026 · times in Europe/Rome"
    assert out[1] == "compared with October 2026"
    assert "Incidents             2 (1 manual, 1 from alerts) (before: 0)" in out
    assert "MTTA                  12m" in out
    assert "  INC-1 P1 · resolve 1h late — Checkout returns 500" in out
    assert any(line.startswith("  Marco Bianchi       pages 0 / 0 / 1") for line in out)


def test_csv_lists_the_months_incidents_in_the_circles_zone(seeded: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert app.main(["report", "--circle", "demo", "--month", "2026-11", "--csv"]) == 0

    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [row["incident"] for row in rows] == ["INC-1", "INC-2"]
    first = rows[0]
    assert first["declared (Europe/Rome)"] == "2026-11-10T03:00:00+01:00"
    assert (first["minutes to acknowledge"], first["acknowledge SLA"], first["resolve SLA"]) == (
        "12.0",
        "breached",
        "breached",
    )
    assert rows[1]["title"] == "'=HYPERLINK(evil)"  # never a formula in a spreadsheet


def test_an_unknown_circle_or_month_is_a_clear_error(seeded: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert app.main(["report", "--circle", "shop", "--month", "2026-11"]) == 1
    assert capsys.readouterr().err == "circlebot report: no circle called 'shop'; circles: demo\n"
    assert app.main(["report", "--circle", "demo", "--month", "November"]) == 1
    assert capsys.readouterr().err == (
        "circlebot report: `November` is not a period: use `week`, `month` or a month like `2026-11`\n"
    )
