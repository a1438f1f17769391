"""A local Bot Connector (the /v3/conversations REST API) that records posts and throttles on demand."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.card_check import CardCheck

OK, THROTTLE, FAIL, HANG = "ok", "throttle", "fail", "hang"


@dataclass
class Trouble:
    """How to answer one request: normally, 429 + Retry-After, another status, or post and never answer."""

    kind: str
    status: int = 200
    retry_after: str | None = None


@dataclass
class Posted:
    """An activity as the connector holds it, with when it arrived (time.monotonic)."""

    conversation_id: str
    activity_id: str
    activity: dict[str, Any]
    received_at: float
    updates: int = 0


@dataclass
class ThrottlingConnector:
    """Start it, point a ConversationTarget's serviceUrl at `url`, then read what arrived."""

    conversations: dict[str, list[Posted]] = field(default_factory=dict)
    requests: list[tuple[str, str, int]] = field(default_factory=list)
    authorizations: list[str | None] = field(default_factory=list)
    threads_created: int = 0
    card_check: CardCheck = field(default_factory=CardCheck)
    _script: deque[Trouble] = field(default_factory=deque)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1_700_000_000_001))
    # Teams' per-tenant limit, enforced like Teams does: over it in the trailing second, a 429.
    per_second_limit: int | None = None
    # (time.monotonic, method, conversation id) of every request let through the limit.
    accepted: list[tuple[float, str, str]] = field(default_factory=list)
    over_limit: int = 0
    _release: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None
    url: str = ""

    # --- what the next requests get --------------------------------------------------------

    def throttle(self, times: int, retry_after: str = "1") -> None:
        self._script.extend(Trouble(THROTTLE, 429, retry_after) for _ in range(times))

    def fail(self, times: int, status: int = 503) -> None:
        self._script.extend(Trouble(FAIL, status) for _ in range(times))

    def hang_after_posting(self, times: int = 1) -> None:
        """Post the activity, then never answer: the sender cannot know it arrived."""
        self._script.extend(Trouble(HANG) for _ in range(times))

    def answer_normally(self, times: int) -> None:
        self._script.extend(Trouble(OK) for _ in range(times))

    # --- what arrived ------------------------------------------------------------------------

    def texts(self, conversation_id: str) -> list[str]:
        return [posted.activity.get("text", "") for posted in self.conversations.get(conversation_id, [])]

    def all_posts(self) -> list[Posted]:
        return sorted(
            (posted for posts in self.conversations.values() for posted in posts), key=lambda p: p.received_at
        )

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create_conversation)
        app.router.add_post("/v3/conversations/{conversation_id}/activities", self._post_activity)
        app.router.add_put("/v3/conversations/{conversation_id}/activities/{activity_id}", self._put_activity)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, shutdown_timeout=0.5)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        """Stop; fails the test if any card that arrived was not valid Adaptive Card 1.5."""
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()
        self.card_check.raise_if_any()

    # --- the REST API --------------------------------------------------------------------------

    async def _post_activity(self, request: web.Request) -> web.Response:
        conversation_id = request.match_info["conversation_id"]
        if (refused := self._refusal(request, conversation_id)) is not None:
            return refused
        activity = await request.json()
        self.card_check.inspect(f"POST {request.path}", activity)
        posted = self._record(conversation_id, activity)
        return await self._answer(request, {"id": posted.activity_id})

    async def _put_activity(self, request: web.Request) -> web.Response:
        conversation_id = request.match_info["conversation_id"]
        activity_id = request.match_info["activity_id"]
        if (refused := self._refusal(request, conversation_id)) is not None:
            return refused
        for posted in self.conversations.get(conversation_id, []):
            if posted.activity_id == activity_id:
                posted.activity = await request.json()
                self.card_check.inspect(f"PUT {request.path}", posted.activity)
                posted.updates += 1
                return await self._answer(request, {"id": activity_id})
        return self._log(
            request,
            web.json_response({"error": {"code": "NotFound", "message": "no such activity"}}, status=404),
        )

    async def _create_conversation(self, request: web.Request) -> web.Response:
        parameters = await request.json()
        channel_id = parameters.get("channelData", {}).get("channel", {}).get("id")
        if not channel_id or not parameters.get("isGroup"):
            return self._log(
                request,
                web.json_response({"error": {"code": "BadArgument", "message": "channel needed"}}, status=400),
            )
        if (refused := self._refusal(request, channel_id)) is not None:
            return refused
        activity_id = str(next(self._ids))
        thread_id = f"{channel_id};messageid={activity_id}"
        self.threads_created += 1
        self.card_check.inspect(f"POST {request.path}", parameters["activity"])
        self._record(thread_id, parameters["activity"], activity_id=activity_id)
        return await self._answer(request, {"id": thread_id, "activityId": activity_id})

    def _refusal(self, request: web.Request, conversation_id: str) -> web.Response | None:
        if self.per_second_limit is not None:
            now = time.monotonic()
            recent = sum(1 for moment, _, _ in self.accepted[-self.per_second_limit :] if moment > now - 1.0)
            if recent >= self.per_second_limit:
                self.over_limit += 1
                body = {"error": {"code": "Throttled", "message": "tenant rate limit"}}
                return self._log(request, web.json_response(body, status=429, headers={"Retry-After": "1"}))
            self.accepted.append((now, request.method, conversation_id))
        trouble = self._script[0] if self._script else Trouble(OK)
        if trouble.kind in (OK, HANG):
            return None
        self._script.popleft()
        headers = {"Retry-After": trouble.retry_after} if trouble.retry_after else {}
        body = {
            "error": {
                "code": "Throttled" if trouble.status == 429 else "ServiceError",
                "message": conversation_id,
            }
        }
        return self._log(request, web.json_response(body, status=trouble.status, headers=headers))

    async def _answer(self, request: web.Request, body: dict[str, Any]) -> web.Response:
        if self._script and self._script.popleft().kind == HANG:
            self.requests.append((request.method, request.path, 0))
            await self._release.wait()
        return self._log(request, web.json_response(body, status=200 if request.method == "PUT" else 201))

    def _record(self, conversation_id: str, activity: dict[str, Any], activity_id: str | None = None) -> Posted:
        posted = Posted(conversation_id, activity_id or str(next(self._ids)), activity, time.monotonic())
        self.conversations.setdefault(conversation_id, []).append(posted)
        return posted

    def _log(self, request: web.Request, response: web.Response) -> web.Response:
        self.requests.append((request.method, request.path, response.status))
        self.authorizations.append(request.headers.get("Authorization"))
        return response
