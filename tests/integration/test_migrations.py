"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text

from storage import migrate
from storage.conversations import ConversationReferenceRow
from storage.database import sync_url
from storage.tables import metadata
from tests.conftest import postgres_url, reset_postgres


def test_migrations_match_the_models(database_url: str) -> None:
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), metadata)
    finally:
        engine.dispose()
    assert differences == [], "models changed without a migration: add one (see README, Tests and CI)"


def test_the_schema_is_current_after_upgrade(database_url: str) -> None:
    assert migrate.is_current(database_url)


def test_the_heads_read_from_the_files_are_alembics_heads() -> None:
    # Start-up and /readyz read the heads without importing Alembic; they must agree with it.
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_heads()
    assert migrate.head_revisions() == set(heads)


def test_start_up_migrates_a_new_database_and_leaves_a_current_one_alone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert migrate.current_revisions(url) == set()
    assert migrate.upgrade_if_behind(url) is True
    assert migrate.is_current(url)
    assert migrate.upgrade_if_behind(url) is False


def test_two_replicas_starting_together_on_an_empty_database_both_come_up() -> None:
    """Finding 8: two replicas ran `CREATE TABLE alembic_version` at once and one crashed.

    Migrations take a PostgreSQL advisory lock, so the second waits for the first and then finds
    the schema current. Two processes, started together, several times over.
    """
    import multiprocessing

    from tests.conftest import postgres_url, reset_postgres

    url = postgres_url()
    context = multiprocessing.get_context("spawn")
    for _trial in range(3):
        reset_postgres(url)
        start = context.Event()
        replicas = [context.Process(target=_replica_start, args=(url, start)) for _ in range(2)]
        for replica in replicas:
            replica.start()
        start.set()
        for replica in replicas:
            replica.join(timeout=120)
        assert [replica.exitcode for replica in replicas] == [0, 0]
        assert migrate.is_current(url)


def _replica_start(url: str, start: object) -> None:
    start.wait()  # type: ignore[attr-defined]
    migrate.upgrade(url)


BOTH_DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _database_at(revision: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database of the fixture's kind, migrated up to `revision` only."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = postgres_url()
        reset_postgres(url)
    migrate.upgrade(url, revision)
    return url


@pytest.fixture(params=BOTH_DATABASES)
def database_before_channels1(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return _database_at("standups1", request, tmp_path)


@pytest.fixture(params=BOTH_DATABASES)
def database_before_outbox2(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return _database_at("channels1", request, tmp_path)


def _reference(conversation_id: str, **extra: object) -> dict[str, object]:
    return {
        "activityId": "1700000000000",
        "user": {"id": "29:poster", "name": "Poster"},
        "bot": {"id": "28:circlebot", "name": "circlebot"},
        "conversation": {"id": conversation_id, "conversationType": "channel", "tenantId": "tenant", "isGroup": True},
        "channelId": "msteams",
        "locale": "it-IT",
        "serviceUrl": "https://smba.trafficmanager.net/emea/",
        **extra,
    }


def test_channels1_keeps_one_address_per_channel_and_drops_the_rows_of_its_posts(
    database_before_channels1: str,
) -> None:
    url = database_before_channels1
    at = [datetime(2026, 11, day, 9, 0, tzinfo=UTC) for day in (1, 2, 3)]
    rows = [
        # A channel with its own row (its installation) and two posts' rows.
        ("19:ops@thread.tacv2", "19:ops@thread.tacv2", at[0]),
        ("19:ops@thread.tacv2;messageid=11", "19:ops@thread.tacv2", at[1]),
        ("19:ops@thread.tacv2;messageid=12", "19:ops@thread.tacv2", at[2]),
        # A channel only known from its posts: the newest gives the channel's address.
        ("19:db@thread.tacv2;messageid=21", "19:db@thread.tacv2", at[0]),
        ("19:db@thread.tacv2;messageid=22", "19:db@thread.tacv2", at[2]),
    ]
    table = ConversationReferenceRow.__table__  # the same columns before and after channels1
    engine = create_engine(sync_url(url))
    try:
        with engine.begin() as connection:
            for conversation_id, channel_id, updated in rows:
                connection.execute(
                    table.insert().values(
                        conversation_id=conversation_id,
                        conversation_type="channel",
                        channel_id=channel_id,
                        team_id="19:team",
                        tenant_id="tenant",
                        service_url=f"https://smba.trafficmanager.net/emea/{conversation_id[-2:]}/",
                        user_teams_id="29:poster",
                        reference=_reference(conversation_id),
                        created_at=updated,
                        updated_at=updated,
                    )
                )
            connection.execute(
                table.insert().values(
                    conversation_id="a:chat",
                    conversation_type="personal",
                    service_url="https://x/",
                    user_teams_id="29:ada",
                    reference={},
                    created_at=at[0],
                    updated_at=at[0],
                )
            )

        migrate.upgrade(url)

        with engine.connect() as connection:
            stored = connection.execute(
                text(
                    "SELECT conversation_id, channel_id, service_url, user_teams_id, reference"
                    " FROM conversation_reference ORDER BY conversation_id"
                )
            ).all()
    finally:
        engine.dispose()

    assert [row[0] for row in stored] == ["19:db@thread.tacv2", "19:ops@thread.tacv2", "a:chat"]
    db = stored[0]
    reference = db[4] if isinstance(db[4], dict) else json.loads(db[4])
    assert (db[1], db[2], db[3]) == ("19:db@thread.tacv2", "https://smba.trafficmanager.net/emea/22/", None)
    assert reference["conversation"]["id"] == "19:db@thread.tacv2"
    assert not {"activityId", "user", "locale"} & set(reference)
    assert reference["bot"] == {"id": "28:circlebot", "name": "circlebot"}
    assert stored[1][2] == "https://smba.trafficmanager.net/emea/v2/"  # the channel's own row, untouched


def test_outbox2_gives_the_messages_waiting_for_an_installation_what_they_wait_for(
    database_before_outbox2: str,
) -> None:
    url = database_before_outbox2
    at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    waiting = (  # the wording before outbox2
        "circlebot is not installed in the team of channel 19:ops@thread.tacv2 yet: the message is posted once it is"
    )
    rows = [  # (idempotency key, status, last error)
        ("waits", "pending", waiting),
        ("delivered", "done", None),
        ("dead-with-the-text", "dead", waiting),
        ("jira-busy", "pending", "Jira answered 503"),
    ]
    engine = create_engine(sync_url(url))
    try:
        with engine.begin() as connection:
            for key, status, last_error in rows:
                connection.execute(
                    text(
                        "INSERT INTO outbox (kind, idempotency_key, payload, status, attempts, next_attempt_at,"
                        " last_error, created_at) VALUES ('teams.send', :key, '{}', :status, 0, :at, :error, :at)"
                    ),
                    {"key": key, "status": status, "at": at, "error": last_error},
                )

        migrate.upgrade(url)

        with engine.connect() as connection:
            stored = dict(connection.execute(text("SELECT idempotency_key, waiting_for FROM outbox")).all())
    finally:
        engine.dispose()

    assert stored == {
        "waits": "install:19:ops@thread.tacv2",
        "delivered": None,
        "dead-with-the-text": None,
        "jira-busy": None,
    }
