"""A create that may already have happened is never repeated blindly.

A create whose answer was lost (timeout, dropped connection, a 5xx from a proxy after Jira did
the work) may have succeeded, and Jira's search may not show it for seconds to minutes (Jira
Cloud documents its search as eventually consistent): a retry that searches once and creates
again made 9 of 10 incidents two issues. So, for every outbox create:

1. Look for the thing by its exact key (a label no person uses). Found: done; found twice (it
   happened anyway, e.g. before this rule): keep the oldest, close the others with a link.
2. Not found, and a create was sent less than `window` ago: wait and look again (the wait does
   not use up one of the row's attempts).
3. Not found after the window: record "create sent at …" on the outbox row (committed before the
   request, so it survives kill -9), then create.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TypeVar

from adapters.outbox_relay import RetryLater
from domain.clock import Clock
from storage.outbox import OutboxMessage

log = logging.getLogger(__name__)

T = TypeVar("T")

CREATE_SENT_AT = "create_sent_at"
# How often to look again inside the window.
LOOK_AGAIN_EVERY = timedelta(seconds=10)


async def create_once(
    message: OutboxMessage,
    *,
    clock: Clock,
    window: timedelta,
    find: Callable[[], Awaitable[list[T]]],
    create: Callable[[], Awaitable[T]],
    close_duplicate: Callable[[T, T], Awaitable[None]] | None = None,
    what: str = "the issue",
) -> T:
    """The one thing `find` finds, else the result of `create` once the window allows it."""
    found = await find()
    if found:
        original, *duplicates = found
        for duplicate in duplicates:
            if close_duplicate is not None:
                await close_duplicate(duplicate, original)
        return original
    now = clock.now()
    sent_at = _when(message.progress.get(CREATE_SENT_AT))
    if sent_at is not None and now - sent_at < window:
        remaining = window - (now - sent_at)
        raise RetryLater(
            f"a create of {what} was sent at {sent_at:%H:%M:%S} UTC and may have succeeded; "
            f"looking for it again before creating (for up to {remaining.total_seconds():.0f} s more)",
            retry_after=min(remaining, LOOK_AGAIN_EVERY),
            counts=False,
        )
    if message.save_progress is not None:
        await message.save_progress({**message.progress, CREATE_SENT_AT: now.isoformat()})
    try:
        return await create()
    except RetryLater as error:
        if error.not_applied and message.save_progress is not None:
            # Refused outright (rate limited): nothing was created, so the next try need not wait.
            await message.save_progress({k: v for k, v in message.progress.items() if k != CREATE_SENT_AT})
        raise


def _when(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
