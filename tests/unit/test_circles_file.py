"""circles.yaml: the example is valid, and every mistake is reported at once with its line."""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from adapters.circles_file import CirclesFileError, load_circles, parse_circles
from domain.circle import Role, Severity
from domain.rota import Layer, on_call_at
from tests.support.circles import as_stored

EXAMPLE = Path(__file__).resolve().parents[2] / "circles.example.yaml"

VALID = """\
defaults:
  time_zone: Europe/Rome
  sla:
    P1: {acknowledge: 5m, resolve: 4h, stakeholder_updates: 30m}
    P2: {acknowledge: 15m, resolve: 8h, stakeholder_updates: 1h}
    P3: {acknowledge: 1h, resolve: 3d, stakeholder_updates: never}
    P4: {acknowledge: 4h, resolve: 10d, stakeholder_updates: never}
circles:
  - name: payments
    customer: acme
    project: pay
    team_id: team-1
    channel_id: channel-1
    team_leader: alice
    members:
      - {handle: alice, name: Alice Example, teams_user_id: user-1}
      - {handle: bob, name: Bob Example, teams_user_id: user-2}
    rota:
      rotations:
        - {layer: primary, members: [bob, alice], every: weekly, handover: {day: mon}, start: 2026-01-05}
    escalation:
      - {notify: primary}
      - {notify: team_leader, after: 10m}
    sla:
      P1: {acknowledge: 2m, resolve: 1h, stakeholder_updates: 15m}
    jira: {project: PAY}
"""


def line_of(text: str, fragment: str) -> int:
    """The 1-based line where `fragment` first appears: what an editor shows next to the error."""
    return next(n for n, line in enumerate(text.splitlines(), start=1) if fragment in line)


def errors_of(text: str) -> list[str]:
    with pytest.raises(CirclesFileError) as raised:
        parse_circles(textwrap.dedent(text), "circles.yaml")
    return raised.value.errors


def test_the_example_file_validates() -> None:
    config = load_circles(EXAMPLE)

    assert config.default_circle == "demo"
    (demo,) = config.circles
    assert (demo.name, demo.customer, demo.project, demo.docs_repo) == (
        "demo",
        "acme",
        "shop",
        "acme.shop.DevOps",
    )
    assert (demo.team_id, demo.channel_id, demo.stakeholder_channel_id) == ("team-id", "team-id", "team-id")
    assert [m.teams_user_id for m in demo.members] == [f"user-id-{n}" for n in range(6)]
    assert [m.aad_object_id for m in demo.members] == [f"00000000-0000-0000-0000-00000000000{20 + n}" for n in range(6)]
    assert demo.member_by_teams_id("user-id-0") == demo.member(demo.team_leader)
    assert demo.member(demo.team_leader).role == Role.TEAM_LEADER  # type: ignore[union-attr]
    assert demo.sla_for(Severity.P1).acknowledge == timedelta(minutes=5)
    assert demo.sla_for(Severity.P3).stakeholder_update is None
    assert demo.jira.priority_for(Severity.P4) == "Low"
    assert demo.standup is not None and demo.standup.at == time(9, 30) and demo.standup.days == (0, 1, 2, 3, 4)
    assert [offset for offset, _step in demo.escalation_offsets(Severity.P1)] == [
        timedelta(minutes=5),
        timedelta(minutes=10),
        timedelta(minutes=20),
    ]


def test_the_example_rota_puts_three_people_on_primary_and_two_on_secondary() -> None:
    (demo,) = load_circles(EXAMPLE).circles

    weeks = [on_call_at(demo.rota, datetime(2026, 3, 2, 12, tzinfo=UTC) + timedelta(weeks=n)) for n in range(6)]

    assert {w.primary.member for w in weeks if w.primary} == {"marco", "luca", "sara"}
    assert {w.secondary.member for w in weeks if w.secondary} == {"paolo", "elena"}


def test_a_circle_survives_the_json_round_trip_used_by_storage() -> None:
    config = load_circles(EXAMPLE)

    assert [as_stored(spec) for spec in config.specs] == list(config.circles)


