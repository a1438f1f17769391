"""storage.bot_state.DatabaseStorage keeps botbuilder's Storage contract on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from botbuilder.core import StoreItem

from storage import migrate
from storage.bot_state import DatabaseStorage, EtagConflict
from storage.database import Database

KEY = "msteams/conversations/a:1personal-chat-with-ada/"


@pytest.fixture
async def storage(database_url: str) -> AsyncIterator[DatabaseStorage]:
    migrate.upgrade(database_url)
    database = Database(database_url)
    yield DatabaseStorage(database)
    await database.dispose()


async def test_what_is_written_is_read_back_with_an_etag(storage: DatabaseStorage) -> None:
    await storage.write({KEY: {"step": 2, "answers": ["Ada"]}})

    item = (await storage.read([KEY, "missing"]))[KEY]

    assert item["step"] == 2 and item["answers"] == ["Ada"]
    assert item["e_tag"]
    assert "missing" not in await storage.read([KEY, "missing"])


async def test_objects_keep_their_class(storage: DatabaseStorage) -> None:
    await storage.write({KEY: StoreItem(name="Ada", shifts=3)})

    item = (await storage.read([KEY]))[KEY]

    assert isinstance(item, StoreItem)
    assert (item.name, item.shifts) == ("Ada", 3)


async def test_writing_with_a_stale_etag_raises(storage: DatabaseStorage) -> None:
    await storage.write({KEY: {"step": 1}})
    replica_a = (await storage.read([KEY]))[KEY]
    replica_b = (await storage.read([KEY]))[KEY]

    replica_a["step"] = 2
    await storage.write({KEY: replica_a})
    replica_b["step"] = 3
    with pytest.raises(EtagConflict):
        await storage.write({KEY: replica_b})

    assert (await storage.read([KEY]))[KEY]["step"] == 2
    assert isinstance(EtagConflict("x"), KeyError)  # what MemoryStorage raises, for callers that catch it


async def test_a_star_or_missing_etag_means_last_write_wins(storage: DatabaseStorage) -> None:
    await storage.write({KEY: {"step": 1}})
    await storage.write({KEY: {"step": 2, "e_tag": "*"}})
    assert (await storage.read([KEY]))[KEY]["step"] == 2

    await storage.write({KEY: {"step": 3}})
    assert (await storage.read([KEY]))[KEY]["step"] == 3


async def test_saving_twice_in_one_turn_does_not_conflict_with_itself(storage: DatabaseStorage) -> None:
    await storage.write({KEY: {"step": 1}})
    state = (await storage.read([KEY]))[KEY]

    state["step"] = 2
    await storage.write({KEY: state})
    state["step"] = 3
    await storage.write({KEY: state})

    assert (await storage.read([KEY]))[KEY]["step"] == 3


async def test_an_etag_on_a_new_key_is_no_conflict(storage: DatabaseStorage) -> None:
    await storage.write({KEY: {"step": 1, "e_tag": "from-elsewhere"}})

    assert (await storage.read([KEY]))[KEY]["step"] == 1


async def test_an_empty_etag_is_refused(storage: DatabaseStorage) -> None:
    with pytest.raises(ValueError, match="empty e_tag"):
        await storage.write({KEY: {"step": 1, "e_tag": ""}})


async def test_delete_forgets_keys(storage: DatabaseStorage) -> None:
    await storage.write({KEY: {"step": 1}, "other": {"x": 1}})

    await storage.delete([KEY, "never-written"])

    assert list(await storage.read([KEY, "other"])) == ["other"]
