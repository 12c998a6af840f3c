"""Signing in with a one-time link, signing out, and the gate in front of every page.

Opening a link shows a button; only pressing it (a POST) uses the link, so a chat client or
a mail scanner that fetches the link to preview it cannot use it up.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web

from handlers.web.deps import WebDeps
from handlers.web.render import message, page
from handlers.web.texts import FORM_EXPIRED, NOT_SIGNED_IN, REFUSALS, SIGNED_OUT
from stories.dashboard import signin
from stories.dashboard.signin import Refusal, SignedIn

COOKIE = "sightline_dashboard"
DEPS = web.AppKey("dashboard_deps", WebDeps)
LeadView = Callable[[web.Request, SignedIn], Awaitable[web.StreamResponse]]


def deps_of(request: web.Request) -> WebDeps:
    return request.app[DEPS]


async def handle_signin_page(request: web.Request) -> web.Response:
    """The link opened: a button that signs in (the link is not used yet)."""
    token = request.match_info["token"]
    read = deps_of(request).signer.read(token)
    if read is None:
        title, text = REFUSALS[Refusal.INVALID]
        return message(title, text, status=403)
    return page("signin.html", title="Sign in to Sightline", token=token)


async def handle_signin(request: web.Request) -> web.Response:
    """Use the link once and start the session, or say why not."""
    deps = deps_of(request)
    token = request.match_info["token"]

    def work() -> SignedIn | Refusal:
        with deps.core.sessions() as session:
            return signin.redeem(
                session=session, clock=deps.core.clock, signer=deps.signer, token=token
            )

    result = await asyncio.to_thread(work)
    if isinstance(result, Refusal):
        title, text = REFUSALS[result]
        return message(title, text, status=403)
    response = web.Response(status=303, headers={"Location": "/dashboard"})
    response.set_cookie(
        COOKIE,
        result.token,
        max_age=int(signin.SESSION_LIFETIME.total_seconds()),
        path="/dashboard",
        httponly=True,
        secure=deps.secure,
        samesite="Lax",
    )
    return response


async def current_lead(request: web.Request) -> SignedIn | None:
    deps = deps_of(request)
    token = request.cookies.get(COOKIE)

    def work() -> SignedIn | None:
        with deps.core.sessions() as session:
            return signin.current(session=session, clock=deps.core.clock, token=token)

    return await asyncio.to_thread(work) if token else None


def lead_page(view: LeadView) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Wrap a page for signed-in leads: no session, no data; a POST needs its CSRF token."""

    async def handler(request: web.Request) -> web.StreamResponse:
        lead = await current_lead(request)
        if lead is None:
            title, text = NOT_SIGNED_IN
            return message(title, text, status=401)
        if request.method == "POST":
            form = await request.post()
            sent = str(form.get("csrf", ""))
            if not secrets.compare_digest(sent.encode(), lead.csrf_token.encode()):
                title, text = FORM_EXPIRED
                return message(title, text, status=403, lead=lead)
        return await view(request, lead)

    return handler


async def handle_signout(request: web.Request, lead: SignedIn) -> web.Response:
    """End the session everywhere and forget the cookie."""
    deps = deps_of(request)
    token = request.cookies.get(COOKIE)

    def work() -> None:
        with deps.core.sessions() as session:
            signin.sign_out(session=session, clock=deps.core.clock, token=token)

    await asyncio.to_thread(work)
    title, text = SIGNED_OUT
    response = message(title, text, status=200)
    response.del_cookie(COOKIE, path="/dashboard")
    return response
