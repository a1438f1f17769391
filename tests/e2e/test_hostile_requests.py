"""What a hostile or broken caller gets at /api/messages: a fast, clear 4xx, never a 500 or a queue.

Issue #11 findings 4 (forged tokens got 503 and queued behind an unreachable key endpoint),
5 (deep JSON was a 500, an unknown invoke a 501) and 6 (serviceUrl trusted in anonymous mode).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlmodel import select

from bot import signing_keys
from storage.conversations import ConversationReferenceRow
from storage.database import Database
from tests.support.activities import PERSONAL_CONVERSATION_ID, card_action, personal_message
from tests.support.bot_app import BotClient, bot_client, post_activity
from tests.support.fake_connector import FakeConnector

APP_ID = "00000000-0000-0000-0000-000000000001"
CHANNEL_ISSUER = "https://api.botframework.com"


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[BotClient]:
    async with bot_client(f"sqlite:///{tmp_path / 'bot.db'}") as test_client:
        yield test_client


@pytest.fixture
async def authenticated_client(tmp_path: Path) -> AsyncIterator[BotClient]:
    async with bot_client(
        f"sqlite:///{tmp_path / 'bot.db'}", MicrosoftAppId=APP_ID, MicrosoftAppPassword="not-a-real-secret"
    ) as test_client:
        yield test_client


class UnreachableKeys:
    """The Bot Framework key endpoint as seen during an outage: every fetch hangs, then fails."""

    def __init__(self) -> None:
        self.fetches = 0
        self.release = threading.Event()

    def fetch(self, _url: str) -> list[dict[str, Any]]:
        self.fetches += 1
        self.release.wait(timeout=30)
        raise ConnectionError("login.botframework.com unreachable")


@pytest.fixture
def unreachable_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[UnreachableKeys]:
    keys = UnreachableKeys()
    monkeypatch.setattr(signing_keys, "_fetch_keys", keys.fetch)
    signing_keys.forget_keys()
    try:
        yield keys
    finally:
        keys.release.set()
        signing_keys.forget_keys()


def _claims(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": CHANNEL_ISSUER,
        "aud": APP_ID,
        "serviceurl": "http://127.0.0.1",
        "nbf": now - timedelta(minutes=1),
        "exp": now + timedelta(hours=1),
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def rs256_token(**overrides: Any) -> str:
    """Well formed and signed with an RSA key, as Bot Framework's are (but not with its key)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(_claims(**overrides), key, algorithm="RS256", headers={"kid": "key-1"})


def unsigned_token() -> str:
    return jwt.encode(_claims(), None, algorithm="none")


def hs256_token() -> str:
    return jwt.encode(_claims(), "a-guessed-secret-that-is-long-enough-for-hs256", algorithm="HS256")


# --- finding 4: tokens --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(unsigned_token, id="alg-none"),
        pytest.param(hs256_token, id="symmetric-hs256"),
        pytest.param(lambda: rs256_token(iss="https://attacker.example"), id="wrong-issuer"),
        pytest.param(lambda: rs256_token(aud="someone-elses-bot"), id="wrong-audience"),
        pytest.param(lambda: rs256_token(exp=datetime.now(UTC) - timedelta(hours=1)), id="expired"),
        pytest.param(lambda: rs256_token(exp=None), id="no-expiry"),
    ],
)
async def test_a_token_that_cannot_be_valid_is_401_without_fetching_keys(
    authenticated_client: BotClient, connector: FakeConnector, unreachable_keys: UnreachableKeys, token: Any
) -> None:
    response = await post_activity(
        authenticated_client, personal_message("help", connector.service_url), Authorization=f"Bearer {token()}"
    )

    assert response.status == 401
    assert unreachable_keys.fetches == 0
    assert connector.sent == []


async def test_well_formed_tokens_get_a_prompt_503_and_share_one_fetch_while_keys_are_unreachable(
    authenticated_client: BotClient, connector: FakeConnector, unreachable_keys: UnreachableKeys
) -> None:
    started = time.monotonic()

    responses = await asyncio.gather(
        *(
            post_activity(
                authenticated_client,
                personal_message("help", connector.service_url),
                Authorization=f"Bearer {rs256_token()}",
            )
            for _ in range(6)
        )
    )

    # Queued one behind another they took 10, 20, … 60 s; together they are bounded by one wait.
    assert time.monotonic() - started < 2 * signing_keys.CHECK_WAIT_SECONDS + 3
    assert [r.status for r in responses] == [503] * 6
    assert all(r.headers["Retry-After"] for r in responses)
    assert unreachable_keys.fetches == 1
    assert connector.sent == []


async def test_a_failed_key_fetch_is_remembered_so_the_next_request_does_not_wait(
    authenticated_client: BotClient, connector: FakeConnector, unreachable_keys: UnreachableKeys
) -> None:
    unreachable_keys.release.set()  # the endpoint now fails at once
    first = await post_activity(
        authenticated_client, personal_message("help", connector.service_url), Authorization=f"Bearer {rs256_token()}"
    )
    second = await post_activity(
        authenticated_client, personal_message("help", connector.service_url), Authorization=f"Bearer {rs256_token()}"
    )

    assert (first.status, second.status) == (503, 503)
    assert unreachable_keys.fetches == 1


