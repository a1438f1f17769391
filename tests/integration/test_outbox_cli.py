"""`circlebot outbox list` and `circlebot outbox retry`: what the Team Leader runs when a write is dead."""

from __future__ import annotations

import pytest

import app
from domain.clock import FixedClock
from storage import outbox
from storage.database import Database
from storage.unit_of_work import UnitOfWorkFactory


@pytest.fixture
async def dead_row(database_url: str, clock: FixedClock) -> int:
    database = Database(database_url)
    try:
        async with UnitOfWorkFactory(database, clock)() as uow:
            uow.outbox.add("jira.create_issue", {"incident": "INC-1"}, idempotency_key="jira.create_issue:INC-1")
            await uow.commit()
        async with database.session() as session:
            [row] = await outbox.list_rows(session)
            await outbox.mark_failed(
                session, row.id or 0, error="permanent: project DEMO does not exist", retry_at=None
            )
            await session.commit()
        return row.id or 0
    finally:
        await database.dispose()


def run_cli(monkeypatch: pytest.MonkeyPatch, database_url: str, *argv: str) -> int:
    monkeypatch.setenv("DATABASE_URL", database_url)
    return app.main(list(argv))


def test_list_shows_dead_rows_with_their_error_and_retry_revives_them(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], database_url: str, dead_row: int
) -> None:
    assert run_cli(monkeypatch, database_url, "outbox", "list", "--status", "dead") == 0
    listing = capsys.readouterr().out
    assert f"{dead_row:>6}  dead" in listing
    assert "jira.create_issue" in listing
    assert "last error: permanent: project DEMO does not exist" in listing

    assert run_cli(monkeypatch, database_url, "outbox", "retry", str(dead_row)) == 0
    assert "will be retried" in capsys.readouterr().out
    assert run_cli(monkeypatch, database_url, "outbox", "list", "--status", "dead") == 0
    assert capsys.readouterr().out.strip() == "no dead rows"


def test_retrying_a_row_that_is_not_dead_says_how_to_find_dead_ones(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    assert run_cli(monkeypatch, database_url, "outbox", "retry", "4242") == 1
    assert "`circlebot outbox list --status dead` lists them" in capsys.readouterr().err
