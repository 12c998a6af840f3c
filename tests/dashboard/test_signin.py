"""Sign-in by one-time link, sessions and sign-out, over real HTTP on both databases."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from stories.clock import FixedClock
from stories.dashboard.signin import NotALeadError
from stories.models import DashboardLink, DashboardSession
from tests.dashboard.conftest import Served, seed_people, serve


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


async def sign_in(http: httpx.AsyncClient, served: Served, url: str) -> httpx.Response:
    return await http.post(served.path(url))


async def test_a_link_signs_a_lead_in_once_with_a_strict_cookie(
    served: Served, http: httpx.AsyncClient
) -> None:
    url = served.link()
    opened = await http.get(served.path(url))  # a preview fetching the link does not use it
    assert opened.status_code == 200
    assert "Sign in" in opened.text
    signed = await sign_in(http, served, url)
    assert signed.status_code == 303
    assert signed.headers["location"] == "/dashboard"
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # the public URL is plain http here
    assert "Max-Age=43200" in cookie
    assert "Path=/dashboard" in cookie
    overview = await http.get("/dashboard")
    assert overview.status_code == 200
    assert "Acme" in overview.text
    assert "Globex" not in overview.text
    assert overview.headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'self'" in overview.headers["Content-Security-Policy"]
    again = await httpx.AsyncClient(base_url=served.base).post(served.path(url))
    assert again.status_code == 403
    assert "already used" in again.text


async def test_an_expired_or_forged_link_gives_a_clear_page_and_no_session(
    served: Served, http: httpx.AsyncClient, clock: FixedClock
) -> None:
    url = served.link()
    clock.advance(minutes=10, seconds=1)
    expired = await sign_in(http, served, url)
    assert expired.status_code == 403
    assert "expired" in expired.text
    assert "set-cookie" not in expired.headers
    forged = await http.post(served.path(url)[:-3] + "abc")
    assert forged.status_code == 403
    assert "does not work" in forged.text
    gated = await http.get("/dashboard")
    assert gated.status_code == 401
    assert "Please sign in" in gated.text
    assert "Stories captured" not in gated.text


async def test_two_replicas_racing_on_one_link_start_one_session(
    served: Served, engine: Engine, clock: FixedClock
) -> None:
    url = served.link()
    async with (
        serve(engine, clock) as other,  # a second replica on the same database
        httpx.AsyncClient(base_url=served.base) as one,
        httpx.AsyncClient(base_url=other.base) as two,
    ):
        first, second = await asyncio.gather(one.post(served.path(url)), two.post(other.path(url)))
    assert sorted([first.status_code, second.status_code]) == [303, 403]
    with Session(engine) as session:
        assert len(session.exec(select(DashboardSession)).all()) == 1
        [link] = session.exec(select(DashboardLink)).all()
        assert link.used_at is not None


async def test_sign_out_needs_the_forms_token_and_ends_the_session(
    served: Served, http: httpx.AsyncClient
) -> None:
    await sign_in(http, served, served.link())
    page = await http.get("/dashboard")
    forged = await http.post("/dashboard/signout", data={"csrf": "not-the-token"})
    assert forged.status_code == 403
    assert (await http.get("/dashboard")).status_code == 200  # nothing changed
    out = await http.post("/dashboard/signout", data={"csrf": csrf_of(page.text)})
    assert out.status_code == 200
    assert "signed out" in out.text
    cookie = http.cookies.get("sightline_dashboard")
    assert cookie is None
    async with httpx.AsyncClient(base_url=served.base) as replay:  # the old cookie, replayed
        replay.cookies.set("sightline_dashboard", page.request.headers["cookie"].split("=", 1)[1])
        assert (await replay.get("/dashboard")).status_code == 401


async def test_a_session_lasts_twelve_hours(
    served: Served, http: httpx.AsyncClient, clock: FixedClock
) -> None:
    await sign_in(http, served, served.link())
    clock.advance(hours=11, minutes=59)
    assert (await http.get("/dashboard")).status_code == 200
    clock.advance(minutes=2)
    assert (await http.get("/dashboard")).status_code == 401


async def test_cookies_are_secure_behind_an_https_address(
    engine: Engine, clock: FixedClock
) -> None:
    seed_people(engine, clock)
    async with serve(engine, clock, public_url="https://sightline.example.com") as served:
        url = served.link()
        assert url.startswith("https://sightline.example.com/dashboard/signin/")
        async with httpx.AsyncClient(base_url=served.base) as http:
            signed = await http.post(served.path(url))
    assert "Secure" in signed.headers["set-cookie"]


async def test_an_admin_link_is_refused_for_someone_who_is_not_a_lead(served: Served) -> None:
    with pytest.raises(NotALeadError, match="not a CX lead"):
        served.link(user="U-MEMBER")


async def test_old_links_and_sessions_are_forgotten_a_day_after_they_end(
    served: Served, http: httpx.AsyncClient, clock: FixedClock, engine: Engine
) -> None:
    await sign_in(http, served, served.link())
    served.link()  # never used
    clock.advance(hours=12, minutes=1)
    served.link()  # a day has not passed since either ended: nothing is forgotten yet
    with Session(engine) as session:
        assert len(session.exec(select(DashboardLink)).all()) == 3
    clock.advance(days=1)
    served.link()
    with Session(engine) as session:
        assert len(session.exec(select(DashboardLink)).all()) == 2  # the last two
        assert session.exec(select(DashboardSession)).all() == []
