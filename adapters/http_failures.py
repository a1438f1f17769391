"""One reading of a peer's failed HTTP answer, shared by the Jira, GitLab and Bot Connector clients.

The outbox needs two things from a failure: may it be retried, and not before when. A status the
peer uses for "busy" or "try again" (5xx, 429, the transient 4xx below, or no answer at all)
becomes RetryLater with the peer's `Retry-After`, which RFC 9110 allows as delay-seconds or as an
HTTP date; anything else becomes PermanentFailure, so the row is parked at once with a hint of
what to fix instead of being retried for hours.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from adapters.outbox_relay import PermanentFailure, RetryLater

# Timeout, conflict, locked, too early, too many requests: the same request may succeed later.
TRANSIENT_STATUSES: frozenset[int] = frozenset({408, 409, 423, 425, 429})


def retry_after(headers: Mapping[str, str] | None, now: datetime) -> timedelta | None:
    """The `Retry-After` header (any capitalisation) as a delay; None when absent or unreadable."""
    value = next((v for k, v in (headers or {}).items() if k.lower() == "retry-after"), None)
    if not value:
        return None
    value = value.strip()
    try:
        return timedelta(seconds=max(0.0, float(value)))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:  # RFC 9110 dates are GMT; parsedate gives a naive time for "-0000".
        return None
    return max(timedelta(0), moment - now)


def failure(
    peer: str,
    status: int | None,
    *,
    what: str,
    detail: str,
    retry_after: timedelta | None = None,
    hints: Mapping[int, str] | None = None,
    transient: Collection[int] = TRANSIENT_STATUSES,
) -> RetryLater | PermanentFailure:
    """The outbox's verdict on `peer`'s answer `status` to the attempt to `what`.

    `detail` is what the peer said; `hints` say, per status, what the operator should check
    (401: which credentials; 403: which permission), and end the message of a refusal.
    """
    hint = (hints or {}).get(status) if status is not None else None
    if status is None or status >= 500 or status in transient:
        label = f"HTTP {status}" if status else "no HTTP status"
        # A 429 says the peer did nothing: a create refused so certainly did not happen.
        return RetryLater(f"{peer} could not {what}: {detail} ({label})", retry_after, not_applied=status == 429)
    if status == 401:
        return PermanentFailure(f"{peer} rejected the credentials (HTTP 401)" + (f": {hint}" if hint else ""))
    return PermanentFailure(f"{peer} refused to {what}: {detail} (HTTP {status})" + (f"; {hint}" if hint else ""))
