"""Helpers the browser tests share: a signed-in page, the accessibility check, screenshots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.browser.conftest import ARTIFACTS, AXE, LAPTOP, PHONE

BLOCKING = ("serious", "critical")


def new_page(browser: Any) -> Any:
    """A fresh browser context (its own cookies). CSP is bypassed only so that the test can
    inject axe-core; the pages themselves never run inline script."""
    context = browser.new_context(viewport=LAPTOP, bypass_csp=True, accept_downloads=True)
    return context.new_page()


def sign_in(page: Any, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard")


def accessibility_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not AXE.exists():
        raise AssertionError(f"{AXE} is missing: run `make test` (npm ci in tests/browser)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


def check_page(page: Any, name: str) -> None:
    """No serious or critical accessibility violation at either width; a screenshot of each."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("laptop", LAPTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        found = accessibility_violations(page)
        assert found == [], f"{name} at {label} width: {found}"
        page.screenshot(path=str(Path(ARTIFACTS) / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(LAPTOP)
