"""Runbooks and internal tests, as the handbook has them: the template, "always up to date", drills
graded per topic, readiness before the first shift."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from adapters.circles_file import CirclesFileError, parse_circles
from domain.alerts.model import Alert, AlertStatus, runbook_links
from domain.runbooks.check import (
    MISSING_FILE,
    MISSING_SECTIONS,
    STALE,
    TOUCHED_BY_ACTION,
    UNDOCUMENTED_ALERTS,
    ActionMention,
    check_runbook,
    mentions_runbook,
)
from domain.runbooks.document import TEMPLATE_SECTIONS, parse_runbook
from domain.runbooks.drill import (
    Drill,
    DrillError,
    DrillStatus,
    Question,
    Verdict,
    parse_topics_and_count,
    pick_questions,
)
from domain.runbooks.escalation import live_escalation
from domain.runbooks.questions import bank_questions, derived_questions
from domain.runbooks.readiness import unready_members, unready_primary_lines
from domain.runbooks.schedule import RUNBOOK_CHECK_TIMER, WeeklyRunbookCheck
from domain.runbooks.template import PostmortemLink, render_runbook
from domain.services import anchor, runbook_web_url
from tests.support.circles import as_stored
from tests.support.runbooks import RUNBOOK_CATALOG, RUNBOOK_CHECKOUT, circle_yaml, shop_circle

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 03:00 in Rome, a Tuesday: marco is primary, sara secondary


# --- services in circles.yaml -----------------------------------------------------------------


def test_services_are_read_with_their_runbook_path_defaulting_to_runbooks_service_md() -> None:
    circle = shop_circle()
    checkout, catalog = circle.services
    assert (checkout.runbook, catalog.runbook) == ("runbooks/checkout.md", "runbooks/catalog.md")
    assert circle.service("Checkout") is checkout
    assert circle.runbooks.questions == 3


def test_alerts_are_linked_to_services_by_name_service_label_or_matcher() -> None:
    circle = shop_circle()
    assert circle.service_for({"alertname": "CheckoutHighErrorRate"}).name == "checkout"  # type: ignore[union-attr]
    assert circle.service_for({"alertname": "X", "app": "catalog"}).name == "catalog"  # type: ignore[union-attr]
    assert circle.service_for({"alertname": "X", "service": "catalog"}).name == "catalog"  # type: ignore[union-attr]
    assert circle.service_for({"alertname": "DiskFull"}) is None


def test_service_mistakes_are_reported_at_their_line() -> None:
    text = circle_yaml("t", "c", "29:g", "29:m").replace("owner: marco", "owner: nobody", 1)
    text = text.replace("- {app: catalog}", "- {}")
    with pytest.raises(CirclesFileError) as raised:
        parse_circles(text, "circles.yaml")
    errors = "\n".join(raised.value.errors)
    owner_line = next(n for n, line in enumerate(text.splitlines(), start=1) if "owner: nobody" in line)
    assert f"circles.yaml:{owner_line}: circles[0].services[0].owner: 'nobody' is not a member" in errors
    assert "a matcher needs at least one label" in errors


def test_services_and_runbook_settings_survive_the_database_round_trip() -> None:
    config = parse_circles(circle_yaml("t", "c", "29:g", "29:m"))
    [circle] = config.circles
    assert as_stored(config.specs[0]) == circle
    assert circle.services and circle.runbooks.drill_window == timedelta(days=182)


def test_an_alert_without_runbook_url_gets_a_runbook_button_at_its_entry() -> None:
    circle = shop_circle()
    alert = Alert("f1", AlertStatus.FIRING, {"alertname": "CheckoutHighErrorRate"}, {}, NOW)
    documented = Alert("f2", AlertStatus.FIRING, {"alertname": "CheckoutLatencyHigh"},
                       {"runbook_url": "https://wiki/x"}, NOW)  # fmt: skip
    links = runbook_links(circle, [alert, documented], "https://gitlab.example.com")
    assert links == (
        (
            "Runbook",
            "https://gitlab.example.com/acme.shop.DevOps/-/blob/main/runbooks/checkout.md#checkouthigherrorrate",
        ),
    )
    assert runbook_links(circle, [alert], None) == ()


def test_gitlab_anchors_follow_its_heading_rule() -> None:
    assert anchor("Service SLA") == "service-sla"
    assert anchor("CheckoutHighErrorRate, CheckoutLatencyHigh") == "checkouthigherrorrate-checkoutlatencyhigh"
    assert runbook_web_url("https://g/", "a/b", "main", "runbooks/x.md") == "https://g/a/b/-/blob/main/runbooks/x.md"


# --- the runbook and the check ------------------------------------------------------------------


def test_a_runbook_is_split_into_the_template_sections_and_one_entry_per_alert() -> None:
    runbook = parse_runbook(RUNBOOK_CHECKOUT)
    assert runbook.missing_sections() == []
    entry = runbook.alert_entry("checkouthigherrorrate")
    assert entry is not None
    assert entry.part("Meaning") == "more than 5% of checkout requests fail for 5 minutes"
    assert entry.part("Remediation") == "check the payment provider's status page, then the last deploy"
    assert [e.names for e in runbook.alert_entries()] == [("CheckoutHighErrorRate",), ("CheckoutLatencyHigh",)]


def test_the_check_names_the_missing_sections() -> None:
    report = check_runbook(shop_circle().services[1], parse_runbook(RUNBOOK_CATALOG), last_commit_at=NOW,
                           now=NOW, policy=shop_circle().runbooks, alerts_fired=[], actions=[])  # fmt: skip
    assert [(f.kind, f.text) for f in report.findings] == [(MISSING_SECTIONS, "missing or empty sections: Alerts, Doc")]


def test_a_runbook_without_a_commit_for_longer_than_the_limit_is_stale() -> None:
    circle = shop_circle()
    kwargs = {"now": NOW, "policy": circle.runbooks, "alerts_fired": [], "actions": []}
    fresh = check_runbook(
        circle.services[0], parse_runbook(RUNBOOK_CHECKOUT), last_commit_at=NOW - timedelta(days=90), **kwargs
    )  # type: ignore[arg-type]
    stale = check_runbook(
        circle.services[0], parse_runbook(RUNBOOK_CHECKOUT), last_commit_at=NOW - timedelta(days=91), **kwargs
    )  # type: ignore[arg-type]
    assert fresh.ok
    assert [f.kind for f in stale.findings] == [STALE]
    assert "no commit for 91 days" in stale.findings[0].text


def test_alerts_that_fired_without_an_entry_and_actions_not_committed_are_findings() -> None:
    circle = shop_circle()
    action = ActionMention("INC-7 A1", "add the pool check to runbooks/checkout.md", NOW - timedelta(days=2))
    fired = ["CheckoutHighErrorRate", "CheckoutPodCrashLoop"]
    report = check_runbook(circle.services[0], parse_runbook(RUNBOOK_CHECKOUT),
                           last_commit_at=NOW - timedelta(days=10), now=NOW, policy=circle.runbooks,
                           alerts_fired=fired, actions=[action])  # fmt: skip
    assert [f.kind for f in report.findings] == [UNDOCUMENTED_ALERTS, TOUCHED_BY_ACTION]
    assert report.findings[0].text.endswith("CheckoutPodCrashLoop")
    assert "INC-7 A1" in report.findings[1].text


def test_a_missing_runbook_says_how_to_draft_it() -> None:
    report = check_runbook(shop_circle().services[0], None, last_commit_at=None, now=NOW,
                           policy=shop_circle().runbooks, alerts_fired=[], actions=[])  # fmt: skip
    assert report.findings[0].kind == MISSING_FILE
    assert "/runbook new checkout" in report.findings[0].text


def test_an_action_is_about_a_runbook_when_it_names_its_path_or_the_runbook_and_the_service() -> None:
    checkout = shop_circle().services[0]
    assert mentions_runbook("Update runbooks/checkout.md with the pool check", checkout)
    assert mentions_runbook("Add the pool check to the checkout runbook", checkout)
    assert not mentions_runbook("Add a dashboard for checkout", checkout)


def test_the_new_runbook_template_has_every_section_and_what_the_bot_knows() -> None:
    circle = shop_circle()
    text = render_runbook(circle, circle.services[0], alerts_seen=["CheckoutPodCrashLoop"],
                          postmortems=[PostmortemLink("INC-7", "checkout 500s", "https://g/mr/1")])  # fmt: skip
    runbook = parse_runbook(text)
    assert runbook.missing_sections() == []
    assert [e.names[0] for e in runbook.alert_entries()] == [
        "CheckoutHighErrorRate", "CheckoutLatencyHigh", "CheckoutPodCrashLoop"]  # fmt: skip
    assert "| P1 | 5m | 4h |" in text
    assert "2. the secondary on-call (after 5m)" in text
    assert "[INC-7: checkout 500s](https://g/mr/1)" in text
    assert set(TEMPLATE_SECTIONS) <= set(runbook.sections)


def test_the_escalation_path_names_who_is_on_call_right_now() -> None:
    steps = live_escalation(shop_circle(), NOW)
    assert [(s.step, s.person.display_name if s.person else None) for s in steps] == [
        ("the primary on-call", "Marco Bianchi"),
        ("the secondary on-call", "Sara Romano"),
        ("the Team Leader", "Giulia Rossi"),
    ]
    assert [s.after for s in steps] == [timedelta(0), timedelta(minutes=10), timedelta(minutes=20)]
    next_week = live_escalation(shop_circle(), NOW + timedelta(days=7))
    assert next_week[0].person.handle == "sara"  # type: ignore[union-attr]


def test_the_weekly_check_runs_on_the_configured_day_and_time_in_the_circle_zone() -> None:
    circle = shop_circle()
    runs = list(WeeklyRunbookCheck().occurrences(circle, NOW, NOW + timedelta(days=14)))
    assert [r.due_at for r in runs] == [
        datetime(2026, 12, 7, 8, 0, tzinfo=UTC),
        datetime(2026, 12, 14, 8, 0, tzinfo=UTC),
    ]
    assert runs[0].kind == RUNBOOK_CHECK_TIMER
    assert runs[0].key == "runbooks:check:shop:2026-12-07"
    assert runs[0].catch_up_until == runs[0].due_at + timedelta(hours=12)


# --- drills ----------------------------------------------------------------------------------------


def _questions() -> list[Question]:
    return [
        Question(
            "q1", "process", "After the primary?", "the secondary on-call", ("the customer", "the secondary on-call")
        ),
        Question("q2", "monitoring", "What does CheckoutLatencyHigh mean?", "p99 above 2 s"),
        Question("q3", "process", "P1 acknowledge SLA?", "5m", ("5m", "1h")),
    ]


def test_choices_are_graded_at_once_and_open_answers_wait_for_the_team_leader() -> None:
    drill = Drill("shop", "marco", "giulia", NOW, _questions(), id=1)
    assert drill.answer(0, "the secondary on-call", NOW).verdict is Verdict.RIGHT
    assert drill.answer(1, "latency is high", NOW).verdict is Verdict.PENDING
    assert drill.answer(2, "1h", NOW).verdict is Verdict.WRONG
    assert drill.status is DrillStatus.GRADING
    drill.grade(1, True, "giulia", NOW + timedelta(hours=1))
    assert drill.status is DrillStatus.DONE
    assert drill.completed_at == NOW + timedelta(hours=1)
    assert drill.by_topic() == {"process": (1, 2), "monitoring": (1, 1)}
    assert round(drill.score(), 2) == 0.67
    assert not drill.passed(0.8)
    assert [q.id for _i, q, _a in drill.gaps()] == ["q3"]


def test_an_answer_must_be_one_of_the_choices_and_is_given_once() -> None:
    drill = Drill("shop", "marco", "giulia", NOW, _questions(), id=1)
    with pytest.raises(DrillError, match="pick one of the choices"):
        drill.answer(0, "the janitor", NOW)
    drill.answer(0, "the customer", NOW)
    with pytest.raises(DrillError, match="answered already"):
        drill.answer(0, "the secondary on-call", NOW)


def test_questions_are_spread_over_the_topics_asked_for() -> None:
    bank = [Question(f"p{i}", "process", f"p{i}", "a") for i in range(5)] + [
        Question(f"m{i}", "monitoring", f"m{i}", "a") for i in range(5)]  # fmt: skip
    picked = pick_questions(bank, topics=[], count=4, seed="s")
    assert sorted(q.topic for q in picked) == ["monitoring", "monitoring", "process", "process"]
    assert pick_questions(bank, topics=[], count=4, seed="s") == picked
    assert {q.topic for q in pick_questions(bank, topics=["monitoring"], count=3, seed="s")} == {"monitoring"}
    with pytest.raises(DrillError, match="no question on troubleshooting"):
        pick_questions(bank, topics=["troubleshooting"], count=3, seed="s")


def test_drill_words_are_topics_and_a_count() -> None:
    assert parse_topics_and_count(["monitoring", "process", "6"], 5) == (["monitoring", "process"], 6)
    with pytest.raises(DrillError, match="`networking` is not a topic"):
        parse_topics_and_count(["networking"], 5)


def test_the_question_bank_is_validated_with_the_file_and_item() -> None:
    entries = [
        {"topic": "process", "question": "Who?", "answer": "Me", "choices": ["Me", "You"]},
        {"topic": "cooking", "question": "What?", "answer": "x"},
        {"topic": "monitoring", "question": "Why?", "answer": "Z", "choices": ["X", "Y"]},
        {"topic": "monitoring", "question": "How?", "answer": "So", "hint": "no"},
    ]
    questions, errors = bank_questions("internal-tests/process.yaml", entries)
    assert [q.text for q in questions] == ["Who?"]
    where = "internal-tests/process.yaml: item"
    assert errors == [
        f"{where} 2: topic 'cooking' is not one of process, architecture, troubleshooting, monitoring",
        f"{where} 3: the answer must be one of the choices",
        f"{where} 4: unknown field(s) hint; allowed: answer, choices, question, runbook, topic",
    ]


def test_a_step_paging_the_primary_again_is_not_who_comes_after_the_primary() -> None:
    from pathlib import Path

    from adapters.circles_file import load_circles

    example = load_circles(Path(__file__).resolve().parents[2] / "circles.example.yaml").circles[0]
    assert [s.notify for s in example.escalation] == ["primary", "secondary", "team_leader"]
    [question] = [q for q in derived_questions(example, {}) if q.id == "derived:escalation-after-primary"]
    assert question.answer == "the secondary on-call"
    assert question.choices.count("the secondary on-call") == 1


def test_the_bot_derives_questions_from_the_escalation_path_the_sla_and_the_runbook() -> None:
    circle = shop_circle()
    questions = {q.id: q for q in derived_questions(circle, {"checkout": parse_runbook(RUNBOOK_CHECKOUT)})}
    assert questions["derived:escalation-after-primary"].answer == "the secondary on-call"
    assert questions["derived:p1-acknowledge-sla"].answer == "5m"
    alert = questions["derived:alert:checkout:CheckoutHighErrorRate"]
    assert alert.answer == "more than 5% of checkout requests fail for 5 minutes"
    assert alert.answer in alert.choices and len(alert.choices) == 2
    assert alert.runbook == "runbooks/checkout.md#CheckoutHighErrorRate"


# --- readiness -------------------------------------------------------------------------------------


def test_a_member_is_ready_when_they_passed_a_drill_within_the_window() -> None:
    circle = shop_circle()
    unready = unready_members(circle, {"marco": NOW - timedelta(days=30), "sara": NOW - timedelta(days=200)}, NOW)
    assert unready == {
        "giulia": "no drill passed in the last 182 days",
        "sara": "last drill passed 2026-05-15, over 182 days ago",
    }


def test_a_circle_without_a_drill_window_does_not_track_readiness() -> None:
    circle = shop_circle()
    untracked = replace(circle, runbooks=replace(circle.runbooks, drill_window=None))
    assert unready_members(untracked, {}, NOW) == {}
    assert unready_primary_lines(untracked, {}, NOW, NOW, NOW + timedelta(weeks=2)) == []


def test_the_rota_check_warns_when_an_unready_member_is_scheduled_as_primary() -> None:
    circle = shop_circle()
    lines = unready_primary_lines(circle, {"marco": NOW - timedelta(days=30)}, NOW, NOW, NOW + timedelta(weeks=2))
    assert lines == [
        "Sara Romano is primary on call from Mon 7 Dec 09:00 CET but is not on-call ready "
        "(no drill passed in the last 182 days): `/drill start @sara`"
    ]


def test_the_example_circles_file_documents_services_and_runbooks() -> None:
    from pathlib import Path

    from adapters.circles_file import load_circles

    circle = load_circles(Path(__file__).resolve().parents[2] / "circles.example.yaml").circles[0]
    assert [s.name for s in circle.services] == ["checkout", "catalog"]
    assert textwrap.dedent(circle.services[0].runbook) == "runbooks/checkout.md"
