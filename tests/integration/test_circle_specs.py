"""Circles are stored as their applied spec and come back through the file loader's own conversion;
databases from before (the hand-written codec's rows) are converted by migration config1."""

from __future__ import annotations

import json
from dataclasses import MISSING, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from adapters.circles_file import load_circles
from domain.circle import ActivityPolicy, AlertPolicy, Circle, HandoverPolicy
from domain.clock import FixedClock
from storage import migrate
from storage.circle_spec import CircleSpec, DefaultsSpec
from storage.database import Database, sync_url
from storage.unit_of_work import UnitOfWorkFactory
from tests.conftest import EXAMPLE_CIRCLES, START

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "circles"
BEFORE = FIXTURES / "before-config1.yaml"  # the file the old rows were made from (frozen)
EVERY_SETTING = FIXTURES / "every-setting.yaml"  # every setting away from its default (grows with settings)
OLD_ROWS: list[dict[str, Any]] = json.loads((FIXTURES / "before-config1-rows.json").read_text())


async def stored_circles(url: str) -> list[Circle]:
    database = Database(url)
    try:
        async with UnitOfWorkFactory(database, FixedClock(START))() as uow:
            return await uow.circles.active()
    finally:
        await database.dispose()


def rows(url: str) -> dict[str, dict[str, Any]]:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            found = connection.execute(text("SELECT name, spec FROM circle ORDER BY position")).all()
    finally:
        engine.dispose()
    return {name: spec if isinstance(spec, dict) else json.loads(spec) for name, spec in found}


def seed_old_rows(url: str, old_rows: list[dict[str, Any]]) -> None:
    """The circle table as the release before config1 left it."""
    migrate.downgrade(url, "activities1")
    engine = create_engine(sync_url(url))
    try:
        with engine.begin() as connection:
            for position, row in enumerate(old_rows):
                connection.execute(
                    text(
                        "INSERT INTO circle (name, team_id, channel_id, position, spec, spec_hash, active, updated_at)"
                        " VALUES (:name, :team_id, :channel_id, :position, :spec, 'old', :active, :updated_at)"
                    ),
                    {
                        "name": row["name"],
                        "team_id": row["team_id"],
                        "channel_id": row["channel_id"],
                        "position": position,
                        "spec": json.dumps(row),
                        "active": True,
                        "updated_at": datetime(2026, 11, 1, tzinfo=UTC),
                    },
                )
    finally:
        engine.dispose()


async def test_every_setting_of_the_example_comes_back_from_the_database_unchanged(
    uow_factory: UnitOfWorkFactory,
) -> None:
    for path in (EXAMPLE_CIRCLES, EVERY_SETTING):
        config = load_circles(path)
        async with uow_factory() as uow:
            await uow.circles.apply(config, uow_factory.clock.now())
            await uow.commit()
        async with uow_factory.reader() as uow:
            assert [await uow.circles.get(c.name) for c in config.circles] == list(config.circles)


def test_the_stored_json_validates_back_to_the_same_spec_and_reads_like_the_file() -> None:
    for spec in load_circles(EVERY_SETTING).specs:
        stored = json.loads(json.dumps(spec.model_dump(mode="json")))
        assert CircleSpec.model_validate(stored) == spec
    demo = load_circles(EVERY_SETTING).specs[0].model_dump(mode="json")
    assert demo["sla"]["P1"] == {"acknowledge": "5m", "resolve": "4h", "stakeholder_updates": "30m"}
    assert demo["rota"]["rotations"][0]["handover"] == {"day": "mon", "time": "09:00"}
    assert demo["working_days"] == ["mon", "tue", "fri"]


def test_a_circle_inherits_only_settings_that_defaults_can_hold() -> None:
    # applied_spec copies defaults field by field, by name: each must mean the same in a circle.
    assert set(DefaultsSpec.model_fields) <= set(CircleSpec.model_fields)


