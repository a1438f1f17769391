"""`/report` and the weekly report through /api/messages, as the Team Leader sees them in Teams."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from domain.clock import FixedClock
from tests.e2e.test_oncall_commands import client, facts, in_demo_channel, privately, runtime_of, say_in_channel  # noqa: F401
from tests.support.activities import channel_message, personal_message
from tests.support.bot_app import BotClient, post_activity
from tests.support.fake_connector import FakeConnector


async def declare_ack_resolve(client: BotClient, connector: FakeConnector) -> None:  # noqa: F811
    """A P1 at 04:00 in Rome, acknowledged after 3 minutes, resolved after an hour."""
    clock: FixedClock = runtime_of(client).clock  # type: ignore[assignment]
    await say_in_channel(client, connector, "/incident P1 checkout returns 500", by="luca")
    clock.advance(timedelta(minutes=3))
    await say_in_channel(client, connector, "/incident ack INC-1", by="luca")
    clock.advance(timedelta(minutes=57))
    await say_in_channel(client, connector, "/incident resolve INC-1 rolled back", by="luca")


async def test_report_in_the_circles_channel_answers_the_weeks_figures_with_a_dashboard_link(
    client: BotClient,  # noqa: F811
    connector: FakeConnector,
) -> None:
    await declare_ack_resolve(client, connector)

    await say_in_channel(client, connector, "/report")

    [card] = connector.cards()
    assert card["body"][0]["text"] == "Report · demo · week of 23 Nov 2026 (so far)"
    shown = facts(card)
    assert shown["Incidents"] == "1 (1 manual, 0 from alerts) (before: 0)"
    assert (shown["MTTA"], shown["MTTR"]) == ("3m", "1h")
    assert shown["SLA met"] == "ack 100% (1/1) · resolve 100% (1/1)"
    assert "Luca Ferrari: 1 page, 1h on incidents (Europe/Rome)" in [b.get("text") for b in card["body"]]
    [button] = card["actions"]
    url = urlsplit(button["url"])
    assert (url.scheme, url.netloc, url.path) == ("http", "127.0.0.1:3978", "/tabs/dashboard")
    grant = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert (grant["circle"], grant["period"]) == ("demo", "week")


async def test_report_for_a_month_in_a_personal_chat_picks_the_callers_circle(
    client: BotClient,  # noqa: F811
    connector: FakeConnector,
) -> None:
    await declare_ack_resolve(client, connector)
    connector.sent.clear()

    await post_activity(client, privately(personal_message("report 2026-11", connector.service_url), "marco"))

    [card] = connector.cards()
    assert card["body"][0]["text"] == "Report · demo · November 2026"
    assert card["body"][1]["text"] == "Compared with October 2026 · times in Europe/Rome"


async def test_a_bad_period_or_someone_elses_circle_says_what_to_type(
    client: BotClient,  # noqa: F811
    connector: FakeConnector,
) -> None:
    assert await say_in_channel(client, connector, "/report 2026-13") == [
        "`2026-13` is not a period: use `week`, `month` or a month like `2026-11`"
    ]
    assert await say_in_channel(client, connector, "/report fortnight") == [
        "`fortnight` is neither a period (`week`, `month` or a month like `2026-11`) nor one of your circles (demo)"
    ]
    stranger = channel_message("/report", connector.service_url)
    stranger["from"] = {"id": "user-id-9", "name": "Somebody Else"}
    stranger["conversation"] = {"conversationType": "personal", "id": "a:stranger", "tenantId": "t"}
    stranger["channelData"] = {"tenant": {"id": "t"}}
    connector.sent.clear()
    await post_activity(client, stranger)
    assert connector.texts() == ["You are not a member of any circle, so there is no report for you here"]


async def test_the_weekly_report_is_posted_once_to_the_circles_channel(
    client: BotClient,  # noqa: F811
    connector: FakeConnector,
) -> None:
    await declare_ack_resolve(client, connector)
    runtime = runtime_of(client)
    monday = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 in Rome
    runtime.clock.set(monday - timedelta(hours=2))  # type: ignore[attr-defined]
    first = await runtime.planner.plan()
    again = await runtime.planner.plan()  # a restart, a configuration change: nothing is armed twice
    assert "reports.weekly:demo:2026-11-23" in first.armed and not again.armed
    connector.sent.clear()
    runtime.clock.set(monday)  # type: ignore[attr-defined]

    await runtime.timers.tick()
    await runtime.relay.drain()

    [card] = [c for c in connector.cards() if c["body"][0]["text"].startswith("Report")]
    assert card["body"][0]["text"] == "Report · demo · week of 23 Nov 2026"
    assert facts(card)["Incidents"] == "1 (1 manual, 0 from alerts) (before: 0)"
    query = {k: v[0] for k, v in parse_qs(urlsplit(card["actions"][0]["url"]).query).items()}
    assert query["period"] == "week:2026-11-23"
    assert "Posted late" not in str(card)


async def test_a_weekly_report_missed_while_the_bot_was_down_says_it_is_late(
    client: BotClient,  # noqa: F811
    connector: FakeConnector,
) -> None:
    runtime = runtime_of(client)
    runtime.clock.set(datetime(2026, 11, 30, 6, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    await runtime.planner.plan()
    runtime.clock.set(datetime(2026, 11, 30, 11, 0, tzinfo=UTC))  # type: ignore[attr-defined]  # back at 12:00

    await runtime.timers.tick()
    await runtime.relay.drain()

    [card] = [c for c in connector.cards() if c["body"][0]["text"].startswith("Report")]
    assert card["body"][2]["text"] == ("Posted late: the 09:00 weekly report, sent at 12:00 CET after a restart")


async def test_metrics_expose_open_incidents_breaches_and_response_times_for_grafana(
    client: BotClient,  # noqa: F811
    connector: FakeConnector,
) -> None:
    await declare_ack_resolve(client, connector)
    await say_in_channel(client, connector, "/incident P2 search is slow", by="luca")
    runtime = runtime_of(client)
    runtime.clock.advance(timedelta(minutes=16))  # type: ignore[attr-defined]
    await runtime.timers.tick()  # the P2's 15-minute acknowledge deadline has passed

    text = await (await client.get("/metrics")).text()

    assert 'circlebot_incidents_open{circle="demo",severity="P2"} 1.0' in text
    assert 'circlebot_incidents_total{circle="demo",severity="P1",source="manual"} 1.0' in text
    assert 'circlebot_sla_breaches_total{circle="demo",clock="acknowledge",severity="P2"} 1.0' in text
    assert 'circlebot_escalations_total{circle="demo",severity="P2"} 1.0' in text
    assert 'circlebot_incident_time_to_acknowledge_seconds_count{circle="demo",severity="P1"} 1.0' in text
    assert 'circlebot_incident_time_to_acknowledge_seconds_sum{circle="demo",severity="P1"} 180.0' in text
    assert 'circlebot_incident_time_to_resolve_seconds_sum{circle="demo",severity="P1"} 3600.0' in text