def test_a_circle_inherits_the_severities_it_does_not_set_from_defaults() -> None:
    (payments,) = parse_circles(VALID).circles

    assert payments.sla_for(Severity.P1).acknowledge == timedelta(minutes=2)
    assert payments.sla_for(Severity.P2).acknowledge == timedelta(minutes=15)
    assert payments.time_zone == "Europe/Rome"
    assert payments.docs_repo == "acme.pay.DevOps"
    assert payments.rota.rotations[0].start == date(2026, 1, 5)
    assert payments.rota.rotations[0].layer == Layer.PRIMARY


def test_a_file_with_several_mistakes_reports_every_one_with_its_line() -> None:
    errors = errors_of(
        """\
        default_circle: nope
        circles:
          - name: payments
            customer: acme
            project: pay
            team_id: team-1
            channel_id: channel-1
            time_zone: Europe/Roma
            team_leader: alice
            membres: []
            members:
              - {handle: alice, name: Alice, teams_user_id: user-1}
              - {handle: bob, name: Bob}
            escalation:
              - {notify: carol, after: 5 minutes}
            sla:
              P1: {acknowledge: 5m, resolve: 4h, stakeholder_updates: never}
            jira: {project: PAY}
        """
    )

    assert errors == [
        "circles.yaml:1: default_circle: no circle is called 'nope'",
        "circles.yaml:8: circles[0].time_zone: 'Europe/Roma' is not an IANA time zone; "
        "write it like Europe/Rome or UTC",
        "circles.yaml:10: circles[0].membres: unknown field; did you mean 'members'?",
        "circles.yaml:13: circles[0].members[1]: set teams_user_id or aad_object_id, "
        "or the bot cannot recognise this member",
        "circles.yaml:15: circles[0].escalation[0].notify: 'carol' is not a member of this circle "
        "or one of primary, secondary, team_leader, focus_sre (members: alice, bob)",
        "circles.yaml:15: circles[0].escalation[0].after: '5 minutes' is not a duration; "
        "write a number and a unit, like 30s, 5m, 4h or 3d",
    ]


def test_an_unknown_field_is_an_error_not_a_silently_ignored_setting() -> None:
    text = VALID.replace("    jira: {project: PAY}", "    jira: {project: PAY, isue_type: Bug}")

    assert errors_of(text) == [
        f"circles.yaml:{line_of(text, 'isue_type')}: circles[0].jira.isue_type: unknown field; "
        "did you mean 'issue_type'?"
    ]


def test_a_bad_duration_names_the_accepted_forms() -> None:
    text = VALID.replace("P1: {acknowledge: 2m,", "P1: {acknowledge: 2 mins,")

    assert errors_of(text) == [
        f"circles.yaml:{line_of(text, '2 mins')}: circles[0].sla.P1.acknowledge: '2 mins' is not a duration; "
        "write a number and a unit, like 30s, 5m, 4h or 3d"
    ]


def test_an_unknown_member_handle_in_the_rota_is_reported_where_it_is_written() -> None:
    text = VALID.replace("members: [bob, alice]", "members: [bob, alicia]")

    assert errors_of(text) == [
        f"circles.yaml:{line_of(text, 'alicia')}: circles[0].rota.rotations[0].members[1]: "
        "'alicia' is not a member of this circle (members: alice, bob)"
    ]


def test_a_bad_time_zone_in_defaults_is_reported_there() -> None:
    errors = errors_of(VALID.replace("time_zone: Europe/Rome", "time_zone: Mars/Olympus"))

    assert errors == [
        "circles.yaml:2: defaults.time_zone: 'Mars/Olympus' is not an IANA time zone; write it like Europe/Rome or UTC"
    ]


def test_every_severity_needs_an_sla_and_every_circle_a_time_zone_here_or_in_defaults() -> None:
    text = "circles:" + VALID.split("circles:", 1)[1]

    assert errors_of(text) == [
        "circles.yaml:2: circles[0].time_zone: required here or under defaults.time_zone (e.g. Europe/Rome)",
        f"circles.yaml:{line_of(text, '    sla:')}: circles[0].sla: no SLA for P2, P3, P4; "
        "set it here or under defaults.sla",
    ]


