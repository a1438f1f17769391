"""Reuse one ConnectorClient per (app id, service URL, audience) instead of building one per turn.

botbuilder 4.17.1's _ConnectorFactoryImpl.create builds a new ConnectorClient (with msrest's
configuration, retry policy and a requests session) for every turn: ~9 ms of CPU each, and no
connection reuse. A client holds nothing turn-specific (its credentials refresh their own token),
so one per service URL is enough.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)

log = logging.getLogger(__name__)

# Teams uses a handful of regional service URLs; the bound only stops a flood of made-up ones.
MAX_CACHED_CLIENTS = 64

ClientKey = tuple[str, str, str]


class ConnectorClientCache:
    """A small LRU of connector clients, closed with the app."""

    def __init__(self, max_size: int = MAX_CACHED_CLIENTS) -> None:
        self._clients: OrderedDict[ClientKey, ConnectorClient] = OrderedDict()
        self._max_size = max_size
        self.created = 0

    def get(self, key: ClientKey) -> ConnectorClient | None:
        client = self._clients.get(key)
        if client is not None:
            self._clients.move_to_end(key)
        return client

    def put(self, key: ClientKey, client: ConnectorClient) -> ConnectorClient:
        """Keep `client` unless another turn cached one first; returns the cached one."""
        existing = self._clients.get(key)
        if existing is not None:
            return existing
        self._clients[key] = client
        self.created += 1
        if len(self._clients) > self._max_size:
            self._clients.popitem(last=False)
        return client

    async def close(self) -> None:
        clients, self._clients = list(self._clients.values()), OrderedDict()
        for client in clients:
            try:
                await client.__aexit__(None, None, None)
            except Exception:  # closing is best effort at shutdown
                log.debug("closing a connector client failed", exc_info=True)


class CachingConnectorFactory(ConnectorFactory):  # type: ignore[misc]
    def __init__(self, inner: ConnectorFactory, app_id: str, cache: ConnectorClientCache) -> None:
        self._inner = inner
        self._app_id = app_id
        self._cache = cache

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        key = (self._app_id, service_url, audience or "")
        client = self._cache.get(key)
        if client is None:
            client = self._cache.put(key, await self._inner.create(service_url, audience))
        return client


class CachingBotFrameworkAuthentication(BotFrameworkAuthentication):  # type: ignore[misc]
    """Delegates everything to botbuilder's authentication, but hands out caching connector factories."""

    def __init__(self, inner: BotFrameworkAuthentication, cache: ConnectorClientCache | None = None) -> None:
        self._inner = inner
        self.connectors = cache or ConnectorClientCache()
        self._user_token_clients: dict[str, UserTokenClient] = {}

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        result = await self._inner.authenticate_request(activity, auth_header)
        if result.connector_factory is not None:
            result.connector_factory = CachingConnectorFactory(
                result.connector_factory, _app_id(result.claims_identity), self.connectors
            )
        return result

    async def authenticate_streaming_request(
        self, auth_header: str, channel_id_header: str
    ) -> AuthenticateRequestResult:
        return await self._inner.authenticate_streaming_request(auth_header, channel_id_header)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return CachingConnectorFactory(
            self._inner.create_connector_factory(claims_identity), _app_id(claims_identity), self.connectors
        )

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        # Built every turn too (an msrest TokenApiClient), though it depends only on the app id.
        app_id = _app_id(claims_identity)
        client = self._user_token_clients.get(app_id)
        if client is None:
            client = await self._inner.create_user_token_client(claims_identity)
            if len(self._user_token_clients) < MAX_CACHED_CLIENTS:
                self._user_token_clients[app_id] = client
        return client

    def create_bot_framework_client(self) -> Any:
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return str(self._inner.get_originating_audience())

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self._inner.authenticate_channel_request(auth_header)


def _app_id(claims_identity: ClaimsIdentity | None) -> str:
    # The same lookup botbuilder's factory uses: audience for channel tokens, appid for the emulator.
    if claims_identity is None:
        return ""
    claims = claims_identity.claims or {}
    app_id = claims.get(AuthenticationConstants.AUDIENCE_CLAIM)
    return str(app_id or claims.get(AuthenticationConstants.APP_ID_CLAIM) or "")
