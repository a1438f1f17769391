"""Applying circles.yaml to the database: a readable diff, idempotent, and circles are never deleted."""

from __future__ import annotations

from pathlib import Path

from adapters.circles_file import load_circles, parse_circles
from domain.clock import FixedClock
from storage.circle_config import CirclesConfig
from storage.unit_of_work import UnitOfWorkFactory

EXAMPLE = Path(__file__).resolve().parents[2] / "circles.example.yaml"

TWO_CIRCLES = """\
default_circle: {default}
defaults:
  time_zone: Europe/Rome
  sla:
    P1: {{acknowledge: 5m, resolve: 4h, stakeholder_updates: 30m}}
    P2: {{acknowledge: 15m, resolve: 8h, stakeholder_updates: 1h}}
    P3: {{acknowledge: 1h, resolve: 3d, stakeholder_updates: never}}
    P4: {{acknowledge: 4h, resolve: 10d, stakeholder_updates: never}}
circles:
  - name: payments
    customer: acme
    project: pay
    team_id: team-1
    channel_id: {payments_channel}
    team_leader: alice
    members:
      - {{handle: alice, name: Alice Example, teams_user_id: user-1}}
    jira: {{project: PAY}}
    alert_routes:
      - match: {{service: payments-api}}
  - name: shop
    customer: acme
    project: shop
    team_id: team-1
    channel_id: {shop_channel}
    team_leader: bob
    members:
      - {{handle: bob, name: Bob Example, teams_user_id: user-2}}
    jira: {{project: SHOP}}
    alert_routes:
      - match: {{service: shop-web, env: prod}}
"""


def two_circles(default: str = "shop", payments_channel: str = "channel-1", shop_channel: str = "channel-2") -> str:
    return TWO_CIRCLES.format(default=default, payments_channel=payments_channel, shop_channel=shop_channel)


async def apply(uow_factory: UnitOfWorkFactory, config: CirclesConfig, *, dry_run: bool = False) -> list[str]:
    async with uow_factory() as uow:
        lines = await uow.circles.apply(config, uow_factory.clock.now(), dry_run=dry_run)
        await uow.commit()
    return lines


async def test_applying_the_example_twice_adds_the_circle_once(uow_factory: UnitOfWorkFactory) -> None:
    config = load_circles(EXAMPLE)

    assert await apply(uow_factory, config) == ["+ circle demo", "~ default_circle: none -> demo"]
    assert await apply(uow_factory, config) == ["no changes"]

    async with uow_factory() as uow:
        assert await uow.circles.get("demo") == config.circles[0]
        assert await uow.circles.by_channel("team-id") == config.circles[0]
        assert [c.name for c in await uow.circles.active()] == ["demo"]


async def test_a_changed_sla_is_shown_as_old_and_new_value(uow_factory: UnitOfWorkFactory) -> None:
    text = EXAMPLE.read_text()
    await apply(uow_factory, parse_circles(text))

    changed = text.replace("P1: { acknowledge: 5m,", "P1: { acknowledge: 10m,").replace(
        "gitlab: ericci", "gitlab: elena.ricci"
    )
    assert await apply(uow_factory, parse_circles(changed)) == [
        "~ demo: members.elena.gitlab ericci -> elena.ricci",
        "~ demo: sla.P1.acknowledge 5m -> 10m",
    ]
    async with uow_factory() as uow:
        demo = await uow.circles.get("demo")
    assert demo is not None and demo.member("elena").gitlab_username == "elena.ricci"  # type: ignore[union-attr]


async def test_dry_run_reports_the_changes_and_stores_nothing(uow_factory: UnitOfWorkFactory) -> None:
    config = load_circles(EXAMPLE)

    assert await apply(uow_factory, config, dry_run=True) == ["+ circle demo", "~ default_circle: none -> demo"]

    async with uow_factory() as uow:
        assert await uow.circles.active() == []
        assert await uow.circles.default_circle() is None
    assert await apply(uow_factory, config) == ["+ circle demo", "~ default_circle: none -> demo"]


async def test_a_circle_missing_from_the_file_is_deactivated_not_deleted(uow_factory: UnitOfWorkFactory) -> None:
    both = parse_circles(two_circles(default="payments"))
    only_payments = CirclesConfig(both.specs[:1], default_circle="payments")
    await apply(uow_factory, both)

    assert await apply(uow_factory, only_payments) == ["- circle shop (deactivated)"]

    async with uow_factory() as uow:
        assert [c.name for c in await uow.circles.active()] == ["payments"]
        assert await uow.circles.by_channel("channel-2") is None
        shop = await uow.circles.get("shop")  # old incidents still find their circle
    assert shop is not None and shop.team_leader == "bob"
    assert await apply(uow_factory, both) == ["+ circle shop (reactivated)"]


async def test_a_deactivated_circles_channel_can_be_taken_by_another(uow_factory: UnitOfWorkFactory) -> None:
    await apply(uow_factory, parse_circles(two_circles()))
    payments_only = parse_circles(two_circles()).specs[:1]
    await apply(uow_factory, CirclesConfig(payments_only, default_circle=None))

    moved = parse_circles(two_circles(payments_channel="channel-2", shop_channel="channel-3")).specs[:1]
    lines = await apply(uow_factory, CirclesConfig(moved, default_circle=None))

    assert lines == ["~ payments: channel_id channel-1 -> channel-2"]
    async with uow_factory() as uow:
        assert (await uow.circles.by_channel("channel-2")).name == "payments"  # type: ignore[union-attr]


async def test_two_circles_can_swap_channels(uow_factory: UnitOfWorkFactory) -> None:
    await apply(uow_factory, parse_circles(two_circles()))

    lines = await apply(uow_factory, parse_circles(two_circles(payments_channel="channel-2", shop_channel="channel-1")))

    assert lines == [
        "~ payments: channel_id channel-1 -> channel-2",
        "~ shop: channel_id channel-2 -> channel-1",
    ]
    async with uow_factory() as uow:
        assert (await uow.circles.by_channel("channel-1")).name == "shop"  # type: ignore[union-attr]


async def test_an_alert_goes_to_the_first_matching_route_else_to_the_default_circle(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await apply(uow_factory, parse_circles(two_circles(default="payments")))

    async with uow_factory() as uow:
        routed = await uow.circles.for_alert({"service": "shop-web", "env": "prod", "severity": "critical"})
        partial = await uow.circles.for_alert({"service": "shop-web", "env": "staging"})
        unknown = await uow.circles.for_alert({"alertname": "Watchdog"})

    assert routed is not None and routed.name == "shop"
    assert partial is not None and partial.name == "payments"
    assert unknown is not None and unknown.name == "payments"


async def test_without_a_default_circle_an_unmatched_alert_has_no_circle(
    uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    config = parse_circles(two_circles())
    await apply(uow_factory, CirclesConfig(config.specs, default_circle=None))

    async with uow_factory() as uow:
        assert await uow.circles.for_alert({"alertname": "Watchdog"}) is None
        assert await uow.circles.default_circle() is None
