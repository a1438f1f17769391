"""What an activity must be before any turn runs: a reachable http(s) serviceUrl, ids that fit.

Checked at the door so a bad field is one clear 400, not a failure deep in the turn (a column
too short, a NUL byte PostgreSQL refuses) with an apology to the user and a stack trace.
In anonymous mode (no MicrosoftAppId: the local playground and tests) nothing vouches for the
caller, so the bot only ever writes back to loopback or to ALLOWED_SERVICE_URLS: else anyone
could have it post to, and remember, a host of their choosing.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

# The columns the fields are stored in (storage/conversations.py) bound these.
FIELD_LIMITS: dict[str, int] = {
    "id": 512,
    "serviceUrl": 1024,
    "conversation.id": 1024,
    "conversation.tenantId": 128,
    "from.id": 512,
    "from.aadObjectId": 128,
    "channelData.channel.id": 512,
    "channelData.team.id": 512,
    "channelData.tenant.id": 128,
}
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


class Refused(Exception):
    """The activity is refused at the door; `status` and the message are the answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class ServiceUrlPolicy:
    """Where replies may go: anywhere http(s) when tokens are checked, else loopback or the allowlist."""

    anonymous: bool
    allowed: tuple[str, ...] = ()

    def check(self, service_url: str) -> None:
        parts = _http_url(service_url)
        if parts is None:
            raise Refused(400, f"serviceUrl must be an http:// or https:// URL with a host (got {service_url[:80]!r})")
        if not self.anonymous or _is_loopback(parts.hostname or ""):
            return
        if any(_within(service_url, allowed) for allowed in self.allowed):
            return
        raise Refused(
            403,
            "in anonymous mode (no MicrosoftAppId) replies go only to loopback or to ALLOWED_SERVICE_URLS; "
            f"{parts.scheme}://{parts.netloc}/ is neither",
        )


def check_fields(body: dict[str, Any]) -> None:
    """Refuse (400) a field over its limit or carrying a NUL byte, naming the field."""
    for name, limit in FIELD_LIMITS.items():
        value = _at(body, name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise Refused(400, f"{name} must be a string")
        if len(value) > limit:
            raise Refused(400, f"{name} is {len(value)} characters long; at most {limit} are accepted")
        if "\x00" in value:
            raise Refused(400, f"{name} contains a NUL byte")


def _http_url(url: str) -> Any:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return parts


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _within(url: str, allowed: str) -> bool:
    """Same scheme, host and port, and the path starts with the allowed one (so no look-alike hosts)."""
    given, prefix = urlsplit(url), urlsplit(allowed)
    if (given.scheme.lower(), given.netloc.lower()) != (prefix.scheme.lower(), prefix.netloc.lower()):
        return False
    base = prefix.path.rstrip("/")
    return not base or given.path == base or given.path.startswith(base + "/")


def _at(body: dict[str, Any], dotted: str) -> Any:
    value: Any = body
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value
