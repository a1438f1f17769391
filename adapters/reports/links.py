"""Signed, expiring links to the dashboard and the CSV export, for report cards and weekly posts.

A link names one circle and one period and carries an HMAC-SHA256 of them and its expiry, so
whoever holds it sees that circle's report until it expires and nothing else. The secret is
CIRCLEBOT_LINK_SECRET; without it, one derived from MicrosoftAppPassword (shared by replicas),
and in anonymous local mode a random one per process (links die with the process).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

# A weekly post's link must still open on the last day of the week after.
LINK_LIFETIME = timedelta(days=8)


class LinkError(ValueError):
    """The link was not made by this bot, was changed, or has expired."""


@dataclass(frozen=True)
class LinkGrant:
    circle: str
    period: str
    expires: datetime


class LinkSigner:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the link secret must have at least 16 bytes")
        self._secret = secret

    @classmethod
    def from_settings(cls, link_secret: str, app_password: str) -> LinkSigner:
        if link_secret:
            return cls(link_secret.encode())
        if app_password:
            return cls(hmac.new(app_password.encode(), b"circlebot dashboard links", hashlib.sha256).digest())
        return cls(secrets.token_bytes(32))

    def query(self, circle: str, period: str, now: datetime) -> str:
        """`circle=…&period=…&exp=…&sig=…` for a link valid from `now` for LINK_LIFETIME."""
        expires = int((now + LINK_LIFETIME).timestamp())
        return urlencode(
            {"circle": circle, "period": period, "exp": expires, "sig": self._sign(circle, period, expires)}
        )

    def verify(self, params: dict[str, str], now: datetime) -> LinkGrant:
        """The grant a link's query carries; LinkError when it is forged, altered or expired."""
        try:
            circle, period, expires = params["circle"], params["period"], int(params["exp"])
        except (KeyError, ValueError):
            raise LinkError("this link is incomplete: open the dashboard again from a /report card") from None
        if not hmac.compare_digest(self._sign(circle, period, expires), params.get("sig", "")):
            raise LinkError("this link is not valid: open the dashboard again from a /report card")
        if now.timestamp() >= expires:
            raise LinkError("this link has expired: type /report for a fresh one")
        return LinkGrant(circle, period, datetime.fromtimestamp(expires, tz=now.tzinfo))

    def _sign(self, circle: str, period: str, expires: int) -> str:
        message = f"{circle}\n{period}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()
