"""The web skin: the CX leads' dashboard, server-rendered from the core's view models.

Like the Slack and Teams skins it only translates (requests in, neutral calls, HTML out) and
never imports the composition root or a chat skin; ``register`` is its one entry point.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from handlers.web.auth import (
    DEPS,
    handle_signin,
    handle_signin_page,
    handle_signout,
    lead_page,
)
from handlers.web.departments import handle_department_action, handle_departments
from handlers.web.deps import WebDeps
from handlers.web.insight import handle_download, handle_downloads, handle_silo, handle_themes
from handlers.web.overview import handle_overview
from handlers.web.stories import handle_moderate, handle_stories, handle_story

STATIC = Path(__file__).parent / "static"
SIGNIN = "/dashboard/signin/{token:[A-Za-z0-9_.-]+}"

__all__ = ["WebDeps", "register"]


def register(app: web.Application, deps: WebDeps) -> None:
    """Add the dashboard's routes under ``/dashboard``."""
    app[DEPS] = deps
    app.router.add_get(SIGNIN, handle_signin_page)
    app.router.add_post(SIGNIN, handle_signin)
    app.router.add_post("/dashboard/signout", lead_page(handle_signout))
    app.router.add_get("/dashboard", lead_page(handle_overview))
    app.router.add_get("/dashboard/stories", lead_page(handle_stories))
    app.router.add_get(r"/dashboard/stories/{story_id:\d{1,9}}", lead_page(handle_story))
    app.router.add_post(
        r"/dashboard/stories/{story_id:\d{1,9}}/{action:hide|delete}", lead_page(handle_moderate)
    )
    app.router.add_get("/dashboard/departments", lead_page(handle_departments))
    app.router.add_post(
        r"/dashboard/departments/{department_id:\d{1,9}}/{action:pause|resume|prompt}",
        lead_page(handle_department_action),
    )
    app.router.add_get("/dashboard/silo", lead_page(handle_silo))
    app.router.add_get("/dashboard/themes", lead_page(handle_themes))
    app.router.add_get("/dashboard/downloads", lead_page(handle_downloads))
    app.router.add_get(
        "/dashboard/downloads/{what:stories|answers|engagement}.{format:csv|jsonl}",
        lead_page(handle_download),
    )
    app.router.add_static("/dashboard/static", STATIC, append_version=True)
