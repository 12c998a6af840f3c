"""`sightline teams check`: obtain a Bot Framework token with the configured credentials, as
the bot does before each post, and say in one line what is wrong.

A password bot asks Microsoft Entra ID for a token with the OAuth 2.0 client credentials grant
(``POST {login}/{tenant}/oauth2/v2.0/token``, scope ``https://api.botframework.com/.default``;
a multi-tenant bot asks the ``botframework.com`` tenant); a user-assigned managed identity asks
the Azure instance metadata service, which exists only on Azure. Entra's error codes
(``AADSTS…``) become the setting to fix. No secret is ever printed.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

import httpx

from bot.settings import Settings, teams_app_problem, teams_app_type

LOGIN_URL = "https://login.microsoftonline.com"
IDENTITY_URL = "http://169.254.169.254/metadata/identity/oauth2/token"
SCOPE = "https://api.botframework.com/.default"
MULTI_TENANT = "botframework.com"
TIMEOUT = 10.0


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    app_type: str
    message: str  # one line


def check_credentials(
    settings: Settings, *, login_url: str = LOGIN_URL, identity_url: str = IDENTITY_URL
) -> CheckResult:
    """Try to obtain a token the way the bot does; never raises for a refusal."""
    kind = teams_app_type(settings)
    if not settings.teams_app_id:
        reason = (
            "Teams runs anonymously (SIGHTLINE_TEAMS_ALLOW_ANONYMOUS): there are no credentials"
            if settings.teams_allow_anonymous
            else "MICROSOFT_APP_ID is not set: give the Azure Bot's Microsoft App ID"
        )
        return CheckResult(False, kind, reason)
    problem = teams_app_problem(settings)
    if problem is not None:
        return CheckResult(False, kind, problem)
    if kind == "UserAssignedMSI":
        return _managed_identity(settings, identity_url)
    if settings.teams_app_password is None:
        return CheckResult(False, kind, "MICROSOFT_APP_PASSWORD is not set: give a client secret")
    return _client_secret(settings, kind, login_url)


def _client_secret(settings: Settings, kind: str, login_url: str) -> CheckResult:
    tenant = settings.teams_app_tenant_id if kind == "SingleTenant" else MULTI_TENANT
    assert settings.teams_app_password is not None
    assert settings.teams_app_id is not None
    url = f"{login_url.rstrip('/')}/{tenant}/oauth2/v2.0/token"
    form = {
        "grant_type": "client_credentials",
        "client_id": settings.teams_app_id,
        "client_secret": settings.teams_app_password.get_secret_value(),
        "scope": SCOPE,
    }
    try:
        response = httpx.post(url, data=form, timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        host = urlparse(url).netloc
        return CheckResult(False, kind, f"Could not reach {host}: {type(exc).__name__} {exc}")
    if response.status_code == 200 and "access_token" in _json(response):
        where = f"tenant {tenant}" if kind == "SingleTenant" else "multi-tenant"
        return CheckResult(
            True, kind, f"OK: Teams credentials work ({kind}, app {settings.teams_app_id}, {where})"
        )
    return CheckResult(False, kind, _explain(response, settings, kind))


def _json(response: httpx.Response) -> dict[str, object]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _explain(response: httpx.Response, settings: Settings, kind: str) -> str:
    """Entra's refusal as the setting to fix (its AADSTS code kept for searching)."""
    body = _json(response)
    raw = body.get("error_codes")
    codes = {int(c) for c in raw if str(c).isdigit()} if isinstance(raw, list) else set()
    app, tenant = settings.teams_app_id, settings.teams_app_tenant_id
    if 7000215 in codes:
        return (
            f"MICROSOFT_APP_PASSWORD is not a valid client secret of app {app} (AADSTS7000215): "
            "copy the secret's Value (not its Secret ID), or add a new one"
        )
    if 7000222 in codes:
        return "MICROSOFT_APP_PASSWORD has expired (AADSTS7000222): add a new client secret"
    if 700016 in codes:
        hint = (
            "check MICROSOFT_APP_TENANT_ID, or the app belongs to another tenant"
            if kind == "SingleTenant"
            else "a single-tenant app needs MICROSOFT_APP_TENANT_ID"
        )
        return f"MICROSOFT_APP_ID {app} is not an app in this directory (AADSTS700016): {hint}"
    if codes & {90002, 900023, 90013}:
        return f"MICROSOFT_APP_TENANT_ID {tenant} is not a Microsoft Entra tenant (AADSTS90002)"
    error = body.get("error") or f"HTTP {response.status_code}"
    detail = str(body.get("error_description") or "").splitlines()[0:1]
    return f"Microsoft Entra ID refused the token: {error}" + (f": {detail[0]}" if detail else "")


def _managed_identity(settings: Settings, identity_url: str) -> CheckResult:
    kind = "UserAssignedMSI"
    params = {
        "api-version": "2019-08-01",
        "resource": "https://api.botframework.com",
        "client_id": settings.teams_app_id or "",
    }
    try:
        response = httpx.get(identity_url, params=params, headers={"Metadata": "true"}, timeout=3.0)
    except httpx.HTTPError:
        return CheckResult(
            False,
            kind,
            "No managed identity endpoint answers here: a user-assigned managed identity "
            "works only on Azure, on a resource the identity is assigned to",
        )
    if response.status_code == 200 and "access_token" in _json(response):
        return CheckResult(True, kind, f"OK: the managed identity {settings.teams_app_id} works")
    body = _json(response)
    return CheckResult(
        False,
        kind,
        f"The managed identity {settings.teams_app_id} got no token: "
        f"{body.get('error') or response.status_code}; is it assigned to this resource?",
    )
