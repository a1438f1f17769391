"""The Bot Connector REST API, called directly with aiohttp for proactive messages.

Why not botframework-connector's ConnectorClient: it hides the status code and `Retry-After`
behind msrest exceptions, runs msrest's own retry policy underneath ours, and costs ~9 ms of CPU
per client. The three calls we need are plain JSON over HTTPS; aiohttp gives us the status,
the headers and the timeouts directly, and one session pools connections per service URL.
botbuilder is still what gets the bearer token (MSAL, with its cache).
"""

from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from enum import Enum
from typing import Any, Protocol
from urllib.parse import quote

import aiohttp
from msrest.serialization import Model, Serializer

from adapters.http_failures import failure, retry_after
from adapters.outbox_relay import RetryLater
from domain.clock import Clock

log = logging.getLogger(__name__)

_token_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="teams-token")

# Teams' documented transient answers: throttled, precondition race, gateway trouble.
RETRYABLE_STATUSES = frozenset({429, 412, 502, 503, 504})

# Connecting is harmless to retry (nothing was sent), so it fails fast. Once the request is
# out, a timeout leaves us not knowing whether Teams posted the message; waiting longer for the
# answer makes that rarer, so reading gets a generous timeout (still under the relay's own).
DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=3.0, sock_read=15.0)


class TokenSource(Protocol):
    async def token(self, *, refresh: bool = False) -> str | None:
        """A bearer token for the Bot Connector, or None in anonymous mode; `refresh` skips caches."""
        ...


class AnonymousTokens:
    """No MicrosoftAppId: local playground and tests, requests carry no Authorization header."""

    async def token(self, *, refresh: bool = False) -> str | None:
        return None


class BotFrameworkTokens:
    """Tokens from botbuilder's app credentials (password or user-assigned managed identity)."""

    def __init__(self, app_id: str, app_password: str, app_type: str, app_tenant_id: str) -> None:
        self._app_id = app_id
        self._app_password = app_password
        self._app_type = app_type.lower()
        self._app_tenant_id = app_tenant_id or None
        self._credentials: Any = None

    async def token(self, *, refresh: bool = False) -> str | None:
        if refresh or self._credentials is None:
            # MSAL serves a cached token until it expires; a new credentials object is the
            # only way to make it fetch a fresh one after Teams rejected the cached one.
            self._credentials = self._new_credentials()
        # MSAL's token call is blocking HTTP: keep it off the event loop, on the Teams lane's own
        # thread (MSAL serves the cached token without HTTP, so one thread is plenty).
        token: str = await asyncio.get_running_loop().run_in_executor(
            _token_executor, self._credentials.get_access_token
        )
        return token

    def _new_credentials(self) -> Any:
        from botframework.connector.auth import ManagedIdentityAppCredentials, MicrosoftAppCredentials

        if self._app_type == "userassignedmsi":
            return ManagedIdentityAppCredentials(self._app_id)
        tenant = self._app_tenant_id if self._app_type == "singletenant" else None
        return MicrosoftAppCredentials(self._app_id, self._app_password, channel_auth_tenant=tenant)


def token_source(*, app_id: str, app_password: str, app_type: str, app_tenant_id: str) -> TokenSource:
    """Anonymous without an app id, botbuilder credentials otherwise."""
    if not app_id:
        return AnonymousTokens()
    return BotFrameworkTokens(app_id, app_password, app_type, app_tenant_id)


