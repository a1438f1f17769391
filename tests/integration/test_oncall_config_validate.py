"""`circlebot config validate` warns about rota gaps and people the bot cannot reach, without failing."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import app
from adapters.circles_file import parse_circles
from adapters.oncall_checks import reachability_warnings, rota_gap_warnings
from storage import conversations, migrate
from storage.conversations import PERSONAL, ConversationRecord
from storage.database import Database
from tests.integration.test_oncall_service import GAPPY


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """app.main installs a root handler on the captured stderr; later tests must not write to it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_validate_warns_about_a_rota_gap_but_still_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'none-yet.db'}")
    circles = tmp_path / "circles.yaml"
    circles.write_text(GAPPY.replace("start: 2026-12-07", "start: 2099-01-05"))

    assert app.main(["config", "validate", str(circles)]) == 0

    out, err = capsys.readouterr()
    assert out == f"{circles}: ok, 1 circle\n"
    [gap, note] = err.splitlines()
    assert gap.startswith(f"warning: {circles}: circle lean: nobody is primary on call from ")
    assert note == "note: no database yet, so I cannot tell who has said hi to the bot (DATABASE_URL)"
    assert not (tmp_path / "none-yet.db").exists()


def test_gaps_in_the_next_four_weeks_are_listed_in_the_circles_time_zone() -> None:
    config = parse_circles(GAPPY)

    assert rota_gap_warnings(config, datetime(2026, 11, 27, 3, 0, tzinfo=UTC)) == [
        "circle lean: nobody is primary on call from Fri 27 Nov 04:00 CET to Mon 7 Dec 09:00 CET"
    ]


async def test_members_without_a_personal_chat_are_named(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    migrate.upgrade(url)
    database = Database(url)
    async with database.session() as session:
        record = ConversationRecord("a:ada", PERSONAL, "https://smba.example/", {"serviceUrl": "https://smba.example/"},
                                    user_teams_id="u-ada")  # fmt: skip
        await conversations.save_reference(session, record, now=datetime(2026, 11, 27, tzinfo=UTC))
        await session.commit()
    await database.dispose()

    assert await reachability_warnings(parse_circles(GAPPY), url) == [
        "circle lean: the bot cannot message Bob Oncall privately yet; ask them to say hi to it once in a 1:1 chat"
    ]
