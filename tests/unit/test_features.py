"""Every feature registers once through a FeatureHost, in the order app.FEATURES lists them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from botbuilder.core import TurnContext

import app
from adapters.alerts.routes import ALERTMANAGER_PATH, GRAFANA_PATH
from adapters.settings import load_settings
from bot.commands import ALL_SCOPES, Command, CommandArgs
from bot.feature import FeatureHost, FeatureOrderError, ServiceKey, install_features
from bot.messenger import Messenger
from bot.wiring import BotComponents, install_bot

GREETER: ServiceKey[str] = ServiceKey("greeting.text")


@dataclass
class Greeting:
    """A feature that offers a service and registers a command, a card verb and a webhook."""

    name: str = "greeting"
    requires: tuple[str, ...] = ()

    def install(self, host: FeatureHost) -> None:
        host.provide(GREETER, "hello")
        host.commands.register(Command("hello", "hello", "Say hello", ALL_SCOPES, _hello))
        host.card_actions.register("greeting.wave", _wave)
        host.add_route("POST", "/api/greeting", _greeting_route)


@dataclass
class Reply:
    """A feature that needs the greeting's service."""

    name: str = "reply"
    requires: tuple[str, ...] = ("greeting",)
    heard: list[str] = field(default_factory=list)

    def install(self, host: FeatureHost) -> None:
        self.heard.append(host.service(GREETER))


async def _hello(_turn_context: TurnContext, _args: CommandArgs) -> None:
    return None


async def _wave(_turn_context: TurnContext, _data: dict[str, Any]) -> str:
    return "👋"


async def _greeting_route(_request: web.Request) -> web.Response:
    return web.Response(text="hi")


@dataclass
class Host:
    app: web.Application
    bot: BotComponents
    host: FeatureHost


@pytest.fixture
async def host(tmp_path: Path) -> AsyncIterator[Host]:
    settings = load_settings(DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}", _env_file=None)
    runtime = app.build_runtime(settings)
    application = web.Application()
    bot = install_bot(application, runtime)
    yield Host(application, bot, FeatureHost(application, runtime, bot, Messenger()))
    await runtime.database.dispose()


def test_a_feature_registers_its_command_card_verb_and_route(host: Host) -> None:
    install_features(host.host, [Greeting()])
    assert host.bot.commands.get("hello") is not None
    assert host.bot.card_actions.get("greeting.wave") is _wave
    assert "/api/greeting" in {resource.canonical for resource in host.app.router.resources()}


def test_a_feature_uses_the_services_of_the_features_it_requires(host: Host) -> None:
    reply = Reply()
    install_features(host.host, [Greeting(), reply])
    assert reply.heard == ["hello"]


def test_a_feature_listed_before_one_it_requires_is_refused_before_it_installs(host: Host) -> None:
    reply = Reply()
    with pytest.raises(FeatureOrderError, match="'reply' requires greeting: list it earlier"):
        install_features(host.host, [reply, Greeting()])
    assert reply.heard == []


def test_a_feature_listed_twice_is_refused(host: Host) -> None:
    with pytest.raises(FeatureOrderError, match="'greeting' is listed twice"):
        install_features(host.host, [Greeting(), Greeting(name="greeting")])


def test_a_service_nobody_provided_is_a_plain_wiring_error(host: Host) -> None:
    with pytest.raises(FeatureOrderError, match=r"no feature provided 'greeting\.text'"):
        host.host.service(GREETER)


def test_the_apps_features_register_every_command_and_webhook(host: Host) -> None:
    install_features(host.host, app.FEATURES)
    for name in ("incident", "oncall", "handover", "postmortem"):
        assert host.bot.commands.get(name) is not None, name
    routes = {resource.canonical for resource in host.app.router.resources()}
    assert {ALERTMANAGER_PATH, GRAFANA_PATH} <= routes
    assert host.bot.card_actions.get("incident.ack") is not None
    assert host.bot.card_actions.get("postmortem.review") is not None
