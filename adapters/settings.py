"""Process settings from the environment and `.env` (every variable is listed in the README)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.durations import parse_duration

DEFAULT_DATABASE_URL = "sqlite:///var/circlebot.db"


class SettingsError(Exception):
    """A setting has a bad value; the message is one line naming the variable."""


class Settings(BaseSettings):
    """Everything the process reads from its environment."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True)

    database_url: str = Field(DEFAULT_DATABASE_URL, alias="DATABASE_URL")
    app_id: str = Field("", alias="MicrosoftAppId")
    app_password: str = Field("", alias="MicrosoftAppPassword", repr=False)
    app_type: Literal["MultiTenant", "SingleTenant", "UserAssignedMSI"] = Field("MultiTenant", alias="MicrosoftAppType")
    app_tenant_id: str = Field("", alias="MicrosoftAppTenantId")
    circles_config: Path | None = Field(None, alias="CIRCLEBOT_CONFIG")
    jira_url: str = Field("", alias="JIRA_URL")
    jira_user: str = Field("", alias="JIRA_USER")
    jira_token: str = Field("", alias="JIRA_TOKEN", repr=False)
    gitlab_url: str = Field("", alias="GITLAB_URL")
    gitlab_token: str = Field("", alias="GITLAB_TOKEN", repr=False)
    gitlab_webhook_token: str = Field("", alias="GITLAB_WEBHOOK_TOKEN", repr=False)
    # How often the leader reads every open activity issue back, for webhook events it missed.
    gitlab_reconcile_minutes: float = Field(30.0, alias="GITLAB_RECONCILE_MINUTES", gt=0, le=1440)
    alert_webhook_token: str = Field("", alias="ALERT_WEBHOOK_TOKEN", repr=False)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", alias="LOG_LEVEL")
    log_format: Literal["auto", "json", "text"] = Field("auto", alias="LOG_FORMAT")
    outbox_max_attempts: int = Field(12, alias="OUTBOX_MAX_ATTEMPTS", ge=1, le=1000)
    outbox_delivery_timeout: float = Field(20.0, alias="OUTBOX_DELIVERY_TIMEOUT", gt=0, le=600)
    tick_seconds: float = Field(1.0, alias="CIRCLEBOT_TICK_SECONDS", gt=0, le=60)
    allowed_service_urls: str = Field("", alias="ALLOWED_SERVICE_URLS")
    consistency_window: float = Field(60.0, alias="TRACKER_CONSISTENCY_WINDOW", ge=0, le=3600)
    public_url: str = Field("http://127.0.0.1:3978", alias="CIRCLEBOT_PUBLIC_URL")
    link_secret: str = Field("", alias="CIRCLEBOT_LINK_SECRET", repr=False)
    tab_resource: str = Field("", alias="CIRCLEBOT_TAB_RESOURCE")
    sso_keys_url: str = Field(
        "https://login.microsoftonline.com/common/discovery/v2.0/keys", alias="CIRCLEBOT_SSO_KEYS_URL"
    )
    # Catch-up after a restart (adapters/schedule_planner.py): how late missed runs are still done.
    shift_change_grace: timedelta = Field(timedelta(hours=12), alias="CIRCLEBOT_SHIFT_CHANGE_GRACE")
    catch_up_grace: timedelta = Field(timedelta(hours=1), alias="CIRCLEBOT_CATCH_UP_GRACE")
    plan_lookback: timedelta = Field(timedelta(hours=12), alias="CIRCLEBOT_PLAN_LOOKBACK")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("shift_change_grace", "catch_up_grace", "plan_lookback", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        # The same duration words as circles.yaml ("12h", "90m", "1d"); plain seconds work too.
        if isinstance(value, str):
            return timedelta(seconds=int(value)) if value.strip().isdigit() else parse_duration(value)
        return value

    @field_validator("shift_change_grace", "catch_up_grace", "plan_lookback")
    @classmethod
    def _not_negative(cls, value: timedelta) -> timedelta:
        if value < timedelta(0) or value > timedelta(days=7):
            raise ValueError("expected a duration from 0s to 7d, like 12h or 30m")
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "sqlite+", "postgresql:", "postgresql+", "postgres:")):
            raise ValueError("expected a sqlite:/// or postgresql:// URL")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected the bot's public http(s):// base URL, like https://circlebot.example.com")
        return value.rstrip("/")

    @field_validator("link_secret")
    @classmethod
    def _long_secret(cls, value: str) -> str:
        if value and len(value) < 16:
            raise ValueError("expected at least 16 characters (e.g. openssl rand -hex 32)")
        return value

    @field_validator("jira_url", "gitlab_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("allowed_service_urls")
    @classmethod
    def _http_prefixes(cls, value: str) -> str:
        for url in value.split(","):
            if url.strip() and not url.strip().startswith(("http://", "https://")):
                raise ValueError(f"expected comma-separated http:// or https:// URLs; {url.strip()!r} is not one")
        return value

    @model_validator(mode="after")
    def _complete_bot_identity(self) -> Settings:
        # Without these the bot would authenticate requests but fail on its first reply: say so at start.
        app_type = self.app_type
        if not self.app_id:
            if app_type != "MultiTenant":
                raise ValueError(f"MicrosoftAppId: required when MicrosoftAppType is {app_type}")
        elif app_type in ("SingleTenant", "UserAssignedMSI") and not self.app_tenant_id:
            raise ValueError(f"MicrosoftAppTenantId: required when MicrosoftAppType is {app_type}")
        elif app_type != "UserAssignedMSI" and not self.app_password:
            raise ValueError(f"MicrosoftAppPassword: required when MicrosoftAppId is set ({app_type})")
        return self

    @property
    def anonymous(self) -> bool:
        """True when no app id is set: local playground and tests, no Bot Framework auth."""
        return not self.app_id

    @property
    def service_url_allowlist(self) -> tuple[str, ...]:
        """ALLOWED_SERVICE_URLS as a tuple: where an anonymous-mode bot may write besides loopback."""
        return tuple(url.strip() for url in self.allowed_service_urls.split(",") if url.strip())

    @property
    def tab_audiences(self) -> tuple[str, ...]:
        """What a dashboard tab's Teams SSO token may name as its audience: the app id or its ID URI."""
        host = self.public_url.split("://", 1)[1].split("/", 1)[0]
        resource = self.tab_resource or f"api://{host}/{self.app_id}"
        return (self.app_id, resource) if self.app_id else ()

    @property
    def jira_enabled(self) -> bool:
        return bool(self.jira_url)

    @property
    def gitlab_enabled(self) -> bool:
        return bool(self.gitlab_url)


def load_settings(**overrides: Any) -> Settings:
    """Read settings; a bad value raises SettingsError naming the variable and what is expected."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        first = error.errors()[0]
        expected = first["msg"].removeprefix("Value error, ")
        if not first["loc"]:  # a rule across several variables names them in its message
            raise SettingsError(expected) from None
        variable = _alias_of(str(first["loc"][0]))
        raise SettingsError(f"{variable}: {expected} (got {first.get('input')!r})") from None


def _alias_of(field_or_alias: str) -> str:
    field = Settings.model_fields.get(field_or_alias)
    return field.alias or field_or_alias if field else field_or_alias
