"""One typed settings object, read once from the environment (and `.env`) in bot/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import AliasChoices, Field, HttpUrl, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.secret_box import parse_keys
from stories.schedule import WEEKDAYS

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "sqlite:///./var/sightline.db"


def _alias(*names: str) -> Any:
    return AliasChoices(*names)


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line naming it."""


class Settings(BaseSettings):
    """Everything Sightline reads from its environment.

    Variables use the ``SIGHTLINE_`` prefix, except Slack's conventional names
    (``SLACK_BOT_TOKEN``, ``SLACK_SIGNING_SECRET``, ``SLACK_APP_TOKEN``, …).
    """

    model_config = SettingsConfigDict(
        env_prefix="SIGHTLINE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(default=DEFAULT_DATABASE_URL, repr=False)  # may hold a password
    host: str = "127.0.0.1"
    port: int = Field(default=3978, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    default_timezone: str = "UTC"
    phone_region: str = "US"
    phone_extra_regions: Annotated[list[str], NoDecode] = Field(default_factory=list)
    config_dir: Path = ROOT / "config"
    public_url: HttpUrl | None = None
    # Signs chart links in Teams cards (bot/charts.py); share one value across replicas.
    chart_signing_key: SecretStr | None = Field(default=None, repr=False)
    # Signs the dashboard's one-time sign-in links (bot/dashboard.py); one value for all replicas.
    dashboard_secret_key: SecretStr | None = Field(default=None, repr=False)

    slack_bot_token: SecretStr | None = Field(
        default=None, validation_alias=_alias("SLACK_BOT_TOKEN", "SIGHTLINE_SLACK_BOT_TOKEN")
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None,
        validation_alias=_alias("SLACK_SIGNING_SECRET", "SIGHTLINE_SLACK_SIGNING_SECRET"),
    )
    slack_app_token: SecretStr | None = Field(
        default=None, validation_alias=_alias("SLACK_APP_TOKEN", "SIGHTLINE_SLACK_APP_TOKEN")
    )
    slack_client_id: str | None = Field(
        default=None, validation_alias=_alias("SLACK_CLIENT_ID", "SIGHTLINE_SLACK_CLIENT_ID")
    )
    slack_client_secret: SecretStr | None = Field(
        default=None,
        validation_alias=_alias("SLACK_CLIENT_SECRET", "SIGHTLINE_SLACK_CLIENT_SECRET"),
    )
    slack_api_url: HttpUrl = HttpUrl("https://slack.com/api/")
    slack_stories_channel: str | None = None  # channel id where shareable stories are posted
    slack_reaction_emoji: str = "customer-story"
    # Messages per second a Slack workspace is posted, by all replicas together (they share
    # it through the database: no per-replica share to set); 300 a minute by default.
    slack_post_rate: float | None = Field(default=5.0, gt=0, le=1000)
    slack_cx_lead_usergroup: str | None = None
    slack_admins_are_cx_leads: bool = True
    # CX leads on either platform: Slack user ids, AAD object ids, e-mails/UPNs (any case).
    cx_leads: Annotated[list[str], NoDecode] = Field(default_factory=list)

    teams_app_id: str | None = Field(
        default=None, validation_alias=_alias("MICROSOFT_APP_ID", "SIGHTLINE_TEAMS_APP_ID")
    )
    teams_app_password: SecretStr | None = Field(
        default=None,
        validation_alias=_alias("MICROSOFT_APP_PASSWORD", "SIGHTLINE_TEAMS_APP_PASSWORD"),
    )
    # None: follows the other settings (see `teams_app_type`): SingleTenant with a tenant id.
    teams_app_type: Literal["MultiTenant", "SingleTenant", "UserAssignedMSI"] | None = Field(
        default=None,
        validation_alias=_alias("MICROSOFT_APP_TYPE", "SIGHTLINE_TEAMS_APP_TYPE"),
    )
    teams_app_tenant_id: str | None = Field(
        default=None,
        validation_alias=_alias("MICROSOFT_APP_TENANT_ID", "SIGHTLINE_TEAMS_APP_TENANT_ID"),
    )
    # Microsoft Entra ID and Graph (national clouds have their own; tests point at fakes).
    teams_login_url: HttpUrl = HttpUrl("https://login.microsoftonline.com/")
    teams_graph_url: HttpUrl = HttpUrl("https://graph.microsoft.com/")
    # Microsoft's local clients talk to a bot without credentials; never on by default.
    teams_allow_anonymous: bool = False
    teams_stories_conversation: str | None = None
    # More leads, read by both platforms as well (the older Teams-only name).
    teams_cx_leads: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Line-of-sight prompts (see README "Line-of-sight prompts").
    prompts_enabled: bool = True  # run the prompt scheduler inside `sightline serve`
    prompt_grace_hours: float = Field(default=2.0, ge=0, le=48)  # catch-up after downtime
    prompt_repeat_window_days: int = Field(default=90, ge=0, le=3650)  # same story, same dept
    prompt_answer_window_hours: float = Field(default=48.0, gt=0, le=24 * 14)
    prompt_reminder_after_hours: float = Field(default=24.0, ge=0, le=24 * 14)  # 0: no reminder
    # A claim lives as long as its owner heartbeats; silent longer than the lease, it is taken
    # over by another replica (README "Leases and takeover").
    prompt_lease_seconds: float = Field(default=10.0, ge=1, le=3600)
    prompt_heartbeat_seconds: float = Field(default=2.0, gt=0, le=600)  # at most lease / 3
    prompt_sweep_seconds: int = Field(default=60, ge=5, le=3600)  # reminders, digests, catch-up
    scheduler_instance: str | None = None  # default: host name and process id

    # The CX leads' channel: the weekly digest and notices of undeliverable prompts.
    leads_slack_channel: str | None = None  # Slack channel id, e.g. C0123456789
    leads_teams_conversation: str | None = None  # Teams conversation id of a channel or chat
    digest_enabled: bool = True  # post the digest when a leads channel is set
    digest_days: str = "mon"  # weekdays, e.g. "mon" or "mon,thu"
    digest_time: str = "09:00"  # HH:MM local time
    digest_timezone: str | None = None  # IANA; default: SIGHTLINE_DEFAULT_TIMEZONE
    digest_period_days: int = Field(default=7, ge=1, le=366)

    # Data protection (README "Privacy and data").
    database_connect_timeout_seconds: int = Field(default=10, ge=1, le=600)
    database_statement_timeout_seconds: int = Field(default=30, ge=0, le=86_400)  # 0: none
    log_sdk_debug: bool = False  # let slack_sdk, botbuilder… log below INFO (may show tokens)
    # Days stories, answers and engagement are kept (None: until deleted); per workspace too.
    retention_days: int | None = Field(default=None, ge=1, le=36_500)
    # A Slack request acknowledged and not finished this long ago is replayed (durable inbox).
    inbox_stale_seconds: float = Field(default=30.0, gt=0, le=3600)
    data_jobs_enabled: bool = True  # run retention and the purge of removed workspaces hourly
    # Days an uninstalled workspace's data is kept before it is deleted (reinstalling keeps it).
    workspace_removal_grace_days: int = Field(default=30, ge=0, le=3650)
    # Fernet keys, newest first, comma-separated: Slack OAuth tokens are encrypted with it.
    secret_key: SecretStr | None = Field(default=None, repr=False)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            backend = make_url(value).get_backend_name()
        except ArgumentError:
            raise ValueError(f"{value!r} is not a database URL") from None
        if backend not in ("sqlite", "postgresql", "postgres"):
            raise ValueError(f"{backend!r} is not supported; use sqlite:/// or postgresql://")
        return value

    @field_validator("default_timezone", "digest_timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA timezone such as Europe/London") from None
        return value

    @field_validator("phone_extra_regions", "cx_leads", "teams_cx_leads", mode="before")
    @classmethod
    def _split_regions(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("chart_signing_key", "dashboard_secret_key")
    @classmethod
    def _chart_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("use at least 16 random characters (32 or more is better)")
        return value

    @field_validator("secret_key")
    @classmethod
    def _secret_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_keys(value.get_secret_value())
        return value

    @field_validator("digest_days")
    @classmethod
    def _digest_days(cls, value: str) -> str:
        days = [day.strip().lower()[:3] for day in value.split(",") if day.strip()]
        if not days or any(day not in WEEKDAYS for day in days):
            raise ValueError(f"{value!r} is not a list of weekdays such as mon or mon,thu")
        return ",".join(days)

    @field_validator("digest_time")
    @classmethod
    def _digest_time(cls, value: str) -> str:
        if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", value.strip()):
            raise ValueError(f"{value!r} is not a time of day such as 09:00")
        return value.strip()

    @field_validator("phone_region")
    @classmethod
    def _region(cls, value: str) -> str:
        return _check_region(value)

    @field_validator("phone_extra_regions")
    @classmethod
    def _regions(cls, value: list[str]) -> list[str]:
        return [_check_region(region) for region in value]

    @property
    def database_url_for_logs(self) -> str:
        return make_url(self.database_url).render_as_string(hide_password=True)

    @property
    def is_sqlite(self) -> bool:
        return make_url(self.database_url).get_backend_name() == "sqlite"


def _check_region(value: str) -> str:
    region = value.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"{value!r} is not a two-letter country code such as GB or US")
    return region


def load_settings(**overrides: Any) -> Settings:
    """Read settings, turning validation failures into one clear line per setting.

    Raises:
        SettingsError: naming the environment variable and what is wrong with it.
    """
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None
    problem = teams_app_problem(settings)
    if problem is not None:
        raise SettingsError(problem)
    return settings


def _describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "settings"
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"Setting {env_name(field)} is invalid: {message}")
    return "\n".join(lines)


def env_name(field: str) -> str:
    """The environment variable a field is read from (Slack's own names where they apply)."""
    if field.upper() in _PLATFORM_NAMES:  # pydantic reports aliased fields by their alias
        return field.upper()
    if field in Settings.model_fields:
        alias = Settings.model_fields[field].validation_alias
        if isinstance(alias, AliasChoices):
            return str(alias.choices[0])
    return f"SIGHTLINE_{field.upper()}"


_PLATFORM_NAMES = {
    "MICROSOFT_APP_ID",
    "MICROSOFT_APP_PASSWORD",
    "MICROSOFT_APP_TYPE",
    "MICROSOFT_APP_TENANT_ID",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
}


def slack_mode(settings: Settings) -> str | None:
    """ "oauth", "single" or None (Slack not configured)."""
    if settings.slack_signing_secret is None and settings.slack_app_token is None:
        return None
    if settings.slack_client_id and settings.slack_client_secret:
        return "oauth"
    if settings.slack_bot_token is not None:
        return "single"
    return None


def teams_configured(settings: Settings) -> bool:
    """Teams runs with an app id and password (a managed identity needs none), or
    anonymously for local testing."""
    secret = settings.teams_app_password or teams_app_type(settings) == "UserAssignedMSI"
    return bool(settings.teams_app_id and secret) or settings.teams_allow_anonymous


def teams_app_type(settings: Settings) -> str:
    """The Azure Bot's type: as set, else SingleTenant when a tenant id is given.

    Microsoft stopped creating multi-tenant Azure Bots after 31 July 2025; MultiTenant is
    only for a bot created before then, and must be asked for.
    """
    if settings.teams_app_type is not None:
        return settings.teams_app_type
    return "SingleTenant" if settings.teams_app_tenant_id else "MultiTenant"


_NEW_BOTS = (
    "new Azure Bots are single-tenant or use a user-assigned managed identity "
    "(Microsoft stopped creating multi-tenant bots after 31 July 2025)"
)


def teams_app_problem(settings: Settings) -> str | None:
    """A Teams credential combination Azure does not offer, as one line naming the setting."""
    if not settings.teams_app_id:
        return None  # Teams is off, or anonymous for local testing
    kind, tenant = settings.teams_app_type, settings.teams_app_tenant_id
    if kind is None and not tenant:
        return (
            f"Setting MICROSOFT_APP_TENANT_ID is missing: {_NEW_BOTS}; give the bot's "
            "directory (tenant) id, or set MICROSOFT_APP_TYPE=MultiTenant for a bot created "
            "as multi-tenant before then"
        )
    if kind in ("SingleTenant", "UserAssignedMSI") and not tenant:
        return f"Setting MICROSOFT_APP_TENANT_ID is missing: a {kind} bot needs its tenant id"
    if kind == "UserAssignedMSI" and settings.teams_app_password is not None:
        return (
            "Setting MICROSOFT_APP_PASSWORD is invalid: a user-assigned managed identity has "
            "no password (MICROSOFT_APP_ID is the identity's client id); remove it"
        )
    return None
