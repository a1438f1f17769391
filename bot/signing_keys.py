"""Workaround: botbuilder 4.17.1 fetches the Bot Framework token-signing keys on the event loop.

`_OpenIdMetadata._refresh` calls blocking `requests.get` without a timeout, once a day and on an
unknown key id: every turn in flight stalls while it runs, and a hanging endpoint would stall the
bot for good. The replacement fetches on its own one-thread executor (never the default pool,
which the rest of the process shares), with a timeout, and:

- one fetch serves every request that needs it at the same moment (they share the task, so
  six requests during an outage all finish together instead of at 10, 20, … 60 s);
- a request waits at most CHECK_WAIT_SECONDS for it, then gets a 503: the fetch carries on and
  the next request joins it;
- a failed fetch is remembered for FAILURE_MEMORY, during which requests get their 503 at once.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from botframework.connector.auth import jwt_token_extractor

FETCH_TIMEOUT_SECONDS = 5.0
CHECK_WAIT_SECONDS = 2.0
FAILURE_MEMORY_SECONDS = 30.0

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="signing-keys")


class KeysUnavailable(OSError):
    """The signing keys cannot be had right now: the token may be fine, we cannot check it (503)."""


@dataclass
class _Fetching:
    task: asyncio.Task[None] | None = None
    failed_at: float | None = None


_state: weakref.WeakKeyDictionary[Any, _Fetching] = weakref.WeakKeyDictionary()


def fetch_keys_off_the_event_loop() -> None:
    """Replace botbuilder's key refresh (idempotent; called when the bot is wired)."""
    metadata_class = jwt_token_extractor._OpenIdMetadata
    if getattr(metadata_class._refresh, "circlebot", False):
        return
    refresh_in_a_thread.circlebot = True  # type: ignore[attr-defined]
    metadata_class._refresh = refresh_in_a_thread


def forget_keys() -> None:
    """Drop fetched keys and remembered failures (tests; a process never needs it)."""
    _state.clear()
    for metadata in jwt_token_extractor.JwtTokenExtractor.metadataCache.values():
        metadata.keys = []
        metadata.last_updated = datetime.min


async def refresh_in_a_thread(self: Any) -> None:
    """Fetch the OpenID configuration and its JWKS, shared by all callers; KeysUnavailable if not now."""
    state = _state.setdefault(self, _Fetching())
    if state.failed_at is not None and time.monotonic() - state.failed_at < FAILURE_MEMORY_SECONDS:
        raise KeysUnavailable("the last signing-key fetch failed moments ago")
    if state.task is None or state.task.done():
        state.task = asyncio.get_running_loop().create_task(_refresh(self, state), name="signing-keys")
        # Every waiter may have given up by the time it fails: read its outcome so none goes unread.
        state.task.add_done_callback(lambda task: task.cancelled() or task.exception())
    try:
        await asyncio.wait_for(asyncio.shield(state.task), timeout=CHECK_WAIT_SECONDS)
    except TimeoutError:
        raise KeysUnavailable(f"the signing keys did not arrive within {CHECK_WAIT_SECONDS:g} s") from None
    except (OSError, ValueError, KeyError) as error:
        raise KeysUnavailable(f"fetching the signing keys failed ({error.__class__.__name__})") from None


async def _refresh(metadata: Any, state: _Fetching) -> None:
    try:
        keys = await asyncio.get_running_loop().run_in_executor(_executor, _fetch_keys, metadata.url)
    except Exception:
        state.failed_at = time.monotonic()
        raise
    metadata.keys = keys
    metadata.last_updated = datetime.now()
    state.failed_at = None


def _fetch_keys(openid_configuration_url: str) -> list[dict[str, Any]]:
    response = requests.get(openid_configuration_url, timeout=FETCH_TIMEOUT_SECONDS)
    response.raise_for_status()
    keys = requests.get(response.json()["jwks_uri"], timeout=FETCH_TIMEOUT_SECONDS)
    keys.raise_for_status()
    return list(keys.json()["keys"])