class BotConnector:
    """POST/PUT activities and create conversations on a conversation's service URL."""

    def __init__(
        self,
        tokens: TokenSource,
        clock: Clock,
        *,
        timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
    ) -> None:
        self._tokens = tokens
        self._clock = clock
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    async def send_to_conversation(
        self, service_url: str, conversation_id: str, activity: dict[str, Any]
    ) -> dict[str, Any]:
        """Post an activity into a conversation; Teams answers {"id": activity id}."""
        return await self._request("POST", _activities_url(service_url, conversation_id), activity)

    async def reply_to_activity(
        self, service_url: str, conversation_id: str, reply_to_id: str, activity: dict[str, Any]
    ) -> dict[str, Any]:
        """Post an activity as a reply to `reply_to_id` (Teams threads it, or appends it)."""
        url = _activities_url(service_url, conversation_id, reply_to_id)
        # botframework-connector sends this header with replies (and only with them).
        return await self._request("POST", url, activity, {"x-ms-conversation-id": conversation_id})

    async def update_activity(
        self, service_url: str, conversation_id: str, activity_id: str, activity: dict[str, Any]
    ) -> dict[str, Any]:
        """Replace a posted activity in place (PUT is idempotent: a retry is harmless)."""
        url = _activities_url(service_url, conversation_id, activity_id)
        return await self._request("PUT", url, {**activity, "id": activity_id})

    async def create_conversation(self, service_url: str, parameters: dict[str, Any]) -> dict[str, Any]:
        """Start a conversation (a new channel thread); Teams answers {"id", "activityId"}."""
        return await self._request("POST", f"{_base(service_url)}/v3/conversations", parameters)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _request(
        self, method: str, url: str, body: dict[str, Any], extra_headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        status, headers, text = await self._attempt(method, url, body, extra_headers, refresh_token=False)
        if status == 401 and not isinstance(self._tokens, AnonymousTokens):
            # A token can be revoked or rotated before it expires: fetch a fresh one, once.
            log.info("Bot Connector answered 401; retrying once with a fresh token", extra={"url": url})
            status, headers, text = await self._attempt(method, url, body, extra_headers, refresh_token=True)
        return self._answer(method, url, status, headers, text)

    async def _attempt(
        self,
        method: str,
        url: str,
        body: dict[str, Any],
        extra_headers: dict[str, str] | None,
        *,
        refresh_token: bool,
    ) -> tuple[int, dict[str, str], str]:
        headers = {"Content-Type": "application/json", **(extra_headers or {})}
        try:
            token = await self._tokens.token(refresh=refresh_token)
        except Exception as error:  # MSAL raises PermissionError, network errors, anything.
            raise RetryLater(f"could not get a Bot Framework token: {error}") from error
        if token:
            headers["Authorization"] = f"Bearer {token}"
        session = self._client()
        try:
            data = json.dumps(body, default=wire_json)
            async with session.request(method, url, data=data, headers=headers) as response:
                return response.status, dict(response.headers), await response.text()
        except aiohttp.ClientConnectorError as error:
            # Nothing reached Teams: retrying cannot duplicate anything.
            raise RetryLater(f"cannot connect to {url}: {error}") from error
        except (TimeoutError, aiohttp.ClientError) as error:
            # The request may have been posted and only the answer lost (see teams_delivery).
            raise RetryLater(f"{method} {url}: no answer ({type(error).__name__}), outcome unknown") from error

    def _answer(self, method: str, url: str, status: int, headers: dict[str, str], text: str) -> dict[str, Any]:
        if 200 <= status < 300:
            try:
                answer = json.loads(text) if text.strip() else {}
            except ValueError:
                answer = {}
            return answer if isinstance(answer, dict) else {}
        removed = "the bot may have been removed from the conversation"
        raise failure(
            "Teams",
            status,
            what=f"{method} {url}",
            detail=_error_text(text),
            retry_after=retry_after(headers, self._clock.now()),
            hints={401: "check MicrosoftAppId/MicrosoftAppPassword", 403: removed, 404: removed},
            transient=RETRYABLE_STATUSES,
        )

    def _client(self) -> aiohttp.ClientSession:
        # Built on first use, inside the running loop; one pool serves every service URL.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session


def wire_json(value: Any) -> Any:
    """json.dumps `default` for botbuilder objects: models by their wire names, as msrest writes them.

    msrest's own serialiser walks every nested dict (a whole Adaptive Card) in Python; here the
    json module walks plain data in C and calls back only for models, enums and dates.
    """
    if isinstance(value, Model):
        return model_fields(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return Serializer.serialize_iso(value)  # type: ignore[no-untyped-call]
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def model_fields(model: Model) -> dict[str, Any]:
    """A msrest model's set attributes under their wire names, values as they are (see wire_json)."""
    # botbuilder's schema has no flattened ("a.b") keys, read-only fields or additional_properties,
    # so the attribute map is all msrest would apply.
    fields: dict[str, Any] = {}
    for name, spec in model._attribute_map.items():
        value = getattr(model, name, None)
        if value is not None:
            fields[spec["key"]] = value
    return fields


def _activities_url(service_url: str, conversation_id: str, activity_id: str | None = None) -> str:
    """`…/v3/conversations/{id}/activities[/{activity id}]`, ids escaped (thread ids carry ";=")."""
    url = f"{_base(service_url)}/v3/conversations/{quote(conversation_id, safe='')}/activities"
    return f"{url}/{quote(activity_id, safe='')}" if activity_id else url


def _base(url: str) -> str:
    return url.rstrip("/")


def _error_text(body: str) -> str:
    """Teams' {"error": {"code", "message"}} as one short line, or the start of the body."""
    try:
        error = json.loads(body).get("error", {})
        return f"{error.get('code', '?')}: {error.get('message', '')}"[:300]
    except (ValueError, AttributeError):
        return body[:300] or "(empty body)"