def test_a_channel_serves_one_circle_and_handles_are_unique() -> None:
    second = VALID.split("circles:\n", 1)[1].replace("name: payments", "name: shop")
    second = second.replace("{handle: bob, name: Bob Example", "{handle: alice, name: Alice Again")
    text = VALID + second
    second_circle = line_of(text, "name: shop")

    assert errors_of(text) == [
        f"circles.yaml:{second_circle + 4}: circles[1].channel_id: channel 'channel-1' already belongs to "
        "circle 'payments'; a channel serves one circle",
        f"circles.yaml:{line_of(text, 'Alice Again')}: circles[1].members[1].handle: 'alice' is used by another member",
        f"circles.yaml:{second_circle + 11}: circles[1].rota.rotations[0].members[0]: "
        "'bob' is not a member of this circle (members: alice)",
    ]


def test_times_and_weekdays_must_be_written_as_documented() -> None:
    text = VALID + '    standup: {time: "9.30", days: [mon, funday]}\n'
    standup = line_of(text, "standup")

    assert errors_of(text) == [
        f"circles.yaml:{standup}: circles[0].standup.time: '9.30' is not a time of day; "
        'write it as HH:MM in quotes, like "09:30"',
        f"circles.yaml:{standup}: circles[0].standup.days[1]: 'funday' is not a weekday; "
        "use one of mon, tue, wed, thu, fri, sat, sun",
    ]


def test_yaml_syntax_errors_carry_their_line() -> None:
    assert errors_of("circles:\n  - name: x\n   bad: [\n") == [
        "circles.yaml:3: expected <block end>, but found '<block mapping start>'"
    ]


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CirclesFileError) as raised:
        load_circles(tmp_path / "nope.yaml")

    assert raised.value.errors[0].startswith(f"{tmp_path / 'nope.yaml'}: cannot read the file:")


def test_an_empty_file_is_an_error() -> None:
    assert errors_of("") == ["circles.yaml:1: the file is empty"]


def test_activity_settings_are_read_and_their_mistakes_reported_at_their_line() -> None:
    good = VALID.replace(
        "    jira: {project: PAY}",
        "    jira: {project: PAY}\n"
        "    gitlab_activity_project: acme/pay\n"
        "    gitlab_internal_project: sre/internal\n"
        "    activities:\n"
        "      labels: {activity: work, wip: 'doing::now'}\n"
        "      feedback_escalation: {remind: 0, note: 2, team_leader: 4}\n"
        "      deadline_risk: {elapsed: 75%, ticked: 0.4}",
    )
    [circle] = parse_circles(textwrap.dedent(good), "circles.yaml").circles
    policy = circle.activities
    assert (circle.gitlab_internal_project, policy.labels.activity, policy.labels.wip) == (
        "sre/internal",
        "work",
        "doing::now",
    )
    assert policy.feedback_escalation.steps() == ((2, "note"), (4, "team_leader"))
    assert (policy.deadline_risk.elapsed, policy.deadline_risk.ticked) == (0.75, 0.4)
    assert as_stored(parse_circles(good).specs[0]) == circle

    bad = VALID.replace(
        "    jira: {project: PAY}",
        "    jira: {project: PAY}\n"
        "    activities:\n"
        "      labels: {todo: 'status::wip'}\n"
        "      feedback_escalation: {remind: 3, note: 2}\n"
        "      deadline_risk: {elapsed: 120%}",
    )
    assert errors_of(bad) == [
        f"circles.yaml:{line_of(bad, 'labels: {todo')}: circles[0].activities.labels: "
        "todo, wip, review and done need four different labels",
        f"circles.yaml:{line_of(bad, 'feedback_escalation')}: circles[0].activities.feedback_escalation: "
        "the ladder goes remind, then note, then team_leader: give them growing day counts",
        f"circles.yaml:{line_of(bad, '120%')}: circles[0].activities.deadline_risk.elapsed: "
        "'120%' must be above 0% and at most 100%",
    ]
