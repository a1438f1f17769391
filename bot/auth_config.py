"""Bot Framework authentication from our settings, with connector clients reused per service URL."""

from __future__ import annotations

from dataclasses import dataclass

from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication

from adapters.settings import Settings
from bot.connector_cache import CachingBotFrameworkAuthentication
from bot.signing_keys import fetch_keys_off_the_event_loop


@dataclass(frozen=True)
class BotAuthConfig:
    """The configuration object botbuilder reads with getattr.

    botbuilder's ConfigurationServiceClientCredentialFactory reads APP_ID, APP_PASSWORD, APP_TYPE
    and APP_TENANTID; without them it silently disables authentication. The Microsoft* names are
    the ones people configure (and our settings use), so both spellings are offered.
    """

    MicrosoftAppId: str
    MicrosoftAppPassword: str
    MicrosoftAppType: str
    MicrosoftAppTenantId: str

    @property
    def APP_ID(self) -> str:
        return self.MicrosoftAppId

    @property
    def APP_PASSWORD(self) -> str:
        return self.MicrosoftAppPassword

    @property
    def APP_TYPE(self) -> str:
        return self.MicrosoftAppType

    @property
    def APP_TENANTID(self) -> str:
        return self.MicrosoftAppTenantId

    def __repr__(self) -> str:  # never the password
        return f"BotAuthConfig(MicrosoftAppId={self.MicrosoftAppId!r}, type={self.MicrosoftAppType!r})"


def auth_config(settings: Settings) -> BotAuthConfig:
    """The botbuilder configuration for `settings` (Settings has checked the id/password/tenant rules)."""
    return BotAuthConfig(
        MicrosoftAppId=settings.app_id,
        MicrosoftAppPassword=settings.app_password,
        MicrosoftAppType=settings.app_type,
        MicrosoftAppTenantId=settings.app_tenant_id,
    )


def build_authentication(settings: Settings) -> CachingBotFrameworkAuthentication:
    """Authentication for the CloudAdapter; anonymous only when MicrosoftAppId is empty."""
    fetch_keys_off_the_event_loop()
    return CachingBotFrameworkAuthentication(ConfigurationBotFrameworkAuthentication(auth_config(settings)))