# --- finding 5: bodies and invokes --------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/messages", "/api/alerts/alertmanager", "/api/alerts/grafana"])
async def test_deeply_nested_json_is_400_not_500(client: BotClient, path: str) -> None:
    body = "[" * 50_000 + "]" * 50_000

    response = await client.post(
        path, data=body, headers={"Content-Type": "application/json", "Authorization": "Bearer any"}
    )

    assert response.status in (400, 401)  # the alert routes check the token first
    if response.status == 400:
        assert "nested" in (await response.json())["error"]


async def test_deeply_nested_json_inside_an_activity_is_400(client: BotClient, connector: FakeConnector) -> None:
    activity = personal_message("help", connector.service_url)
    deep: Any = "bottom"
    for _ in range(200):
        deep = {"x": deep}
    activity["channelData"] = deep

    response = await post_activity(client, activity)

    assert response.status == 400
    assert "nested" in (await response.json())["error"]


@pytest.mark.parametrize("body", ['{"type": "message", "text": "\\ud800', "{" * 10, '{"type": 1e999999}'])
async def test_every_parse_error_is_400(client: BotClient, body: str) -> None:
    response = await client.post("/api/messages", data=body, headers={"Content-Type": "application/json"})

    assert response.status == 400


@pytest.mark.parametrize("name", [None, "", "no/such-invoke", "task/fetch", "composeExtension/query"])
async def test_any_invoke_is_answered_200_or_4xx_never_5xx(
    client: BotClient, connector: FakeConnector, name: str | None
) -> None:
    activity = card_action("help", connector.service_url)
    if name is None:
        del activity["name"]
    else:
        activity["name"] = name

    response = await post_activity(client, activity)

    assert 200 <= response.status < 500
    if response.status != 200:
        body = await response.json()
        assert body["type"] == "application/vnd.microsoft.error"
        assert "does not handle" in body["value"]["message"]


# --- finding 6: serviceUrl and field lengths ----------------------------------------------------


@pytest.mark.parametrize(
    "service_url", ["file:///etc/passwd", "ftp://127.0.0.1/", "garbage", "javascript:alert(1)", "http://"]
)
async def test_a_service_url_that_is_not_http_is_400(client: BotClient, service_url: str) -> None:
    response = await post_activity(client, personal_message("help", service_url))

    assert response.status == 400
    assert "serviceUrl" in (await response.json())["error"]


async def test_in_anonymous_mode_a_service_url_off_loopback_is_refused_and_nothing_is_stored(
    client: BotClient, connector: FakeConnector, tmp_path: Path
) -> None:
    response = await post_activity(client, personal_message("help", "https://attacker.example/teams/"))

    assert response.status == 403
    assert "ALLOWED_SERVICE_URLS" in (await response.json())["error"]
    assert await _stored_service_urls(tmp_path) == []


async def test_allowed_service_urls_admit_a_host_in_anonymous_mode(tmp_path: Path, connector: FakeConnector) -> None:
    async with bot_client(
        f"sqlite:///{tmp_path / 'bot.db'}", ALLOWED_SERVICE_URLS="https://smba.example.net/emea/"
    ) as allowing:
        response = await post_activity(allowing, personal_message("help", "https://smba.example.net/emea/"))
        look_alikes = [
            await post_activity(allowing, personal_message("help", url))
            for url in (
                "https://smba.example.net.evil.io/emea/",
                "https://smba.example.net/emeax/",
                "http://smba.example.net/emea/",
            )
        ]

    # Accepted at the door (the reply itself cannot reach the made-up host; that is the outbox's).
    assert response.status != 403
    assert [r.status for r in look_alikes] == [403, 403, 403]


async def test_an_unauthenticated_turn_never_moves_a_stored_conversation_address(
    client: BotClient, connector: FakeConnector, tmp_path: Path
) -> None:
    await post_activity(client, personal_message("help", connector.service_url))
    other_loopback = connector.service_url.replace("127.0.0.1", "localhost")

    await post_activity(client, personal_message("help", other_loopback))

    assert await _stored_service_urls(tmp_path) == [connector.service_url]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("conversation.id", "a:" + "x" * 1100),
        ("from.id", "29:" + "x" * 600),
        ("from.aadObjectId", "x" * 300),
        ("serviceUrl", "http://127.0.0.1/" + "x" * 1100),
        ("id", "1" * 600),
        ("conversation.id", "a:chat\x00with-a-nul"),
    ],
)
async def test_over_long_or_nul_ids_are_a_clear_400_at_the_door(
    client: BotClient, connector: FakeConnector, field: str, value: str
) -> None:
    activity = personal_message("help", connector.service_url)
    target = activity
    *path, last = field.split(".")
    for part in path:
        target = target[part]
    target[last] = value

    response = await post_activity(client, activity)

    assert response.status == 400
    assert field in (await response.json())["error"]
    assert connector.sent == []


async def _stored_service_urls(tmp_path: Path) -> list[str]:
    database = Database(f"sqlite:///{tmp_path / 'bot.db'}")
    try:
        async with database.read_session() as session:
            rows = (
                await session.exec(
                    select(ConversationReferenceRow).where(
                        ConversationReferenceRow.conversation_id == PERSONAL_CONVERSATION_ID
                    )
                )
            ).all()
            return [row.service_url for row in rows]
    finally:
        await database.dispose()
