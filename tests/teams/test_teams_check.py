"""`sightline teams check` against a local fake of Microsoft Entra ID's token endpoint (and of
Azure's metadata service for managed identities): one line saying what works or what to fix,
valid JSON with --json, exit status 1 on any failure, and the secret never printed."""

from __future__ import annotations

import asyncio
import json

import pytest
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.cli.context import STATE
from bot.settings import SettingsError
from tests.fakes.bot_connector import FakeBotConnector

APP, TENANT, SECRET = "11111111-aaaa-bbbb-cccc-000000000001", "contoso-tenant", "s3cret~value"
runner = CliRunner()


async def check(connector: FakeBotConnector | str, *extra: str) -> Result:
    url = connector if isinstance(connector, str) else connector.url
    args = ["teams", "check", "--login-url", url, "--identity-url"]
    args += [f"{url}/metadata/identity/oauth2/token", *extra]
    STATE._settings = None  # settings are read once per process: read the test's again
    return await asyncio.to_thread(runner.invoke, app, args, catch_exceptions=False)


def credentials(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    for name in ("MICROSOFT_APP_PASSWORD", "MICROSOFT_APP_TYPE", "MICROSOFT_APP_TENANT_ID"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


@pytest.mark.usefixtures("cli")
@pytest.mark.parametrize(
    ("env", "says"),
    [
        (
            {"MICROSOFT_APP_PASSWORD": SECRET, "MICROSOFT_APP_TENANT_ID": TENANT},
            f"OK: Teams credentials work (SingleTenant, app {APP}, tenant {TENANT})",
        ),
        (
            {"MICROSOFT_APP_PASSWORD": "wrong", "MICROSOFT_APP_TENANT_ID": TENANT},
            "MICROSOFT_APP_PASSWORD is not a valid client secret of app",
        ),
        (
            {"MICROSOFT_APP_PASSWORD": "old-secret", "MICROSOFT_APP_TENANT_ID": TENANT},
            "MICROSOFT_APP_PASSWORD has expired (AADSTS7000222)",
        ),
        (
            {"MICROSOFT_APP_PASSWORD": SECRET, "MICROSOFT_APP_TENANT_ID": "other-tenant"},
            "MICROSOFT_APP_TENANT_ID other-tenant is not a Microsoft Entra tenant",
        ),
        (
            {"MICROSOFT_APP_PASSWORD": SECRET, "MICROSOFT_APP_TYPE": "MultiTenant"},
            "is not an app in this directory (AADSTS700016): a single-tenant app needs",
        ),
    ],
)
async def test_a_password_bot_gets_a_token_or_hears_what_to_fix(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], says: str
) -> None:
    credentials(monkeypatch, MICROSOFT_APP_ID=APP, **env)
    async with FakeBotConnector() as connector:
        connector.apps[APP] = (TENANT, SECRET)
        connector.expired_secrets.add("old-secret")
        shown = await check(connector)
        as_json = await check(connector, "--json")
    assert says in shown.output
    assert len(shown.output.strip().splitlines()) == 1
    assert shown.exit_code == (0 if says.startswith("OK") else 1)
    assert SECRET not in shown.output + as_json.output
    payload = json.loads(as_json.output)
    assert payload["ok"] is says.startswith("OK")
    assert says in payload["message"]
    [request, _] = connector.token_requests
    assert request["scope"] == "https://api.botframework.com/.default"
    assert request["grant_type"] == "client_credentials"


@pytest.mark.usefixtures("cli")
async def test_a_managed_identity_is_checked_where_azure_gives_it_a_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    credentials(
        monkeypatch,
        MICROSOFT_APP_ID=APP,
        MICROSOFT_APP_TYPE="UserAssignedMSI",
        MICROSOFT_APP_TENANT_ID=TENANT,
    )
    async with FakeBotConnector() as connector:
        connector.identities.add(APP)
        works = await check(connector)
        connector.identities.clear()
        unassigned = await check(connector)
    assert (works.exit_code, works.output.strip()) == (0, f"OK: the managed identity {APP} works")
    assert unassigned.exit_code == 1
    assert "is it assigned to this resource?" in unassigned.output


@pytest.mark.usefixtures("cli")
async def test_nothing_to_check_or_nothing_answering_is_said_plainly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    credentials(monkeypatch)
    async with FakeBotConnector() as connector:
        unset = await check(connector)
        credentials(monkeypatch, MICROSOFT_APP_ID=APP, MICROSOFT_APP_PASSWORD=SECRET)
        with pytest.raises(SettingsError, match="MICROSOFT_APP_TENANT_ID is missing"):
            await check(connector)
        url = connector.url
    assert "MICROSOFT_APP_ID is not set" in unset.output
    assert unset.exit_code == 1
    credentials(
        monkeypatch,
        MICROSOFT_APP_ID=APP,
        MICROSOFT_APP_PASSWORD=SECRET,
        MICROSOFT_APP_TENANT_ID=TENANT,
    )
    args = ["teams", "check", "--login-url", url]  # the fake is gone: nothing listens there
    gone = await asyncio.to_thread(runner.invoke, app, args, catch_exceptions=False)
    assert gone.exit_code == 1
    assert gone.output.startswith(f"Could not reach {url.removeprefix('http://')}")
