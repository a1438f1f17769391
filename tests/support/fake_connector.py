"""A local Bot Connector at an activity's serviceUrl: records what the bot sends, answers like Teams."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass(frozen=True)
class Sent:
    """One activity the bot sent: to a conversation, or as a reply to `reply_to_id`."""

    conversation_id: str
    activity: dict[str, Any]
    reply_to_id: str | None = None

    @property
    def text(self) -> str:
        return str(self.activity.get("text") or "")

    @property
    def cards(self) -> list[dict[str, Any]]:
        """The Adaptive Cards attached to this activity."""
        return [
            attachment["content"]
            for attachment in self.activity.get("attachments") or []
            if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]


@dataclass
class FakeConnector:
    """`async with FakeConnector() as connector:` then use `connector.service_url` in activities."""

    sent: list[Sent] = field(default_factory=list)
    authorizations: list[str | None] = field(default_factory=list)
    team_request_threads: list[int] = field(default_factory=list)
    team_name: str = "SRE payments"
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _server: TestServer | None = None

    @property
    def service_url(self) -> str:
        assert self._server is not None, "use FakeConnector with `async with`"
        return str(self._server.make_url("/"))

    def texts(self) -> list[str]:
        return [item.text for item in self.sent if item.text]

    def cards(self) -> list[dict[str, Any]]:
        return [card for item in self.sent for card in item.cards]

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

    async def _send(self, request: web.Request) -> web.Response:
        return await self._record(request, reply_to_id=None)

    async def _reply(self, request: web.Request) -> web.Response:
        return await self._record(request, reply_to_id=request.match_info["activity_id"])

    async def _record(self, request: web.Request, *, reply_to_id: str | None) -> web.Response:
        self.authorizations.append(request.headers.get("Authorization"))
        activity = await request.json()
        self.sent.append(Sent(request.match_info["conversation_id"], activity, reply_to_id))
        return web.json_response({"id": f"sent-{next(self._ids)}"})

    async def _create_conversation(self, request: web.Request) -> web.Response:
        # A new channel thread: Teams answers with "<channel>;messageid=<root activity id>".
        body = await request.json()
        channel = ((body.get("channelData") or {}).get("channel") or {}).get("id", "unknown-channel")
        activity_id = f"sent-{next(self._ids)}"
        thread = f"{channel};messageid={activity_id}"
        self.sent.append(Sent(thread, body.get("activity") or {}, None))
        return web.json_response({"id": thread, "activityId": activity_id})

    def in_conversation(self, conversation_id: str) -> list[Sent]:
        """What was sent into one conversation (a thread, a chat), in order."""
        return [item for item in self.sent if item.conversation_id == conversation_id]

    async def _update(self, request: web.Request) -> web.Response:
        activity = await request.json()
        self.sent.append(Sent(request.match_info["conversation_id"], activity, request.match_info["activity_id"]))
        return web.json_response({"id": request.match_info["activity_id"]})

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
