"""Runbooks in the database, on SQLite and PostgreSQL: stored copies, drills, what the bot has seen,
and the runbook check and drills run through the library against a local GitLab."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.circles_file import parse_circles
from adapters.gitlab.runbooks import GitLabRunbooks
from adapters.runbooks.library import RunbookLibrary
from adapters.runbooks.readiness import readiness_warnings
from adapters.settings import load_settings
from app import build_runtime
from dialogs.runbooks.cli import check_runbooks
from domain.alerts.model import Alert, AlertGroup, AlertStatus
from domain.circle import Circle, Member
from domain.clock import FixedClock
from domain.ports import UnitOfWork
from domain.runbooks import service
from domain.runbooks.check import MISSING_SECTIONS, STALE, RunbookReport
from domain.runbooks.drill import Drill, DrillStatus, Question
from domain.runbooks.ports import RunbookUnavailable, StoredFile
from domain.runbooks.service import RunbooksContext
from storage import migrate
from storage.alerts.repository import SqlAlertGroups
from storage.runbooks.history import SqlRunbookHistory
from storage.runbooks.repository import SqlDrills, SqlRunbookCopies
from storage.unit_of_work import SqlUnitOfWork, UnitOfWorkFactory
from tests.support.fake_gitlab import FakeGitLab
from tests.support.runbooks import QUESTION_BANK, RUNBOOK_CATALOG, RUNBOOK_CHECKOUT, circle_yaml

PROJECT = "acme/acme.shop.DevOps"


class RecordingNotifier:
    def __init__(self) -> None:
        self.told: list[tuple[str, str, str]] = []
        self.summaries: list[tuple[str, list[RunbookReport]]] = []
        self.asked: list[tuple[int | None, int]] = []
        self.grading: list[tuple[int | None, int]] = []
        self.done: list[int | None] = []

    async def tell(self, uow: UnitOfWork, circle: Circle, member: Member, text: str, *, key: str) -> None:
        self.told.append((member.handle, text, key))

    async def check_summary(
        self, uow: UnitOfWork, circle: Circle, reports: Sequence[RunbookReport], *, key: str, late: str | None
    ) -> None:
        self.summaries.append((key, list(reports)))

    async def ask_question(self, uow: UnitOfWork, circle: Circle, drill: Drill, index: int) -> None:
        self.asked.append((drill.id, index))

    async def ask_grade(self, uow: UnitOfWork, circle: Circle, drill: Drill, index: int) -> None:
        self.grading.append((drill.id, index))

    async def drill_done(self, uow: UnitOfWork, circle: Circle, drill: Drill) -> None:
        self.done.append(drill.id)


@pytest.fixture
async def shop(uow_factory: UnitOfWorkFactory, clock: FixedClock) -> Circle:
    config = parse_circles(circle_yaml("team-1", "channel-1", "29:giulia", "29:marco", gitlab_project=PROJECT))
    async with uow_factory() as uow:
        await uow.circles.apply(config, clock.now())
        await uow.commit()
    return config.circles[0]


@pytest.fixture
async def gitlab(clock: FixedClock) -> AsyncIterator[FakeGitLab]:
    async with FakeGitLab() as fake:
        fake.commit_file("runbooks/checkout.md", RUNBOOK_CHECKOUT, at=clock.now() - timedelta(days=10))
        fake.commit_file("runbooks/catalog.md", RUNBOOK_CATALOG, at=clock.now() - timedelta(days=120))
        fake.commit_file("internal-tests/process.yaml", QUESTION_BANK, at=clock.now() - timedelta(days=1))
        yield fake


@pytest.fixture
def library(uow_factory: UnitOfWorkFactory, clock: FixedClock, gitlab: FakeGitLab) -> RunbookLibrary:
    return RunbookLibrary(uow_factory, clock, GitLabRunbooks(gitlab.url, token=gitlab.token, timeout=2))


def context(
    uow: SqlUnitOfWork, clock: FixedClock, library: RunbookLibrary, notifier: RecordingNotifier
) -> RunbooksContext:
    return RunbooksContext(uow=uow, clock=clock, source=library.source(uow), history=uow.runbook_history,
                           drills=uow.drills, notifier=notifier, gitlab_enabled=True)  # fmt: skip


async def test_a_stored_copy_round_trips_and_is_found_under_its_directory(
    uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    copy = StoredFile("# x", True, 'W/"abc"', clock.now() - timedelta(days=3), clock.now())
    async with uow_factory() as uow:
        copies = SqlRunbookCopies(uow.session)
        await copies.put(PROJECT, "main", "internal-tests/a.yaml", copy)
        await copies.put(
            PROJECT, "main", "internal-tests/a.yaml", StoredFile("# y", True, 'W/"def"', None, clock.now())
        )
        await copies.put(PROJECT, "main", "runbooks/a.md", StoredFile("", False, None, None, clock.now()))
        await uow.commit()
    async with uow_factory.reader() as uow:
        copies = SqlRunbookCopies(uow.session)
        assert (await copies.get(PROJECT, "main", "internal-tests/a.yaml")) == StoredFile(
            "# y", True, 'W/"def"', None, clock.now())  # fmt: skip
        assert list(await copies.under(PROJECT, "main", "internal-tests")) == ["internal-tests/a.yaml"]
        assert (await copies.get(PROJECT, "main", "runbooks/a.md")).present is False  # type: ignore[union-attr]


async def test_a_drill_round_trips_with_its_answers_and_a_pass_counts_for_readiness(
    uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    questions = [Question("q1", "process", "P1 ack?", "5m", ("5m", "1h")), Question("q2", "monitoring", "X?", "y")]
    async with uow_factory() as uow:
        drills = SqlDrills(uow.session)
        drill = await drills.add(Drill("shop", "marco", "giulia", clock.now(), questions))
        drill.answer(0, "5m", clock.now())
        drill.answer(1, "y", clock.now())
        drill.grade(1, True, "giulia", clock.now() + timedelta(minutes=5))
        await drills.save(drill, 0.8)
        await drills.add(Drill("shop", "sara", "giulia", clock.now(), questions))
        await uow.commit()
    async with uow_factory.reader() as uow:
        drills = SqlDrills(uow.session)
        assert drill.id is not None
        loaded = await drills.get(drill.id)
        assert loaded is not None
        assert (loaded.status, loaded.score(), loaded.answers[1].graded_by) == (DrillStatus.DONE, 1.0, "giulia")
        assert loaded.questions == questions
        assert await drills.last_passed("shop") == {"marco": clock.now() + timedelta(minutes=5)}
        assert [d.member for d in await drills.of_circle("shop", member="sara")] == ["sara"]


async def test_alerts_fired_are_found_for_their_service(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, shop: Circle
) -> None:
    now = clock.now()
    alerts = [
        Alert("f1", AlertStatus.FIRING, {"alertname": "CheckoutPodCrashLoop", "app": "checkout"}, {}, now),
        Alert("f2", AlertStatus.FIRING, {"alertname": "CatalogSlow", "app": "catalog"}, {}, now),
        Alert("f3", AlertStatus.FIRING, {"alertname": "Old", "app": "checkout"}, {}, now - timedelta(days=100)),
    ]
    async with uow_factory() as uow:
        group = AlertGroup(circle="shop", group_key="{}:{app}", first_seen=now, last_seen=now)
        group.observe(alerts, now)
        await SqlAlertGroups(uow.session).add(group)
        await uow.commit()
    async with uow_factory.reader() as uow:
        history = SqlRunbookHistory(uow.session)
        since = now - timedelta(days=90)
        assert await history.alerts_fired(shop, shop.services[0], since) == ["CheckoutPodCrashLoop"]
        assert await history.alerts_fired(shop, shop.services[1], since) == ["CatalogSlow"]


async def test_the_check_finds_the_missing_section_and_the_stale_runbook_and_tells_owner_and_team_leader(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, shop: Circle, library: RunbookLibrary
) -> None:
    notifier = RecordingNotifier()
    await library.prefetch(shop)
    async with uow_factory() as uow:
        reports = await service.run_check(context(uow, clock, library, notifier), shop, key="runbooks:check:t")
        await uow.commit()
    checkout, catalog = reports
    assert checkout.ok
    assert [f.kind for f in catalog.findings] == [MISSING_SECTIONS, STALE]
    [(owner, text, key)] = notifier.told
    assert owner == "marco" and "catalog (runbooks/catalog.md): missing or empty sections: Alerts, Doc" in text
    assert key == "runbooks:check:t:owner:marco"
    assert [key for key, _ in notifier.summaries] == ["runbooks:check:t:summary"]


async def test_when_gitlab_is_down_the_stored_copy_is_used_and_says_how_old_it_is(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, shop: Circle, library: RunbookLibrary, gitlab: FakeGitLab
) -> None:
    fresh = await library.fetch(shop, shop.services[0])
    assert fresh.age_note is None and fresh.markdown == RUNBOOK_CHECKOUT
    again = await library.fetch(shop, shop.services[0])
    assert gitlab.not_modified == 1 and again.markdown == RUNBOOK_CHECKOUT
    clock.advance(timedelta(hours=2))
    gitlab.fail_next(3, 503)
    old = await library.fetch(shop, shop.services[0])
    assert old.markdown == RUNBOOK_CHECKOUT
    assert old.age_note == "GitLab did not answer; this is my copy from 2h ago"
    gitlab.fail_next(3, 503)
    with pytest.raises(RunbookUnavailable, match=r"no stored copy of runbooks/none\.md"):
        await library.fetch(shop, type(shop.services[0])("none", "marco"))


async def test_a_drill_mixes_the_bank_and_derived_questions_and_ends_with_results(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, shop: Circle, library: RunbookLibrary
) -> None:
    notifier = RecordingNotifier()
    await library.prefetch(shop)
    giulia, marco = shop.member("giulia"), shop.member("marco")
    assert giulia is not None and marco is not None
    async with uow_factory() as uow:
        drill, errors = await service.start_drill(context(uow, clock, library, notifier), shop, giulia, marco,
                                                  topics=[], count=12)  # fmt: skip
        await uow.commit()
    assert errors == []
    sources = {q.source for q in drill.questions}
    assert "internal-tests/process.yaml" in sources and "circles.yaml sla" in sources
    assert notifier.asked == [(drill.id, 0)]
    assert drill.id is not None
    for index, question in enumerate(drill.questions):
        async with uow_factory() as uow:
            given = question.choices[0] if question.choices else "no idea"
            await service.answer_question(context(uow, clock, library, notifier), drill.id, marco, index, given)
            await uow.commit()
    open_ones = [i for i, q in enumerate(drill.questions) if q.open]
    assert [i for _d, i in notifier.grading] == open_ones
    for index in open_ones:
        async with uow_factory() as uow:
            await service.grade_answer(context(uow, clock, library, notifier), drill.id, giulia, index, False)
            await uow.commit()
    assert notifier.done == [drill.id]
    async with uow_factory() as uow:
        ctx = context(uow, clock, library, notifier)
        [with_gaps] = await service.open_gaps(ctx, shop)
        filed = await service.file_gaps(ctx, shop, giulia)
        await uow.commit()
    assert len(filed) == len(with_gaps.gaps()) > 0
    assert all(r.project == PROJECT for r in filed)
    async with uow_factory.reader() as uow:
        assert await service.open_gaps(context(uow, clock, library, notifier), shop) == []


async def test_config_validate_warns_about_primaries_who_passed_no_drill(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    migrate.upgrade(url)
    config = parse_circles(circle_yaml("team-1", "channel-1", "29:giulia", "29:marco"))
    now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    warnings = await readiness_warnings(config, url, now)
    assert warnings[0] == (
        "circle shop: Marco Bianchi is primary on call from Tue 1 Dec 03:00 CET but is not on-call ready "
        "(no drill passed in the last 182 days): `/drill start @marco`"
    )
    assert len(warnings) == 5  # weekly turns starting 30 Nov, 7, 14, 21 and 28 Dec
    assert await readiness_warnings(config, f"sqlite:///{tmp_path / 'none.db'}", now) == [
        "note: no database yet, so I cannot tell who passed a drill (DATABASE_URL)"
    ]


async def test_the_cli_check_prints_each_runbook_that_needs_attention(
    database_url: str, clock: FixedClock, shop: Circle, gitlab: FakeGitLab
) -> None:
    settings = load_settings(
        DATABASE_URL=database_url, GITLAB_URL=gitlab.url, GITLAB_TOKEN=gitlab.token, _env_file=None
    )
    runtime = build_runtime(settings, clock)
    try:
        lines = await check_runbooks(runtime, circle="shop", notify=False)
        with pytest.raises(ValueError, match="no active circle is called 'nope'"):
            await check_runbooks(runtime, circle="nope", notify=False)
    finally:
        await runtime.database.dispose()
    assert lines == [
        "circle shop: 2 runbooks, 1 need attention",
        "  - catalog (runbooks/catalog.md): missing or empty sections: Alerts, Doc",
        "  - catalog (runbooks/catalog.md): no commit for 120 days (last "
        f"{(clock.now() - timedelta(days=120)):%Y-%m-%d}); the circle's limit is 90 days",
    ]
