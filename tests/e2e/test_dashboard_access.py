"""The dashboard tab is never open: signed links, Teams SSO validated server-side, local mode on this machine only."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric import rsa

from adapters.circles_file import load_circles
from adapters.reports.links import LinkSigner
from adapters.runtime import RUNTIME
from domain.clock import FixedClock
from tests.conftest import EXAMPLE_CIRCLES, START
from tests.support.bot_app import BotClient, bot_client

APP_ID = "11111111-2222-3333-4444-555555555555"
TENANT = "99999999-8888-7777-6666-555555555555"
GIULIA_OID = "00000000-0000-0000-0000-0000000000020"  # the example circle's Team Leader
SECRET = "a-link-secret-of-32-characters!!"
CHARTS = ["mtta", "mttr", "incidents", "breaches", "load", "actions"]


class EntraKeys:
    """A local stand-in for Entra ID's published key set (the JWKS document tokens are checked against)."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        self.document = {"keys": [{**public, "kid": "test-key", "use": "sig", "alg": "RS256"}]}

    async def serve(self, _request: web.Request) -> web.Response:
        return web.json_response(self.document)

    issuer_host = "127.0.0.1"

    def token(self, *, oid: str = GIULIA_OID, audience: str = APP_ID, ttl: int = 3600, key: Any = None) -> str:
        now = int(time.time())
        claims = {
            "aud": audience, "iss": f"https://{self.issuer_host}/{TENANT}/v2.0", "tid": TENANT, "oid": oid,
            "name": "Giulia Rossi", "iat": now - 60, "nbf": now - 60, "exp": now + ttl,
        }  # fmt: skip
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": "test-key"})


@pytest.fixture
async def entra() -> AsyncIterator[tuple[EntraKeys, str]]:
    keys = EntraKeys()
    app = web.Application()
    app.router.add_get("/common/discovery/v2.0/keys", keys.serve)
    async with TestServer(app, host="127.0.0.1") as server:
        keys.issuer_host = f"127.0.0.1:{server.port}"  # tokens come from the authority publishing the keys
        yield keys, str(server.make_url("/common/discovery/v2.0/keys"))


async def _with_circles(client: BotClient) -> BotClient:
    runtime = client.app[RUNTIME]
    async with runtime.uow() as uow:
        await uow.circles.apply(load_circles(EXAMPLE_CIRCLES), runtime.clock.now())
        await uow.commit()
    return client


@pytest.fixture
async def teams_app(tmp_path: Path, entra: tuple[EntraKeys, str]) -> AsyncIterator[BotClient]:
    """The bot registered in Entra ID (not anonymous), trusting the local key set."""
    _keys, url = entra
    settings = {"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "pw", "CIRCLEBOT_LINK_SECRET": SECRET,
                "CIRCLEBOT_SSO_KEYS_URL": url}  # fmt: skip
    async with bot_client(f"sqlite:///{tmp_path / 'bot.db'}", clock=FixedClock(START), **settings) as client:
        yield await _with_circles(client)


@pytest.fixture
async def local_app(tmp_path: Path) -> AsyncIterator[BotClient]:
    async with bot_client(f"sqlite:///{tmp_path / 'bot.db'}", clock=FixedClock(START)) as client:
        yield await _with_circles(client)


def link(circle: str = "demo", period: str = "2026-11", *, at: Any = START) -> str:
    return LinkSigner(SECRET.encode()).query(circle, period, at)


async def test_a_signed_link_opens_that_circles_dashboard_with_every_chart(teams_app: BotClient) -> None:
    response = await teams_app.get(f"/tabs/dashboard?{link()}&theme=dark")

    assert response.status == 200
    html = await response.text()
    assert '<body class="theme-dark">' in html
    assert "demo · November 2026" in html and "shared link, valid until" in html
    for chart in CHARTS:
        assert f'data-chart="{chart}"' in html
    assert "<script" not in html  # nothing to run: the charts are drawn on the server
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'self' https://teams.microsoft.com" in response.headers["Content-Security-Policy"]
    csv = await teams_app.get(f"/tabs/export.csv?{link()}")
    assert csv.status == 200 and (await csv.text()).startswith("incident,severity,source")
    assert csv.headers["Content-Disposition"] == 'attachment; filename="circlebot-demo-2026-11.csv"'