def test_the_every_setting_fixture_leaves_no_circle_setting_at_its_default() -> None:
    # So the round trips above cover every field of Circle, not just the defaults.
    (demo, _quiet) = load_circles(EVERY_SETTING).circles
    for field in fields(Circle):
        if field.default is not MISSING:
            assert getattr(demo, field.name) != field.default, f"every-setting.yaml leaves {field.name} at its default"
        if field.default_factory is not MISSING:
            assert getattr(demo, field.name) != field.default_factory(), f"{field.name} is left at its default"


async def test_config1_converts_the_codecs_rows_into_specs_on_both_databases(database_url: str) -> None:
    legacy = {key: value for key, value in OLD_ROWS[1].items() if key not in ("alerts", "handover", "activities")}
    legacy = {**legacy, "name": "legacy", "channel_id": "legacy-channel"}
    legacy["jira"] = {k: v for k, v in legacy["jira"].items() if k not in ("reopen_transition", "reopened_status")}
    legacy["postmortem"] = {k: v for k, v in legacy["postmortem"].items() if k != "actions_tracker"}
    del legacy["gitlab_internal_project"]
    seed_old_rows(database_url, [*OLD_ROWS, legacy])

    migrate.upgrade(database_url)

    demo, quiet = load_circles(BEFORE).circles
    # A row stored before alerts, handovers and activities had settings gets their defaults.
    old = replace(
        quiet,
        name="legacy",
        channel_id="legacy-channel",
        alerts=AlertPolicy(),
        handover=HandoverPolicy(),
        activities=ActivityPolicy(),
        gitlab_internal_project=None,
        jira=replace(quiet.jira, reopen_transition="Reopen Issue", reopened_status="Reopened"),
        postmortem=replace(quiet.postmortem, actions_tracker="jira"),
    )
    assert await stored_circles(database_url) == [demo, quiet, old]
    assert rows(database_url)["demo"]["rota"]["rotations"][1]["handover"] == {"day": None, "time": "18:30"}


async def test_config1_rolls_back_to_rows_the_previous_release_reads(database_url: str) -> None:
    seed_old_rows(database_url, OLD_ROWS)
    migrate.upgrade(database_url)

    migrate.downgrade(database_url, "activities1")

    assert list(rows(database_url).values()) == OLD_ROWS
    migrate.upgrade(database_url)
    assert await stored_circles(database_url) == list(load_circles(BEFORE).circles)


async def test_applying_the_same_file_after_the_upgrade_changes_nothing(database_url: str) -> None:
    seed_old_rows(database_url, OLD_ROWS)
    migrate.upgrade(database_url)
    database = Database(database_url)
    try:
        async with UnitOfWorkFactory(database, FixedClock(START))() as uow:
            lines = await uow.circles.apply(load_circles(BEFORE), START, dry_run=True)
    finally:
        await database.dispose()

    assert lines == ["~ default_circle: none -> demo"]  # the old rows had no file-wide settings seeded


async def test_a_row_stored_before_a_setting_existed_reads_its_default_and_needs_no_migration(
    database_url: str,
) -> None:
    config = load_circles(EVERY_SETTING)
    database = Database(database_url)
    factory = UnitOfWorkFactory(database, FixedClock(START))
    try:
        async with factory() as uow:
            await uow.circles.apply(config, START)
            await uow.commit()
        # As if handovers and activities had no settings when the quiet circle was stored.
        old = {k: v for k, v in rows(database_url)["quiet"].items() if k not in ("handover", "activities")}
        engine = create_engine(sync_url(database_url))
        with engine.begin() as connection:
            connection.execute(text("UPDATE circle SET spec = :spec WHERE name = 'quiet'"), {"spec": json.dumps(old)})
        engine.dispose()

        async with factory.reader() as uow:
            assert await uow.circles.get("quiet") == config.circle("quiet")
        async with factory() as uow:
            assert await uow.circles.apply(config, START, dry_run=True) == ["no changes"]
    finally:
        await database.dispose()
