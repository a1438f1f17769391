"""botbuilder's token-signing keys are fetched without blocking the event loop (a 4.17.1 defect)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botframework.connector.auth import jwt_token_extractor

from bot.signing_keys import fetch_keys_off_the_event_loop

KEYS = [{"kty": "RSA", "kid": "key-1", "n": "sXch", "e": "AQAB", "endorsements": ["msteams"]}]


class SlowKeyServer(BaseHTTPRequestHandler):
    """An OpenID metadata endpoint that takes its time, as a busy login server does."""

    requests_served = 0

    def do_GET(self) -> None:
        SlowKeyServer.requests_served += 1
        time.sleep(0.3)
        host = self.headers["Host"]
        body: Any = {"jwks_uri": f"http://{host}/keys"} if self.path == "/openid" else {"keys": KEYS}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def openid_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowKeyServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/openid"
    finally:
        server.shutdown()
        server.server_close()


async def test_other_turns_run_while_the_keys_are_fetched_and_one_fetch_serves_them_all(openid_url: str) -> None:
    fetch_keys_off_the_event_loop()
    metadata = jwt_token_extractor._OpenIdMetadata(openid_url)
    SlowKeyServer.requests_served = 0
    ticks = 0

    async def another_turn() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    ticker = asyncio.create_task(another_turn())
    try:
        await asyncio.gather(*(metadata._refresh() for _ in range(5)))
    finally:
        ticker.cancel()

    assert metadata.keys == KEYS
    assert ticks > 5  # the loop kept serving while ~0.6 s of fetching happened in a thread
    assert SlowKeyServer.requests_served == 2  # configuration + keys, once for five concurrent turns
