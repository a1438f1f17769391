"""The handbook's activity rules: the template, one at a time, daily feedback and its ladder, review by the
Team Leader, deadline risk, and staying in step with GitLab. Fixed clock, in-memory fakes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from domain.activities import daily, service, sync
from domain.activities.context import ActivitiesContext, NewActivity, RemoteIssue
from domain.activities.feedback import Feedback
from domain.activities.model import (
    ActivityError,
    ActivityStatus,
    AnotherActivityInProgress,
    DefinitionOfDoneUnmet,
    Repository,
)
from domain.activities.requests import CREATE_ISSUE, LABEL_MERGE_REQUEST, POST_NOTE, UPDATE_ISSUE
from domain.activities.schedule import DailyActivityCheck, FeedbackRequests
from domain.activities.template import Task, parse_description, render_description, tick_tasks
from domain.circle import ActivityPolicy, Circle, FeedbackEscalation, JiraBinding, Member, Role, Schedule
from domain.clock import FixedClock
from tests.support.fake_activities import FakeActivities, FakeCircles, FakeUnitOfWork, RecordingNotifier

MONDAY = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 in Rome
PROJECT = "acme/shop-activities"


def a_circle(**changes: Any) -> Circle:
    fields: dict[str, Any] = dict(
        name="shop",
        customer="acme",
        project="shop",
        team_id="19:team",
        channel_id="19:channel",
        time_zone="Europe/Rome",
        team_leader="giulia",
        members=(
            Member("giulia", "Giulia Rossi", Role.TEAM_LEADER, gitlab_username="grossi"),
            Member("marco", "Marco Bianchi", gitlab_username="mbianchi"),
            Member("pat", "Pat Stake", Role.STAKEHOLDER),
        ),
        sla={},
        jira=JiraBinding("SHOP"),
        gitlab_activity_project=PROJECT,
        gitlab_internal_project="sre/internal",
        feedback=Schedule(at=time(17, 30)),
    )
    fields.update(changes)
    return Circle(**fields)


class World:
    def __init__(self, circle: Circle | None = None) -> None:
        self.circle = circle or a_circle()
        self.clock = FixedClock(MONDAY)
        self.activities = FakeActivities()
        self.notifier = RecordingNotifier()
        self.uow = FakeUnitOfWork(FakeCircles(self.circle))
        self.standup_answers: dict[tuple[str, date], str] = {}
        self.away: set[tuple[str, date]] = set()
        world = self

        class Standups:
            async def today_answer(self, uow: Any, circle: str, member: str, day: date) -> str | None:
                return world.standup_answers.get((member, day))

        class Away:
            async def is_away(self, uow: Any, circle: str, member: str, day: date) -> bool:
                return (member, day) in world.away

        self.ctx = ActivitiesContext(
            uow=self.uow,  # type: ignore[arg-type]
            activities=self.activities,
            clock=self.clock,
            notifier=self.notifier,
            gitlab_enabled=True,
            standups=Standups(),
            availability=Away(),
        )

    @property
    def marco(self) -> Member:
        member = self.circle.member("marco")
        assert member is not None
        return member

    @property
    def giulia(self) -> Member:
        member = self.circle.member("giulia")
        assert member is not None
        return member

    async def activity(self, title: str = "Upgrade the ingress controller", iid: int | None = 15) -> int:
        form = NewActivity(
            title=title,
            description="From 1.9 to 1.11",
            tasks=["Read the changelog", "Upgrade staging", "Upgrade production"],
            deadline=date(2026, 12, 11),
            definition_of_done=["Production on 1.11", "Runbook updated"],
        )
        created = await service.create_activity(self.ctx, "shop", self.marco, form)
        assert created.id is not None
        if iid is not None:
            await service.record_issue(self.ctx, created.id, iid, f"https://gitlab/{PROJECT}/-/issues/{iid}")
        return created.id

    async def started(self, **kwargs: Any) -> int:
        activity_id = await self.activity(**kwargs)
        await service.start_activity(self.ctx, "shop", self.marco, activity_id)
        return activity_id

    def at(self, day: date, hour: int = 8) -> None:
        self.clock.set(datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC))

    def status(self, activity_id: int) -> ActivityStatus:
        return self.activities.rows[activity_id].status


# --- the template --------------------------------------------------------------------------------


def test_the_issue_description_follows_the_template_and_reads_back() -> None:
    text = render_description(
        marker="abc123",
        description="Why and what",
        tasks=[Task("Read the changelog", True), Task("Upgrade staging")],
        deadline=date(2026, 12, 11),
        definition_of_done=[Task("Production on 1.11")],
    )
    assert "- [x] Read the changelog\n- [ ] Upgrade staging" in text
    parsed = parse_description(text)
    assert parsed.marker == "abc123"
    assert parsed.missing == ()
    assert parsed.deadline == date(2026, 12, 11)
    assert [t.text for t in parsed.tasks if not t.done] == ["Upgrade staging"]


def test_an_issue_written_by_hand_names_the_missing_template_sections() -> None:
    parsed = parse_description("Just fix the backups please.\n\n### Tasks\n- [ ] check cron\n")
    assert parsed.missing == ("Description", "Deadline", "Definition of done")
    assert parse_description(
        "## Tasks\n- [ ] a\n## Definition of done\n- [ ] b", due_date=date(2026, 12, 1)
    ).missing == ("Description",)


def test_ticking_a_task_keeps_every_edit_made_on_gitlab() -> None:
    edited_on_gitlab = "## Tasks\n\n- [ ] Upgrade staging\n- [ ] Added on the web\n\nA paragraph someone wrote.\n"
    ticked = tick_tasks(edited_on_gitlab, ["upgrade  staging"])
    assert ticked == edited_on_gitlab.replace("- [ ] Upgrade staging", "- [x] Upgrade staging")


# --- create ------------------------------------------------------------------------------------


async def test_a_new_activity_files_its_gitlab_issue_through_the_outbox_and_tells_the_team_leader() -> None:
    world = World()
    activity_id = await world.activity(iid=None)

    [create] = world.uow.outbox.of_kind(CREATE_ISSUE)
    assert create["project"] == PROJECT
    assert create["labels"] == ["activity", "status::todo"]
    assert create["due_date"] == "2026-12-11"
    assert create["assignee"] == "mbianchi"
    assert "- [ ] Upgrade staging" in create["description"] and "## Definition of done" in create["description"]
    assert create["marker"] in create["description"]
    assert world.notifier.told("giulia") == [
        "Marco Bianchi defined a new activity: Upgrade the ingress controller (deadline 2026-12-11)."
    ]
    assert world.activities.rows[activity_id].iid is None  # "GitLab: pending" until the outbox reports


async def test_the_template_names_everything_missing_at_once() -> None:
    world = World()
    form = NewActivity(title=" ", description="", tasks=[""], deadline=None, definition_of_done=[])
    with pytest.raises(ActivityError) as error:
        await service.create_activity(world.ctx, "shop", world.marco, form)
    assert str(error.value) == (
        "the template needs a title, at least one task (one per line), a definition of done (one item per line), "
        "a deadline (YYYY-MM-DD)"
    )


async def test_generic_work_goes_to_the_internal_repository_and_says_when_it_is_not_configured() -> None:
    world = World()
    form = NewActivity("Renew certs", "", ["renew"], date(2026, 12, 4), ["renewed"], Repository.INTERNAL)
    created = await service.create_activity(world.ctx, "shop", world.marco, form)
    assert created.project == "sre/internal"

    bare = World(a_circle(gitlab_internal_project=None))
    with pytest.raises(ActivityError, match=r"no `gitlab_internal_project` in circles\.yaml"):
        await service.create_activity(bare.ctx, "shop", bare.marco, form)


# --- one at a time -------------------------------------------------------------------------------


async def test_an_activity_cannot_start_before_its_gitlab_issue_exists() -> None:
    world = World()
    activity_id = await world.activity(iid=None)
    with pytest.raises(ActivityError, match="has no GitLab issue yet"):
        await service.start_activity(world.ctx, "shop", world.marco, activity_id)


async def test_starting_a_second_activity_asks_to_park_the_first_and_parking_moves_its_label_back() -> None:
    world = World()
    first = await world.started(title="Upgrade ingress", iid=12)
    second = await world.activity(title="Rotate secrets", iid=15)

    with pytest.raises(AnotherActivityInProgress) as busy:
        await service.start_activity(world.ctx, "shop", world.marco, second)
    assert busy.value.current.ref == "#12" and "park it and start #15?" in str(busy.value)
    assert world.status(first) is ActivityStatus.WIP

    await service.start_activity(world.ctx, "shop", world.marco, second, park_current=True)
    assert (world.status(first), world.status(second)) == (ActivityStatus.TODO, ActivityStatus.WIP)
    updates = world.uow.outbox.of_kind(UPDATE_ISSUE)
    assert {"iid": 12, "add": ["status::todo"]} in [{"iid": u["iid"], "add": u["add_labels"]} for u in updates]
    assert updates[-1]["add_labels"] == ["status::wip"] and "status::todo" in updates[-1]["remove_labels"]
    assert any("Parked by Marco Bianchi to start #15" in note["body"] for note in world.uow.outbox.of_kind(POST_NOTE))


async def test_only_the_assignee_starts_an_activity() -> None:
    world = World()
    activity_id = await world.activity()
    with pytest.raises(ActivityError, match="is marco's activity"):
        await service.start_activity(world.ctx, "shop", world.giulia, activity_id)


# --- daily feedback ------------------------------------------------------------------------------


async def test_feedback_posts_one_marked_note_and_ticks_the_tasks() -> None:
    world = World()
    activity_id = await world.started()
    world.at(date(2026, 11, 30), hour=17)
    answer = Feedback("staging upgraded", blockers="", next_step="production on Wednesday", ticked=("Upgrade staging",))
    await daily.submit_feedback(world.ctx, "shop", world.marco, activity_id, answer)
    await daily.submit_feedback(world.ctx, "shop", world.marco, activity_id, Feedback("and the changelog"))

    first, second = world.uow.outbox.of_kind(POST_NOTE)
    assert first["body"].startswith("**Daily feedback · 2026-11-30 · Marco Bianchi**")
    assert "**Tasks ticked:** Upgrade staging" in first["body"] and "**Blockers:** none" in first["body"]
    assert first["marker"].endswith(":2026-11-30:1") and second["marker"].endswith(":2026-11-30:2")
    assert first["marker"] in first["body"]
    [tick] = [u for u in world.uow.outbox.of_kind(UPDATE_ISSUE) if u["tick"]]
    assert tick["tick"] == ["Upgrade staging"]
    assert [t.done for t in world.activities.rows[activity_id].tasks] == [False, True, False]


async def test_the_feedback_card_is_prefilled_from_today_s_standup_and_skipped_when_away_or_already_given() -> None:
    world = World()
    await world.started()
    tuesday = date(2026, 12, 1)
    world.at(tuesday, hour=16)
    world.standup_answers[("marco", tuesday)] = "upgrade staging"
    await daily.request_feedback(world.ctx, "shop", "marco", tuesday)
    assert ("feedback", "marco", "upgrade staging") in world.notifier.said

    # After a restart, the 17:30 request comes at 18:10 and says so, in the circle's zone.
    world.at(tuesday, hour=17)
    world.clock.advance(timedelta(minutes=10))
    world.notifier.said.clear()
    await daily.request_feedback(world.ctx, "shop", "marco", tuesday, due_at=datetime(2026, 12, 1, 16, 30, tzinfo=UTC))
    assert world.notifier.said == [
        (
            "feedback",
            "marco",
            "upgrade staging [the 17:30 feedback request, sent at 18:10 CET after a restart]",
        )
    ]

    world.away.add(("marco", date(2026, 12, 2)))
    world.at(date(2026, 12, 2), hour=16)
    assert await daily.request_feedback(world.ctx, "shop", "marco", date(2026, 12, 2)) is None

    await sync.note_written(
        world.ctx, PROJECT, 15, author="mbianchi", at=world.clock.now(), system=False, body="done on the web"
    )
    world.at(date(2026, 12, 3), hour=9)
    await sync.note_written(
        world.ctx, PROJECT, 15, author="mbianchi", at=world.clock.now(), system=False, body="wrote on GitLab"
    )
    assert await daily.request_feedback(world.ctx, "shop", "marco", date(2026, 12, 3)) is None


async def test_missing_feedback_reminds_then_notes_on_the_issue_then_tells_the_team_leader() -> None:
    world = World()
    activity_id = await world.started()  # Monday
    thursday, friday, monday = date(2026, 12, 3), date(2026, 12, 4), date(2026, 12, 7)

    assert await daily.daily_check(world.ctx, "shop", date(2026, 12, 1)) == []  # Monday is still open
    assert await daily.daily_check(world.ctx, "shop", date(2026, 12, 2)) == ["#15:remind"]  # Tuesday missed
    assert world.notifier.told("marco")[-1].startswith(
        "No feedback on #15 Upgrade the ingress controller since 2026-11-30"
    )
    assert await daily.daily_check(world.ctx, "shop", date(2026, 12, 2)) == []  # each step once
    assert await daily.daily_check(world.ctx, "shop", thursday) == ["#15:note"]
    [note] = [n for n in world.uow.outbox.of_kind(POST_NOTE) if "no daily feedback" in n["body"]]
    assert note["body"].startswith("@mbianchi no daily feedback here for 2 working days")
    assert await daily.daily_check(world.ctx, "shop", friday) == ["#15:team_leader"]
    assert "Marco Bianchi has given no feedback on #15" in world.notifier.told("giulia")[-1]

    world.at(friday, hour=17)
    await daily.submit_feedback(world.ctx, "shop", world.marco, activity_id, Feedback("back on it"))
    assert await daily.daily_check(world.ctx, "shop", monday) == []  # the weekend is not a working day
    assert world.activities.rows[activity_id].feedback_level == 0


async def test_the_ladder_is_configurable() -> None:
    world = World(
        a_circle(activities=ActivityPolicy(feedback_escalation=FeedbackEscalation(remind=0, note=0, team_leader=2)))
    )
    await world.started()
    assert await daily.daily_check(world.ctx, "shop", date(2026, 12, 2)) == []
    assert await daily.daily_check(world.ctx, "shop", date(2026, 12, 3)) == ["#15:team_leader"]


# --- deadline risk -------------------------------------------------------------------------------


async def test_at_80_percent_of_the_time_with_under_half_the_tasks_ticked_member_and_team_leader_hear_it() -> None:
    world = World()
    activity_id = await world.started()  # Monday 30 Nov, deadline Friday 11 Dec: 11 days
    world.at(date(2026, 12, 7), hour=17)
    await daily.submit_feedback(world.ctx, "shop", world.marco, activity_id, Feedback("reading"))
    assert "#15:risk" not in await daily.daily_check(world.ctx, "shop", date(2026, 12, 8))  # 8 of 11 days
    assert "#15:risk" in await daily.daily_check(world.ctx, "shop", date(2026, 12, 9))  # 9 of 11 days
    assert "0 of 3 tasks ticked" in world.notifier.told("marco")[-1]
    assert world.notifier.told("giulia")[-1].startswith("Marco Bianchi's #15")
    assert "#15:risk" not in await daily.daily_check(world.ctx, "shop", date(2026, 12, 10))  # once
    assert [a.ref for a in await service.overdue(world.ctx, "shop", date(2026, 12, 14))] == ["#15"]


# --- review --------------------------------------------------------------------------------------


async def test_ready_lists_unticked_definition_of_done_items_unless_a_reason_is_given() -> None:
    world = World()
    activity_id = await world.started()
    with pytest.raises(DefinitionOfDoneUnmet) as unmet:
        await service.send_to_review(world.ctx, "shop", world.marco, activity_id)
    assert unmet.value.unticked == ["Production on 1.11", "Runbook updated"]

    await service.send_to_review(world.ctx, "shop", world.marco, activity_id, reason="prod waits for the freeze")
    assert world.status(activity_id) is ActivityStatus.REVIEW
    update = world.uow.outbox.of_kind(UPDATE_ISSUE)[-1]
    assert (update["add_labels"], update["assignee"], update["reviewer"]) == (["status::review"], "grossi", "grossi")
    assert update["activity_id"] == activity_id
    assert "because: prod waits for the freeze" in world.uow.outbox.of_kind(POST_NOTE)[-1]["body"]
    assert ("review", "giulia", "#15") in world.notifier.said


async def test_the_team_leader_approves_and_the_issue_closes_as_done() -> None:
    world = World()
    activity_id = await world.started()
    await service.send_to_review(world.ctx, "shop", world.marco, activity_id, reason="ok")
    with pytest.raises(ActivityError, match="only the Team Leader reviews"):
        await service.approve(world.ctx, "shop", world.marco, activity_id)

    await service.approve(world.ctx, "shop", world.giulia, activity_id)
    assert world.status(activity_id) is ActivityStatus.DONE
    update = world.uow.outbox.of_kind(UPDATE_ISSUE)[-1]
    assert (update["add_labels"], update["state_event"]) == (["status::done"], "close")
    assert world.notifier.told("marco")[-1] == "Giulia Rossi approved #15 Upgrade the ingress controller: done."


async def test_requesting_changes_needs_a_comment_and_sends_it_back_to_wip_as_a_note() -> None:
    world = World()
    activity_id = await world.started()
    await service.send_to_review(world.ctx, "shop", world.marco, activity_id, reason="ok")
    with pytest.raises(ActivityError, match="say what should change"):
        await service.request_changes(world.ctx, "shop", world.giulia, activity_id, "  ")
    await service.request_changes(world.ctx, "shop", world.giulia, activity_id, "Add the rollback steps")
    assert world.status(activity_id) is ActivityStatus.WIP
    assert "Add the rollback steps" in world.uow.outbox.of_kind(POST_NOTE)[-1]["body"]
    assert world.uow.outbox.of_kind(UPDATE_ISSUE)[-1]["assignee"] == "mbianchi"


# --- in step with GitLab -------------------------------------------------------------------------


def remote(iid: int, labels: tuple[str, ...], **changes: Any) -> RemoteIssue:
    fields: dict[str, Any] = dict(
        project=PROJECT, iid=iid, title="Rotate secrets", description="", labels=labels, state="opened", web_url=""
    )
    fields.update(changes)
    return RemoteIssue(**fields)


async def test_work_started_on_gitlab_while_another_is_wip_asks_the_member_to_choose() -> None:
    world = World()
    await world.started(title="Upgrade ingress", iid=12)
    second = await world.activity(title="Rotate secrets", iid=15)

    await sync.issue_changed(world.ctx, remote(15, ("activity", "status::wip")))
    assert world.status(second) is ActivityStatus.WIP
    assert ("which", "marco", "#12->#15") in world.notifier.said

    # The answer "Park #12, start #15": #12 goes back to to-do, #15 stays in progress.
    await service.start_activity(world.ctx, "shop", world.marco, second, park_current=True)
    assert world.status(second) is ActivityStatus.WIP
    assert [a.ref for a in world.activities.rows.values() if a.status is ActivityStatus.TODO] == ["#12"]
    with pytest.raises(ActivityError, match="#15 is already in progress"):
        await service.start_activity(world.ctx, "shop", world.marco, second)


async def test_an_issue_closed_on_gitlab_is_done_and_its_ticked_tasks_follow() -> None:
    world = World()
    activity_id = await world.started()
    description = "## Tasks\n- [x] Read the changelog\n- [ ] Upgrade staging\n## Definition of done\n- [ ] Runbook"
    await sync.issue_changed(world.ctx, remote(15, ("activity",), state="closed", description=description))
    activity = world.activities.rows[activity_id]
    assert activity.status is ActivityStatus.DONE
    assert [t.text for t in activity.tasks if t.done] == ["Read the changelog"]


async def test_only_the_assignee_s_own_notes_count_as_feedback() -> None:
    world = World()
    activity_id = await world.started()
    later = MONDAY + timedelta(days=1)
    ours = "**Daily feedback**\n<!-- circlebot:feedback:x -->"
    assert not await sync.note_written(
        world.ctx, PROJECT, 15, author="mbianchi", at=later, system=True, body="added ~x"
    )
    assert not await sync.note_written(world.ctx, PROJECT, 15, author="grossi", at=later, system=False, body="nice")
    assert not await sync.note_written(world.ctx, PROJECT, 15, author="mbianchi", at=later, system=False, body=ours)
    assert await sync.note_written(world.ctx, PROJECT, 15, author="mbianchi", at=later, system=False, body="did it")
    assert world.activities.rows[activity_id].last_feedback_at == later


async def test_a_merge_request_for_an_activity_gets_its_labels() -> None:
    world = World()
    await world.started()
    await sync.merge_request_opened(
        world.ctx, PROJECT, 3, source_branch="15-upgrade", title="Upgrade", description="", labels=("activity",)
    )
    [label] = world.uow.outbox.of_kind(LABEL_MERGE_REQUEST)
    assert label == {"project": PROJECT, "mr_iid": 3, "labels": ["status::wip"]}
    assert (
        await sync.merge_request_opened(
            world.ctx, PROJECT, 4, source_branch="fix", title="Fix", description="see !15", labels=()
        )
        is None
    )


def test_issue_references_read_as_project_and_number() -> None:
    url = "https://gitlab.example.com/acme/shop-activities/-/issues/12"
    assert sync.parse_issue_ref(url, default_project=None) == (PROJECT, 12)
    assert sync.parse_issue_ref("#12", default_project=PROJECT) == (PROJECT, 12)
    assert sync.parse_issue_ref("sre/internal#7", default_project=PROJECT) == ("sre/internal", 7)
    with pytest.raises(ActivityError, match="paste its URL or type `#12`"):
        sync.parse_issue_ref("twelve", default_project=PROJECT)


# --- when the work falls due ---------------------------------------------------------------------


def test_feedback_is_asked_at_the_circle_s_local_time_on_its_days_of_every_member_but_stakeholders() -> None:
    circle = a_circle()
    start, end = datetime(2026, 12, 4, 0, 0, tzinfo=UTC), datetime(2026, 12, 7, 23, 0, tzinfo=UTC)  # Fri..Mon
    runs = list(FeedbackRequests().occurrences(circle, start, end))
    assert [(r.key, r.due_at.isoformat()) for r in runs] == [
        ("activities:feedback:shop:giulia:2026-12-04", "2026-12-04T16:30:00+00:00"),
        ("activities:feedback:shop:marco:2026-12-04", "2026-12-04T16:30:00+00:00"),
        ("activities:feedback:shop:giulia:2026-12-07", "2026-12-07T16:30:00+00:00"),
        ("activities:feedback:shop:marco:2026-12-07", "2026-12-07T16:30:00+00:00"),
    ]
    assert runs[0].catch_up_until == datetime(2026, 12, 4, 23, 0, tzinfo=UTC)  # midnight in Rome
    checks = list(DailyActivityCheck().occurrences(circle, start, end))
    assert [c.due_at.isoformat() for c in checks] == ["2026-12-04T08:00:00+00:00", "2026-12-07T08:00:00+00:00"]
    assert list(FeedbackRequests().occurrences(a_circle(feedback=None), start, end)) == []


async def test_a_late_webhook_from_before_the_bot_s_own_move_does_not_undo_it() -> None:
    world = World()
    activity_id = await world.started()
    await service.send_to_review(world.ctx, "shop", world.marco, activity_id, reason="ok")
    world.clock.advance(timedelta(minutes=1))
    await service.approve(world.ctx, "shop", world.giulia, activity_id)
    sent_before_approval = world.clock.now() - timedelta(seconds=30)
    await sync.issue_changed(world.ctx, remote(15, ("activity", "status::review"), updated_at=sent_before_approval))
    assert world.status(activity_id) is ActivityStatus.DONE


def test_a_member_abroad_is_asked_for_feedback_at_the_feedback_time_where_they_are() -> None:
    members = (
        Member("giulia", "Giulia Rossi", Role.TEAM_LEADER),
        Member("marco", "Marco Bianchi", time_zone="America/New_York"),
    )
    circle = a_circle(members=members)
    # Friday 6 March 2026 (New York on EST, UTC-5) and Monday 9 March (EDT since Sunday, UTC-4); Rome is
    # still on CET both days, so Giulia's 17:30 stays 16:30 UTC.
    start, end = datetime(2026, 3, 6, 0, 0, tzinfo=UTC), datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    runs = list(FeedbackRequests().occurrences(circle, start, end))
    assert [(r.key, r.due_at.isoformat()) for r in runs] == [
        ("activities:feedback:shop:giulia:2026-03-06", "2026-03-06T16:30:00+00:00"),
        ("activities:feedback:shop:marco:2026-03-06", "2026-03-06T22:30:00+00:00"),  # 17:30 EST
        ("activities:feedback:shop:giulia:2026-03-09", "2026-03-09T16:30:00+00:00"),
        ("activities:feedback:shop:marco:2026-03-09", "2026-03-09T21:30:00+00:00"),  # 17:30 EDT
    ]
    marco_friday = runs[1]
    assert marco_friday.payload["day"] == "2026-03-06"  # his Friday, though it is past midnight in Rome
    assert marco_friday.catch_up_until == datetime(2026, 3, 7, 5, 0, tzinfo=UTC)  # midnight in New York


async def test_feedback_already_given_on_the_member_s_own_day_is_not_asked_again() -> None:
    abroad = Member("marco", "Marco Bianchi", gitlab_username="mbianchi", time_zone="America/New_York")
    world = World(a_circle(members=(*a_circle().members[:1], abroad)))
    activity_id = await world.started()
    friday = date(2026, 12, 4)
    # 20:00 in New York on Friday: already Saturday 02:00 in Rome.
    world.clock.set(datetime(2026, 12, 5, 1, 0, tzinfo=UTC))
    await daily.submit_feedback(world.ctx, "shop", world.marco, activity_id, Feedback(done="Upgraded staging"))
    world.notifier.said.clear()
    assert await daily.request_feedback(world.ctx, "shop", "marco", friday) is None
    assert world.notifier.said == []
