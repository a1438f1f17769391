"""Teams tab SSO: the token a tab gets from `microsoftTeams.authentication.getAuthToken()`,
validated here against the bot's app registration before the dashboard shows anything.

The token is an Entra ID v2 access token for the app's ID URI (`api://<host>/<app id>`, the
manifest's `webApplicationInfo.resource`) or its app id: signed with a key from Entra ID's
published key set, not expired, for our audience, issued by the tenant it names. Its `oid` is
the member's Entra object id, matched against `aad_object_id` in circles.yaml.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import jwt

ENTRA_KEYS_URL = "https://login.microsoftonline.com/common/discovery/v2.0/keys"
# Clocks drift; Bot Framework's own validation allows five minutes too.
LEEWAY_SECONDS = 300


class SsoError(Exception):
    """The token is missing, malformed, forged, expired or not for us; the message says which."""


@dataclass(frozen=True)
class SsoUser:
    object_id: str
    tenant_id: str
    name: str


class TeamsSsoValidator:
    def __init__(
        self, audiences: tuple[str, ...], *, tenant_id: str = "", keys_url: str = ENTRA_KEYS_URL, timeout: float = 5.0
    ) -> None:
        self._audiences = [a for a in audiences if a]
        self._tenant_id = tenant_id.lower()
        # PyJWT caches the key set and refetches it when a token names an unknown key id.
        self._keys = jwt.PyJWKClient(keys_url, cache_jwk_set=True, lifespan=3600, timeout=int(timeout))
        # Tokens are issued by the authority that publishes the keys (login.microsoftonline.us in
        # national clouds), or by the v1 endpoint sts.windows.net.
        self._authority = keys_url.split("://", 1)[-1].split("/", 1)[0]

    async def validate(self, token: str) -> SsoUser:
        """The member a tab token names; SsoError when it is not a valid token for this app."""
        if not self._audiences:
            raise SsoError("Teams sign-in is off: MicrosoftAppId is not set")
        # The key fetch is blocking HTTP: keep it off the event loop.
        return await asyncio.to_thread(self._validate, token)

    def _validate(self, token: str) -> SsoUser:
        try:
            key = self._keys.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                audience=self._audiences,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "aud", "iss", "tid", "oid"]},
            )
        except jwt.PyJWKClientError as error:
            raise SsoError(f"cannot check the token's signature: {error}") from None
        except jwt.InvalidTokenError as error:
            raise SsoError(f"invalid Teams token: {error}") from None
        tenant = str(claims["tid"]).lower()
        if claims["iss"] not in (
            f"https://{self._authority}/{tenant}/v2.0",
            f"https://sts.windows.net/{tenant}/",
        ):
            raise SsoError("invalid Teams token: its issuer is not the tenant it names")
        if self._tenant_id and tenant != self._tenant_id:
            raise SsoError("invalid Teams token: another tenant (this bot is single-tenant)")
        return SsoUser(str(claims["oid"]), tenant, str(claims.get("name", "")))
