"""When to try an external write again: exponential backoff with jitter, Retry-After first."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff for attempt n is base·2^(n-1), capped, with 'equal jitter' (half fixed, half random)."""

    max_attempts: int = 12
    base: timedelta = timedelta(seconds=2)
    cap: timedelta = timedelta(minutes=15)

    def delay(
        self, attempt: int, *, retry_after: timedelta | None = None, rng: random.Random | None = None
    ) -> timedelta:
        """How long to wait before the next try, after `attempt` tries have failed."""
        if attempt < 1:
            raise ValueError("attempt counts from 1")
        exponential = min(self.cap, self.base * (1 << min(attempt - 1, 30)))
        half = exponential / 2
        jittered = half + half * (rng or random).random()
        # The server knows its own load: never come back earlier than it asked.
        if retry_after is not None and retry_after > jittered:
            return min(retry_after, self.cap * 4)
        return jittered

    def gives_up_after(self, attempt: int) -> bool:
        """True when `attempt` failed tries are all we allow."""
        return attempt >= self.max_attempts
