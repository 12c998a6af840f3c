"""Settings: typed, secret-safe, and one clear line when a value is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings

TEAMS = (
    "MICROSOFT_APP_ID",
    "MICROSOFT_APP_PASSWORD",
    "MICROSOFT_APP_TYPE",
    "MICROSOFT_APP_TENANT_ID",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout
    for name in ("SIGHTLINE_DATABASE_URL", "SLACK_BOT_TOKEN", "SIGHTLINE_DEFAULT_TIMEZONE", *TEAMS):
        monkeypatch.delenv(name, raising=False)


def test_defaults_use_embedded_sqlite() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///./var/sightline.db"
    assert settings.is_sqlite
    assert settings.port == 3978


def test_slack_conventional_names_and_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "shh")
    settings = load_settings()
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-very-secret"
    assert "xoxb-very-secret" not in repr(settings)
    assert "shh" not in str(settings.model_dump())


def test_database_password_stays_out_of_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGHTLINE_DATABASE_URL", "postgresql://app:hunter2@db:5432/sightline")
    settings = load_settings()
    assert not settings.is_sqlite
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in settings.database_url_for_logs


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SIGHTLINE_PORT=4000\nSIGHTLINE_CX_LEADS=U1, U2\n")
    settings = load_settings()
    assert settings.port == 4000
    assert settings.cx_leads == ["U1", "U2"]


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        (
            "SIGHTLINE_DEFAULT_TIMEZONE",
            "Mars/Olympus",
            "Setting SIGHTLINE_DEFAULT_TIMEZONE is invalid: 'Mars/Olympus' is not an IANA timezone",
        ),
        ("SIGHTLINE_SLACK_API_URL", "not a url", "Setting SIGHTLINE_SLACK_API_URL is invalid"),
        (
            "SIGHTLINE_DATABASE_URL",
            "mysql://x@y/z",
            "Setting SIGHTLINE_DATABASE_URL is invalid: 'mysql' is not supported",
        ),
        ("SIGHTLINE_DATABASE_URL", "::nonsense::", "Setting SIGHTLINE_DATABASE_URL is invalid"),
        ("SIGHTLINE_PORT", "99999", "Setting SIGHTLINE_PORT is invalid"),
        ("SIGHTLINE_PHONE_REGION", "XX", "Setting SIGHTLINE_PHONE_REGION is invalid"),
        ("MICROSOFT_APP_TYPE", "Sometimes", "Setting MICROSOFT_APP_TYPE is invalid"),
    ],
)
def test_bad_value_fails_with_one_line_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert message.startswith(expected)
    assert "\n" not in message


def test_the_example_env_file_names_every_setting() -> None:
    """config/sightline.env.example is where admins look; a new setting must appear there."""
    from bot.settings import ROOT, Settings

    text = (ROOT / "config" / "sightline.env.example").read_text(encoding="utf-8")
    missing = []
    for name, info in Settings.model_fields.items():
        names = [f"SIGHTLINE_{name.upper()}"]
        alias = info.validation_alias
        names += [c for c in getattr(alias, "choices", [alias]) if isinstance(c, str)]
        if not any(f"{n}=" in text for n in names):
            missing.append(name)
    assert missing == []


@pytest.mark.parametrize(
    ("env", "app_type", "problem"),
    [
        ({"MICROSOFT_APP_TENANT_ID": "t"}, "SingleTenant", None),  # as Azure creates bots now
        ({"MICROSOFT_APP_TYPE": "MultiTenant"}, "MultiTenant", None),  # one made before
        (
            {"MICROSOFT_APP_TYPE": "MultiTenant", "MICROSOFT_APP_TENANT_ID": "t"},
            "MultiTenant",
            None,
        ),
        ({}, None, "Setting MICROSOFT_APP_TENANT_ID is missing: new Azure Bots are single-tenant"),
        (
            {"MICROSOFT_APP_TYPE": "SingleTenant"},
            None,
            "Setting MICROSOFT_APP_TENANT_ID is missing: a SingleTenant bot needs its tenant id",
        ),
        (
            {"MICROSOFT_APP_TYPE": "UserAssignedMSI", "MICROSOFT_APP_TENANT_ID": "t"},
            None,
            "Setting MICROSOFT_APP_PASSWORD is invalid: a user-assigned managed identity",
        ),
    ],
)
def test_the_teams_app_type_follows_the_settings_and_refuses_what_azure_no_longer_offers(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], app_type: str | None, problem: str | None
) -> None:
    from bot.settings import teams_app_type, teams_configured

    monkeypatch.setenv("MICROSOFT_APP_ID", "app")
    monkeypatch.setenv("MICROSOFT_APP_PASSWORD", "secret")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if problem is not None:
        with pytest.raises(SettingsError) as raised:
            load_settings()
        assert str(raised.value).startswith(problem)
        assert "\n" not in str(raised.value)
        return
    settings = load_settings()
    assert teams_app_type(settings) == app_type
    assert teams_configured(settings)


def test_a_managed_identity_needs_no_password(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.settings import teams_app_type, teams_configured

    for name, value in {
        "MICROSOFT_APP_ID": "identity-client-id",
        "MICROSOFT_APP_TYPE": "UserAssignedMSI",
        "MICROSOFT_APP_TENANT_ID": "t",
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert (teams_app_type(settings), teams_configured(settings)) == ("UserAssignedMSI", True)
