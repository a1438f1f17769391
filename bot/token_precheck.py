"""Refuse a Bot Framework token that cannot be valid before any signing key is fetched.

botbuilder 4.17.1 fetches the signing keys first and checks the algorithm after: with the key
endpoint unreachable an unsigned (`alg: none`) or HS256 token got a 503, and every forged request
waited for a fetch. What the token says about itself decides most of it: the algorithm must be
one of Bot Framework's RSA ones, the issuer one botbuilder accepts, the audience our app id, and
it must not have expired (with botbuilder's five minutes of clock tolerance). Only a token that
passes all of that is worth a key fetch; the signature check itself stays botbuilder's.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import jwt
from botframework.connector.auth import AuthenticationConstants
from botframework.connector.auth.channel_validation import ChannelValidation
from botframework.connector.auth.emulator_validation import EmulatorValidation
from botframework.connector.auth.government_constants import GovernmentConstants

CLOCK_TOLERANCE_SECONDS = 5 * 60


class ForgedToken(PermissionError):
    """The token cannot be valid; the message says which claim, for the log (never the token)."""


def trusted_issuers(tenant_id: str = "") -> frozenset[str]:
    """The issuers botbuilder accepts: channels (public and US Gov), the Emulator, and our tenant."""
    issuers: set[str] = {
        AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
        GovernmentConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
    }
    for parameters in (
        ChannelValidation.TO_BOT_FROM_CHANNEL_TOKEN_VALIDATION_PARAMETERS,
        EmulatorValidation.TO_BOT_FROM_EMULATOR_TOKEN_VALIDATION_PARAMETERS,
    ):
        issuers.update(str(issuer) for issuer in _as_list(parameters.issuer))
    if tenant_id:
        issuers.update({f"https://sts.windows.net/{tenant_id}/", f"https://login.microsoftonline.com/{tenant_id}/v2.0"})
    return frozenset(issuers)


def precheck(authorization: str, *, app_id: str, issuers: frozenset[str], now: float | None = None) -> None:
    """Raise ForgedToken unless `authorization` is a bearer token that could be a valid one."""
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme != "Bearer" or not token:
        raise ForgedToken("no bearer token")
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise ForgedToken(f"not a JWT ({error.__class__.__name__})") from None
    if header.get("alg") not in AuthenticationConstants.ALLOWED_SIGNING_ALGORITHMS:
        raise ForgedToken(f"algorithm {str(header.get('alg'))[:16]!r} is not one Bot Framework signs with")
    if claims.get("iss") not in issuers:
        raise ForgedToken("issuer is not Bot Framework")
    if app_id not in _as_list(claims.get("aud")):
        raise ForgedToken("audience is not this bot")
    expires = claims.get("exp")
    if not isinstance(expires, (int, float)) or isinstance(expires, bool):
        raise ForgedToken("no expiry")
    if expires + CLOCK_TOLERANCE_SECONDS < (time.time() if now is None else now):
        raise ForgedToken("expired")


def _as_list(value: object) -> list[object]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return list(value)
    return []
