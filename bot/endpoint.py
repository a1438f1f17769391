"""`POST /api/messages`: the Bot Framework front door, around botbuilder 4.17.1's known defects.

We do what CloudAdapter.process does, but: an invoke response with a body (adaptiveCard/action)
is written as it is, where `process` runs it through serializer_helper again and answers 500; a
malformed or forged Authorization header is a 401, where `process` lets the JWT library's error
escape as a 500; and every rejection is a short JSON reason, never a stack trace.

Before botbuilder sees a request: the body is JSON within a nesting limit, the fields fit their
columns and the serviceUrl is one we may write to (bot/front_door.py), and a token that cannot be
valid is a 401 before any signing key is fetched (bot/token_precheck.py). A well-formed token we
cannot check right now (keys unreachable) is a prompt 503, never a queue.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from botbuilder.core import Bot, InvokeResponse
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
from msrest.serialization import Model

from adapters.json_body import BodyError, parse_json, without_unstorable
from adapters.log_setup import request_id
from bot.front_door import Refused, ServiceUrlPolicy, check_fields
from bot.schema_codec import activity_from_json
from bot.token_precheck import ForgedToken, precheck, trusted_issuers

log = logging.getLogger(__name__)

MESSAGES_PATH = "/api/messages"
_MAX_REQUEST_ID = 64


@dataclass(frozen=True)
class Door:
    """Who may knock: the app id tokens must name (empty: anonymous mode) and where replies may go."""

    app_id: str = ""
    tenant_id: str = ""
    service_urls: ServiceUrlPolicy = field(default_factory=lambda: ServiceUrlPolicy(anonymous=True))

    @property
    def anonymous(self) -> bool:
        return not self.app_id


def messages_handler(
    adapter: CloudAdapter, bot: Bot, door: Door | None = None
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The aiohttp handler for POST /api/messages."""
    door = door or Door()
    issuers = trusted_issuers(door.tenant_id)

    async def messages(request: web.Request) -> web.Response:
        if request.content_type != "application/json":
            return _problem(415, "Content-Type must be application/json")
        try:
            body = parse_json(await request.read())
        except web.HTTPRequestEntityTooLarge:
            return _problem(413, f"an activity must be under {request.client_max_size // 1024} KB")
        except BodyError as error:
            return _problem(400, str(error))
        try:
            _check_door(body, door)
        except Refused as refused:
            return _problem(refused.status, str(refused))
        activity, reason = _parse_activity(body)
        if activity is None:
            return _problem(400, reason)
        if activity.id:
            request_id.set(str(activity.id)[:_MAX_REQUEST_ID])

        authorization = request.headers.get("Authorization", "")
        if not door.anonymous:
            try:
                precheck(authorization, app_id=door.app_id, issuers=issuers)
            except ForgedToken as error:
                log.warning("refused a token that cannot be valid: %s", error)
                return _unauthorized(error)
        authentication = adapter.bot_framework_authentication
        try:
            authenticated = await authentication.authenticate_request(activity, authorization)
        except PermissionError as error:
            return _unauthorized(error)
        except OSError as error:  # the token keys could not be fetched: our problem, not the caller's
            log.warning("could not validate a token: %s", error)
            return _problem(503, "cannot validate tokens right now", headers={"Retry-After": "5"})
        except Exception as error:  # the JWT library's decode errors, "Invalid app_id", …
            return _unauthorized(error)

        try:
            invoke_response = await adapter.process_activity(authenticated, activity, bot.on_turn)
        except Exception:
            # The adapter's on_turn_error already answered the user; this is its own failure.
            log.exception("turn failed", extra={"activity_type": activity.type})
            return _problem(500, f"internal error (ref {request_id.get()})")
        if invoke_response is None:
            return web.Response(status=200)
        return _write_invoke_response(invoke_response)

    return messages


def _check_door(body: Any, door: Door) -> None:
    if not isinstance(body, dict):
        return  # _parse_activity says what is wrong with it
    check_fields(body)
    for name in ("text", "value"):
        # What people type and what cards submit reach the database: no NULs, no lone surrogates.
        if name in body:
            body[name] = without_unstorable(body[name])
    service_url = body.get("serviceUrl")
    if isinstance(service_url, str) and service_url:
        door.service_urls.check(service_url)
    elif service_url is not None:
        raise Refused(400, "serviceUrl must be an http:// or https:// URL")


def _parse_activity(body: Any) -> tuple[Activity | None, str]:
    if not isinstance(body, dict):
        return None, "the body must be a JSON object (a Bot Framework activity)"
    if not isinstance(body.get("type"), str) or not body["type"]:
        return None, "an activity needs a 'type'"
    try:
        activity = activity_from_json(body)
    except Exception as error:  # msrest's DeserializationError and the type errors under it
        return None, f"not a Bot Framework activity: {error.__class__.__name__}"
    if not activity.service_url or activity.conversation is None or not activity.conversation.id:
        return None, "an activity needs 'serviceUrl' and 'conversation.id'"
    return activity, ""


def _write_invoke_response(invoke_response: InvokeResponse) -> web.Response:
    status = int(invoke_response.status or 200)
    body = invoke_response.body
    if isinstance(body, Model):
        body = body.serialize()  # type: ignore[no-untyped-call]
    if body is None:
        return web.Response(status=status)
    return web.Response(status=status, text=json.dumps(body, default=str), content_type="application/json")


def _unauthorized(error: Exception) -> web.Response:
    # The class name says enough to debug; the message could quote the token.
    log.warning("rejected a request: %s", error.__class__.__name__)
    return _problem(401, "missing or invalid Bot Framework token", headers={"WWW-Authenticate": "Bearer"})


def _problem(status: int, reason: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": reason}, status=status, headers=headers)
