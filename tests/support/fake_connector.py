"""A local Bot Connector at an activity's serviceUrl: records what the bot sends, answers like Teams.

As strict as Teams where the bot could get it wrong: a new message or reply is answered 201 with
its `{"id": ...}`, an update (PUT) is 200 and recorded as an update of the message it names, and an
update of an activity the connector never issued in that conversation is refused 404. Every Adaptive
Card it receives is validated against Adaptive Card 1.5, and leaving `async with` fails the test if
one was invalid (tests/support/card_check.py).
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.support.card_check import CardCheck, adaptive_cards


@dataclass(frozen=True)
class Sent:
    """One activity the bot sent: to a conversation, or as a reply to `reply_to_id`; `activity_id` is ours."""

    conversation_id: str
    activity: dict[str, Any]
    reply_to_id: str | None = None
    activity_id: str = ""

    @property
    def text(self) -> str:
        return str(self.activity.get("text") or "")

    @property
    def cards(self) -> list[dict[str, Any]]:
        """The Adaptive Cards attached to this activity."""
        return adaptive_cards(self.activity)


def _channel_of(conversation_id: str) -> str:
    """A channel thread's id is "<channel>;messageid=<root>": Teams finds the thread's messages by either."""
    return conversation_id.split(";messageid=", 1)[0]


def _not_found(activity_id: str) -> web.Response:
    body = {"error": {"code": "NotFound", "message": f"activity {activity_id} not found in this conversation"}}
    return web.json_response(body, status=404)


@dataclass
class FakeConnector:
    """`async with FakeConnector() as connector:` then use `connector.service_url` in activities.

    `sent` holds new messages and replies, in order; `updates` holds every PUT, in order.
    """

    sent: list[Sent] = field(default_factory=list)
    updates: list[Sent] = field(default_factory=list)
    authorizations: list[str | None] = field(default_factory=list)
    team_request_threads: list[int] = field(default_factory=list)
    team_name: str = "SRE payments"
    card_check: CardCheck = field(default_factory=CardCheck)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _issued: dict[str, str] = field(default_factory=dict)  # activity id -> channel or chat it is in
    _server: TestServer | None = None

    @property
    def service_url(self) -> str:
        assert self._server is not None, "use FakeConnector with `async with`"
        return str(self._server.make_url("/"))

    def texts(self) -> list[str]:
        return [item.text for item in self.sent if item.text]

    def cards(self) -> list[dict[str, Any]]:
        """The cards of new messages, in order (updates are in `updated_cards`)."""
        return [card for item in self.sent for card in item.cards]

    def updated_cards(self) -> list[dict[str, Any]]:
        """The cards of updates (PUT), in order."""
        return [card for item in self.updates for card in item.cards]

    def cards_as_shown(self) -> list[dict[str, Any]]:
        """The cards of every message sent, in order, each as it reads now (after its updates)."""
        return [card for item in self.sent for card in adaptive_cards(self.latest(item.activity_id))]

    def latest(self, activity_id: str) -> dict[str, Any]:
        """Activity `activity_id` as Teams shows it now: the last update, or the message as sent."""
        for item in reversed(self.updates):
            if item.activity_id == activity_id:
                return item.activity
        for item in self.sent:
            if item.activity_id == activity_id:
                return item.activity
        raise KeyError(activity_id)

    def in_conversation(self, conversation_id: str) -> list[Sent]:
        """What was sent into one conversation (a thread, a chat), in order."""
        return [item for item in self.sent if item.conversation_id == conversation_id]

    async def __aenter__(self) -> FakeConnector:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create_conversation)
        app.router.add_post("/v3/conversations/{conversation_id}/activities", self._send)
        app.router.add_post("/v3/conversations/{conversation_id}/activities/{activity_id}", self._reply)
        app.router.add_put("/v3/conversations/{conversation_id}/activities/{activity_id}", self._update)
        app.router.add_get("/v3/teams/{team_id}", self._team_details)
        app.router.add_get("/v3/teams/{team_id}/conversations", self._team_channels)
        self._server = TestServer(app)
        await self._server.start_server()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._server is not None:
            await self._server.close()
        if exc is None:
            self.card_check.raise_if_any()

    def _issue(self, conversation_id: str) -> str:
        activity_id = f"sent-{next(self._ids)}"
        self._issued[activity_id] = _channel_of(conversation_id)
        return activity_id

    async def _send(self, request: web.Request) -> web.Response:
        return await self._record(request, reply_to_id=None)

    async def _reply(self, request: web.Request) -> web.Response:
        # The replied-to id is usually the user's message, which Teams knows and this fake never saw.
        return await self._record(request, reply_to_id=request.match_info["activity_id"])

    async def _record(self, request: web.Request, *, reply_to_id: str | None) -> web.Response:
        self.authorizations.append(request.headers.get("Authorization"))
        conversation_id = request.match_info["conversation_id"]
        activity = await request.json()
        self.card_check.inspect(f"POST {request.path}", activity)
        activity_id = self._issue(conversation_id)
        self.sent.append(Sent(conversation_id, activity, reply_to_id, activity_id))
        return web.json_response({"id": activity_id}, status=201)

    async def _create_conversation(self, request: web.Request) -> web.Response:
        # A new channel thread: Teams answers with "<channel>;messageid=<root activity id>".
        body = await request.json()
        channel = ((body.get("channelData") or {}).get("channel") or {}).get("id", "unknown-channel")
        activity = body.get("activity") or {}
        self.card_check.inspect(f"POST {request.path}", activity)
        activity_id = self._issue(channel)
        thread = f"{channel};messageid={activity_id}"
        self.sent.append(Sent(thread, activity, None, activity_id))
        return web.json_response({"id": thread, "activityId": activity_id}, status=201)

    async def _update(self, request: web.Request) -> web.Response:
        self.authorizations.append(request.headers.get("Authorization"))
        conversation_id = request.match_info["conversation_id"]
        activity_id = request.match_info["activity_id"]
        if self._issued.get(activity_id) != _channel_of(conversation_id):
            return _not_found(activity_id)
        activity = await request.json()
        self.card_check.inspect(f"PUT {request.path}", activity)
        self.updates.append(Sent(conversation_id, activity, None, activity_id))
        return web.json_response({"id": activity_id})

    async def _team_details(self, request: web.Request) -> web.Response:
        self.team_request_threads.append(threading.get_ident())
        team_id = request.match_info["team_id"]
        return web.json_response({"id": team_id, "name": self.team_name, "aadGroupId": "group-1"})

    async def _team_channels(self, request: web.Request) -> web.Response:
        self.team_request_threads.append(threading.get_ident())
        team_id = request.match_info["team_id"]
        return web.json_response(
            {"conversations": [{"id": team_id, "name": None}, {"id": "19:incidents@thread.tacv2", "name": "incidents"}]}
        )
