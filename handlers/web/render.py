"""Pages from Jinja2 templates (autoescaped), with the headers every dashboard page carries."""

from __future__ import annotations

import functools
from typing import Any

from aiohttp import web
from jinja2 import Environment, PackageLoader, select_autoescape

# Nothing is loaded from anywhere but this server; no page may be framed; a sign-in token in
# an address never travels on as a Referer.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("handlers.web", "templates"),
        autoescape=select_autoescape(("html",), default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["thousands"] = lambda value: f"{value:,}"
    return env


def page(template: str, *, status: int = 200, **context: Any) -> web.Response:
    """A rendered page with the dashboard's headers."""
    body = environment().get_template(template).render(**context)
    return web.Response(text=body, status=status, content_type="text/html", headers=HEADERS)


def message(
    title: str, text: str, *, status: int, lead: Any = None, **context: Any
) -> web.Response:
    """A page that explains why there is nothing to show (never any data)."""
    return page("message.html", status=status, title=title, text=text, lead=lead, **context)
