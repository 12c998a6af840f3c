"""Signing in, the overview and signing out, in a real browser."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from bot.cli.app import app as cli_app
from tests.browser.conftest import Site
from tests.browser.pages import check_page, new_page, sign_in

SINCE, UNTIL = "2026-09-20", "2026-11-01"


def summary_json(site: Site, monkeypatch: Any, period: str) -> dict[str, Any]:
    from bot.cli.context import STATE

    monkeypatch.setenv("SIGHTLINE_DATABASE_URL", site.database_url)
    STATE.database_url, STATE._settings, STATE._runtime = None, None, None
    try:
        result = CliRunner().invoke(cli_app, ["summary", "-w", "T1", "--period", period, "--json"])
    finally:
        if STATE._runtime is not None:
            STATE._runtime.engine.dispose()
        STATE._settings, STATE._runtime = None, None
    assert result.exit_code == 0, result.output
    payload: dict[str, Any] = json.loads(result.output)
    return payload


def shown(page: Any, metric: str) -> str:
    value: str = page.locator(f'[data-metric="{metric}"]').get_attribute("data-value")
    return value


def test_a_lead_signs_in_and_the_overview_equals_the_summary_json(
    site: Site, browser: Any, monkeypatch: Any
) -> None:
    page = new_page(browser)
    sign_in(page, site.link())
    assert page.get_by_role("heading", name="Overview").is_visible()
    assert "Acme" in page.locator("header").inner_text()
    check_page(page, "overview")
    page.get_by_label("Period", exact=True).select_option("custom")
    page.get_by_label("From (custom)").fill(SINCE)
    page.get_by_label("To (custom)").fill(UNTIL)
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**period=custom**")
    payload = summary_json(site, monkeypatch, f"{SINCE}..{UNTIL}")
    for metric, value in (
        ("stories", payload["stories"]["value"]),
        ("prompts_sent", payload["prompts_sent"]["value"]),
        ("answers", payload["answers"]["value"]),
        ("response_rate", payload["response_rate"]["value"]),
        ("participation", payload["participation"]["value"]),
        ("silo.overall", payload["silo"]["overall"]["value"]),
    ):
        assert shown(page, metric) == ("" if value is None else str(value)), metric
    assert shown(page, "stories") == "6"
    assert f"{SINCE} to 2026-11-02 00:00 UTC" in page.locator("#period-text").inner_text()
    page.get_by_label("Period", exact=True).select_option("7d")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**period=7d**")
    assert "2026-10-26 to 2026-11-02 09:00 UTC" in page.locator("#period-text").inner_text()
    assert page.get_by_role("heading", name="Figures, last 7 days").is_visible()
    assert shown(page, "stories") == "2"  # 3 days ago, and the private one 2 days ago
    page.context.close()


def test_sign_out_ends_the_session(site: Site, browser: Any) -> None:
    page = new_page(browser)
    sign_in(page, site.link())
    page.get_by_role("button", name="Sign out").click()
    assert page.get_by_role("heading", name="Signed out").is_visible()
    check_page(page, "signed-out")
    page.goto(f"{site.base}/dashboard")
    assert page.get_by_role("heading", name="Please sign in").is_visible()
    assert page.locator("[data-metric]").count() == 0
    page.context.close()


def test_a_reused_or_expired_link_gets_a_clear_page(site: Site, browser: Any) -> None:
    used = site.link()
    first = new_page(browser)
    sign_in(first, used)
    second = new_page(browser)
    second.goto(used)
    second.get_by_role("button", name="Sign in").click()
    assert second.get_by_role("heading", name="This sign-in link was already used").is_visible()
    check_page(second, "link-used")
    stale = site.link()
    site.clock.advance(minutes=11)
    second.goto(stale)
    second.get_by_role("button", name="Sign in").click()
    assert second.get_by_role("heading", name="This sign-in link has expired").is_visible()
    assert second.locator("[data-metric]").count() == 0
    first.context.close()
    second.context.close()


def test_someone_without_a_session_or_not_a_lead_sees_no_data(
    site: Site, browser: Any, monkeypatch: Any
) -> None:
    page = new_page(browser)
    page.goto(f"{site.base}/dashboard")
    assert page.get_by_role("heading", name="Please sign in").is_visible()
    assert page.locator("[data-metric]").count() == 0
    check_page(page, "please-sign-in")
    from bot.cli.context import STATE

    monkeypatch.setenv("SIGHTLINE_DATABASE_URL", site.database_url)
    monkeypatch.setenv("SIGHTLINE_DASHBOARD_SECRET_KEY", "x" * 32)
    STATE.database_url, STATE._settings, STATE._runtime = None, None, None
    refused = CliRunner().invoke(cli_app, ["dashboard", "link", "-w", "T1", "--lead", "U-MEMBER"])
    STATE._settings, STATE._runtime = None, None
    assert refused.exit_code != 0
    assert "not a CX lead" in str(refused.exception)
    page.context.close()


def test_another_workspaces_lead_sees_only_their_workspace(site: Site, browser: Any) -> None:
    page = new_page(browser)
    sign_in(page, site.link(workspace="T2"))
    header = page.locator("header").inner_text()
    assert "Globex" in header
    assert "Acme" not in page.content()
    assert page.locator('[data-metric="stories"]').get_attribute("data-value") == "1"
    page.context.close()
