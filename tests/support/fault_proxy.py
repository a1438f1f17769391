"""A fault-injecting HTTP proxy to put in front of a fake peer (Jira, GitLab), as the issue #11 runs did.

The peer stays honest; the proxy breaks the conversation the way networks and gateways do:

- `refuse(only, status)`: answer without forwarding, as a gateway does (HTML for 5xx, plain text
  for 429, with `Retry-After`): the peer never saw the request;
- `late(only, seconds)`: forward, let the peer do the work, then answer `seconds` late (a client
  with a shorter timeout gives up, though the work was done);
- `drop(only)`: forward, then close the connection before any answer;
- `hang(only)`: never forward, never answer, until the proxy stops.

Each rule applies to the next `times` requests whose "METHOD /path" matches the glob `only`.
"""

from __future__ import annotations

import asyncio
import fnmatch
import socket
from dataclasses import dataclass

from aiohttp import ClientSession, ClientTimeout, web

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "content-encoding"}
_REASONS = {429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


@dataclass
class _Rule:
    only: str
    action: str
    times: int
    status: int = 502
    seconds: float = 0.0
    retry_after: str | None = None


class FaultProxy:
    """Forwards to `upstream`, breaking what its rules say; start() returns its own base URL."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.url = ""
        self.faults_injected: list[str] = []
        self._rules: list[_Rule] = []
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None

    def refuse(self, only: str, status: int, *, times: int = 1, retry_after: int | None = None) -> None:
        retry = None if retry_after is None else str(retry_after)
        self._rules.append(_Rule(only, "refuse", times, status=status, retry_after=retry))

    def late(self, only: str, seconds: float, *, times: int = 1) -> None:
        self._rules.append(_Rule(only, "late", times, seconds=seconds))

    def drop(self, only: str, *, times: int = 1) -> None:
        self._rules.append(_Rule(only, "drop", times))

    def hang(self, only: str = "*", *, times: int = 1_000_000) -> None:
        self._rules.append(_Rule(only, "hang", times))

    async def start(self) -> str:
        self._session = ClientSession(timeout=ClientTimeout(total=120), auto_decompress=False)
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(self._runner, sock).start()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        return self.url

    async def stop(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> FaultProxy:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    def _take(self, line: str) -> _Rule | None:
        rule = next((r for r in self._rules if r.times > 0 and fnmatch.fnmatchcase(line, r.only)), None)
        if rule is not None:
            rule.times -= 1
            self.faults_injected.append(f"{rule.action} {line}")
        return rule

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        line = f"{request.method} {request.path}"
        rule = self._take(line)
        if rule is not None and rule.action == "hang":
            await self._release.wait()
            raise web.HTTPServiceUnavailable()
        if rule is not None and rule.action == "refuse":
            return _gateway_answer(rule)
        upstream = await self._forward(request)
        if rule is not None and rule.action == "drop":
            if request.transport is not None:
                request.transport.close()
            raise web.HTTPServiceUnavailable()
        if rule is not None and rule.action == "late":
            await asyncio.sleep(rule.seconds)
        return upstream

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None, "start() the proxy first"
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        body = await request.read()
        async with self._session.request(
            request.method, f"{self.upstream}{request.path_qs}", headers=headers, data=body or None
        ) as answer:
            payload = await answer.read()
            kept = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP}
            return web.Response(status=answer.status, body=payload, headers=kept)


def _gateway_answer(rule: _Rule) -> web.Response:
    headers = {"Retry-After": rule.retry_after} if rule.retry_after else {}
    reason = _REASONS.get(rule.status, "Error")
    if rule.status >= 500:
        page = f"<html><head><title>{rule.status} {reason}</title></head><body><h1>{reason}</h1></body></html>"
        return web.Response(text=page, status=rule.status, content_type="text/html", headers=headers)
    return web.Response(text=reason, status=rule.status, content_type="text/plain", headers=headers)