async def test_a_changed_forged_or_expired_link_is_refused(teams_app: BotClient) -> None:
    other_circle = link().replace("circle=demo", "circle=ops")
    expired = link(at=START - timedelta(days=9))
    forged = LinkSigner(b"somebody-elses-secret-32-bytes!!").query("demo", "2026-11", START)

    for query, says in [(other_circle, "not valid"), (expired, "has expired"), (forged, "not valid")]:
        response = await teams_app.get(f"/tabs/dashboard?{query}")
        assert response.status == 403
        assert says in await response.text()
        assert (await teams_app.get(f"/tabs/export.csv?{query}")).status == 403


async def test_inside_teams_the_page_signs_in_first_and_shows_no_figures_before(teams_app: BotClient) -> None:
    response = await teams_app.get("/tabs/dashboard?theme=contrast")

    html = await response.text()
    assert response.status == 200
    assert '<script src="/tabs/static/teams-js.js"></script><script src="/tabs/static/dashboard.js"></script>' in html
    assert "data-chart" not in html and "Signing you in with Teams" in html
    assert (await teams_app.get("/tabs/dashboard/view")).status == 401
    assert (await teams_app.get("/tabs/export.csv?circle=demo&period=week")).status == 401


async def test_a_valid_teams_token_shows_the_members_circle(teams_app: BotClient, entra: tuple[EntraKeys, str]) -> None:
    keys, _url = entra
    headers = {"Authorization": f"Bearer {keys.token()}"}

    response = await teams_app.get("/tabs/dashboard/view?period=2026-11", headers=headers)

    assert response.status == 200
    html = await response.text()
    assert "demo · November 2026" in html and "signed in as Giulia Rossi" in html
    assert all(f'data-chart="{chart}"' in html for chart in CHARTS)
    assert 'data-bearer="1"' in html
    csv = await teams_app.get("/tabs/export.csv?circle=demo&period=2026-11", headers=headers)
    assert csv.status == 200


@pytest.mark.parametrize(
    ("token_options", "status"),
    [
        ({"audience": "api://elsewhere/another-app"}, 401),
        ({"ttl": -3600}, 401),
        ({"key": rsa.generate_private_key(public_exponent=65537, key_size=2048)}, 401),
        ({"oid": "12345678-0000-0000-0000-000000000000"}, 403),  # a real token, but not a member
    ],
    ids=["another app", "expired", "forged signature", "not a member"],
)
async def test_tokens_not_for_a_member_of_this_app_are_refused(
    teams_app: BotClient, entra: tuple[EntraKeys, str], token_options: dict[str, Any], status: int
) -> None:
    keys, _url = entra
    response = await teams_app.get(
        "/tabs/dashboard/view", headers={"Authorization": f"Bearer {keys.token(**token_options)}"}
    )
    assert response.status == status
    assert "data-chart" not in await response.text()


async def test_local_mode_opens_on_this_machine_only_and_says_so(local_app: BotClient) -> None:
    response = await local_app.get("/tabs/dashboard?period=2026-11")

    html = await response.text()
    assert response.status == 200
    assert "Local mode: MicrosoftAppId is empty" in html and 'data-chart="load"' in html
    proxied = await local_app.get("/tabs/dashboard", headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status == 403
    assert (await local_app.get("/tabs/export.csv?circle=demo&period=week")).status == 200


async def test_the_channel_tab_configuration_page_and_the_tabs_own_scripts_are_served(teams_app: BotClient) -> None:
    configure = await teams_app.get("/tabs/configure?theme=dark")
    html = await configure.text()
    assert configure.status == 200 and '<script src="/tabs/static/configure.js"></script>' in html
    for name, kind in [("dashboard.js", "text/javascript"), ("configure.js", "text/javascript"),
                       ("dashboard.css", "text/css")]:  # fmt: skip
        response = await teams_app.get(f"/tabs/static/{name}")
        assert (response.status, response.content_type) == (200, kind)
    assert (await teams_app.get("/tabs/static/../../app.py")).status == 404
    assert (await teams_app.get("/tabs/static/secrets.txt")).status == 404
