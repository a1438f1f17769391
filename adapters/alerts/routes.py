"""The alert webhooks' front door: authenticate, validate, commit to the inbox, answer at once.

`POST /api/alerts/alertmanager` and `POST /api/alerts/grafana` store each notification as an
`alerts.ingest` outbox row (the outbox doubles as a durable inbox) and answer 200 before any
incident work; the relay ingests it (adapters/alerts/delivery.py). A redelivery of the same news
has the same idempotency key and is absorbed here, answered 200 with status "duplicate".
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from adapters.alerts.payloads import (
    ALERTMANAGER,
    GRAFANA,
    AlertPayloadError,
    IngestAlerts,
    parse_notification,
)
from storage.inbox import Inbox
from storage.unit_of_work import UnitOfWorkFactory

log = logging.getLogger(__name__)

ALERTMANAGER_PATH = "/api/alerts/alertmanager"
GRAFANA_PATH = "/api/alerts/grafana"
# A storm in one group (Alertmanager's max_alerts defaults to 0, "all") is ~1 KB per alert:
# 4 MB takes several thousand alerts while bounding what an authenticated sender can make us hold.
MAX_ALERT_BODY_BYTES = 4 * 1024 * 1024
_CHUNK_BYTES = 64 * 1024


def alert_routes(
    uow_factory: UnitOfWorkFactory, webhook_token: str
) -> dict[str, Callable[[web.Request], Awaitable[web.Response]]]:
    """The two webhook endpoints (POST) by path; `webhook_token` is ALERT_WEBHOOK_TOKEN (empty: circle tokens only)."""
    tokens = WebhookTokens(uow_factory, webhook_token)
    inbox = Inbox(uow_factory)  # one for both doors: a storm's notifications commit together
    return {
        ALERTMANAGER_PATH: _receiver(ALERTMANAGER, tokens, inbox),
        GRAFANA_PATH: _receiver(GRAFANA, tokens, inbox),
    }


@dataclass(frozen=True)
class Caller:
    """Who a valid token says is calling: any sender (circle None: route by labels) or one circle's."""

    circle: str | None


class WebhookTokens:
    """Checks bearer tokens in constant time against ALERT_WEBHOOK_TOKEN and the circles' tokens.

    Circles store only the SHA-256 of their token, so every comparison is between digests of
    equal length, and `hmac.compare_digest` leaks nothing through timing.
    """

    def __init__(self, uow_factory: UnitOfWorkFactory, webhook_token: str) -> None:
        self._uow_factory = uow_factory
        self._global_digest = _digest(webhook_token) if webhook_token else None

    async def caller(self, token: str) -> Caller | None:
        """The caller this token identifies, or None when it is not a token we know."""
        presented = _digest(token)
        if self._global_digest is not None and hmac.compare_digest(presented, self._global_digest):
            return Caller(circle=None)
        async with self._uow_factory.reader() as uow:
            circles = await uow.circles.active()
        match = None
        for circle in circles:
            digest = circle.alerts.token_sha256
            if digest and hmac.compare_digest(presented, digest) and match is None:
                match = Caller(circle=circle.name)
        return match


def _receiver(sender: str, tokens: WebhookTokens, inbox: Inbox) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def receive(request: web.Request) -> web.Response:
        token = _bearer_token(request)
        if token is None:
            return _refuse(401, "send the webhook token as `Authorization: Bearer <token>` (see ALERT_WEBHOOK_TOKEN)")
        caller = await tokens.caller(token)
        if caller is None:
            return _refuse(401, "the bearer token is not ALERT_WEBHOOK_TOKEN nor any circle's alerts token")
        if (request.content_length or 0) > MAX_ALERT_BODY_BYTES:
            return _refuse(413, _too_large())
        body = await _read_limited(request)
        if body is None:
            return _refuse(413, _too_large())
        try:
            notification = parse_notification(body, sender)
        except AlertPayloadError as error:
            return _refuse(400, f"not a {sender} webhook notification: {error}")
        new = await inbox.put(IngestAlerts.of(notification, caller.circle))
        return web.json_response({"status": "accepted" if new else "duplicate", "alerts": len(notification.alerts)})

    return receive


def _bearer_token(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


async def _read_limited(request: web.Request) -> bytes | None:
    """The body, or None once it passes the limit (chunked bodies carry no Content-Length)."""
    # Not request.read(): the app's client_max_size is sized for Teams activities, not alert storms.
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(_CHUNK_BYTES):
        size += len(chunk)
        if size > MAX_ALERT_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _refuse(status: int, reason: str) -> web.Response:
    log.warning("alert webhook refused (%d): %s", status, reason, extra={"status": status})
    headers = {"WWW-Authenticate": 'Bearer realm="circlebot alerts"'} if status == 401 else None
    return web.json_response({"error": reason}, status=status, headers=headers)


def _too_large() -> str:
    return (
        f"the body is over {MAX_ALERT_BODY_BYTES // (1024 * 1024)} MB; "
        "lower max_alerts in the sender's webhook config or group alerts more finely"
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
