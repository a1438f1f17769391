"""Activities and their feedback in the database, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from domain.activities.model import Activity, ActivityStatus, Repository
from domain.activities.template import Task
from domain.clock import FixedClock
from storage.activities.repository import SqlActivities
from storage.unit_of_work import UnitOfWorkFactory


def an_activity(
    clock: FixedClock, *, owner: str = "marco", title: str = "Upgrade ingress", marker: str = "m1"
) -> Activity:
    return Activity(
        circle="demo",
        owner=owner,
        title=title,
        description="From 1.9 to 1.11",
        tasks=[Task("Read the changelog", True), Task("Upgrade staging")],
        definition_of_done=[Task("Production on 1.11")],
        deadline=date(2026, 12, 11),
        repository=Repository.CUSTOMER,
        project="acme/shop-activities",
        marker=marker,
        created_by=owner,
        created_at=clock.now(),
        extra_labels=("ingress",),
        missing_sections=("Deadline",),
    )


async def test_an_activity_round_trips_with_its_tasks_and_state(
    uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    async with uow_factory() as uow:
        repo = SqlActivities(uow.session)
        added = await repo.add(an_activity(clock))
        added.linked(12, "https://gitlab/acme/shop-activities/-/issues/12")
        added.start(clock.now())
        await repo.save(added)
        await uow.commit()

    async with uow_factory.reader() as uow:
        repo = SqlActivities(uow.session)
        assert added.id is not None
        loaded = await repo.get(added.id)
        assert loaded is not None
        assert loaded.tasks == [Task("Read the changelog", True), Task("Upgrade staging")]
        assert (loaded.status, loaded.iid, loaded.wip_since) == (ActivityStatus.WIP, 12, clock.now())
        assert (loaded.extra_labels, loaded.missing_sections) == (("ingress",), ("Deadline",))
        assert (await repo.by_issue("acme/shop-activities", 12)) is not None
        assert (await repo.wip_of("demo", "marco")) is not None
        assert await repo.wip_of("demo", "sara") is None
        assert [a.title for a in await repo.open_in_circle("demo")] == ["Upgrade ingress"]


async def test_feedback_sequences_count_per_activity_and_day(uow_factory: UnitOfWorkFactory, clock: FixedClock) -> None:
    async with uow_factory() as uow:
        repo = SqlActivities(uow.session)
        activity = await repo.add(an_activity(clock))
        assert activity.id is not None
        today = date(2026, 11, 27)
        assert await repo.next_feedback_sequence(activity.id, today) == 1
        await repo.add_feedback(activity.id, today, 1, clock.now(), "read the changelog")
        assert await repo.next_feedback_sequence(activity.id, today) == 2
        assert await repo.next_feedback_sequence(activity.id, today + timedelta(days=1)) == 1
        await uow.commit()
        assert await repo.feedback_of(activity.id) == [(today, "read the changelog")]


async def test_one_activity_per_gitlab_issue(uow_factory: UnitOfWorkFactory, clock: FixedClock) -> None:
    async with uow_factory() as uow:
        repo = SqlActivities(uow.session)
        for marker in ("a", "b"):  # not yet in GitLab: no iid, no clash
            await repo.add(an_activity(clock, marker=marker))
        first = await repo.add(an_activity(clock, marker="c"))
        first.linked(5, "u")
        await repo.save(first)
        await uow.commit()
    async with uow_factory() as uow:
        repo = SqlActivities(uow.session)
        second = await repo.add(an_activity(clock, marker="d"))
        second.linked(5, "u")
        with pytest.raises(IntegrityError):
            await repo.save(second)


async def test_a_member_s_list_shows_open_work_then_the_last_few_done(
    uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    async with uow_factory() as uow:
        repo = SqlActivities(uow.session)
        for n in range(5):
            done = await repo.add(an_activity(clock, title=f"old {n}", marker=f"d{n}"))
            done.status = ActivityStatus.DONE
            await repo.save(done)
            clock.advance(timedelta(minutes=1))
        await repo.add(an_activity(clock, title="current", marker="now"))
        await uow.commit()
        titles = [a.title for a in await repo.of_member("demo", "marco")]
    assert titles == ["current", "old 4", "old 3", "old 2"]
