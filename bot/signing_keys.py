"""Workaround: botbuilder 4.17.1 fetches the Bot Framework token-signing keys on the event loop.

`_OpenIdMetadata._refresh` calls blocking `requests.get` without a timeout, once a day and on an
unknown key id: every turn in flight stalls while it runs, and a hanging endpoint would stall the
bot for good. The replacement fetches in a thread, with a timeout, and lets one refresh serve all
the turns that need it at the same moment.
"""

from __future__ import annotations

import asyncio
import weakref
from datetime import datetime
from typing import Any

import requests
from botframework.connector.auth import jwt_token_extractor

FETCH_TIMEOUT_SECONDS = 10.0
_locks: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()


def fetch_keys_off_the_event_loop() -> None:
    """Replace botbuilder's key refresh (idempotent; called when the bot is wired)."""
    metadata_class = jwt_token_extractor._OpenIdMetadata
    if getattr(metadata_class._refresh, "circlebot", False):
        return
    refresh_in_a_thread.circlebot = True  # type: ignore[attr-defined]
    metadata_class._refresh = refresh_in_a_thread


async def refresh_in_a_thread(self: Any) -> None:
    """Fetch the OpenID configuration and its JWKS in a worker thread; one refresh at a time."""
    lock = _locks.setdefault(self, asyncio.Lock())
    started = datetime.now()
    async with lock:
        if self.last_updated >= started:
            return  # another turn refreshed while we waited
        self.keys = await asyncio.to_thread(_fetch_keys, self.url)
        self.last_updated = datetime.now()


def _fetch_keys(openid_configuration_url: str) -> list[dict[str, Any]]:
    response = requests.get(openid_configuration_url, timeout=FETCH_TIMEOUT_SECONDS)
    response.raise_for_status()
    keys = requests.get(response.json()["jwks_uri"], timeout=FETCH_TIMEOUT_SECONDS)
    keys.raise_for_status()
    return list(keys.json()["keys"])
