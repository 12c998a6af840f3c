"""The stories table, a story's page, and a lead hiding or deleting a story."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from aiohttp import web

from handlers.web.auth import deps_of
from handlers.web.render import message, page
from handlers.web.texts import NOT_FOUND
from stories.dashboard.moderation import Followed, delete_as_lead, hide_story
from stories.dashboard.signin import SignedIn
from stories.dashboard.stories import (
    StoriesPage,
    StoryDetail,
    StoryFilters,
    stories_page,
    story_detail,
)
from stories.departments import list_departments
from stories.errors import InvalidFieldError, NotFoundError, SightlineError
from stories.models import Department, Emotion, SourceKind
from stories.visibility import Viewer

logger = logging.getLogger(__name__)
DONE = {"hidden": "The story is hidden: only its teller sees it now.", "deleted": "Story deleted."}


def _day(raw: str, name: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidFieldError(field=name, reason=f"{raw!r} is not a date") from None


def filters_of(query: dict[str, str]) -> StoryFilters:
    """The table's filters from its query string.

    Raises:
        InvalidFieldError: a date, emotion, source, department or page that cannot be read.
    """
    since, until = _day(query.get("since", ""), "from"), _day(query.get("until", ""), "to")
    try:
        emotion = Emotion(query["emotion"]) if query.get("emotion") else None
        source = SourceKind(query["source"]) if query.get("source") else None
        department = int(query["department"]) if query.get("department") else None
        number = int(query.get("page") or 1)
    except ValueError:
        raise InvalidFieldError(field="filters", reason="choose from the lists") from None
    return StoryFilters(
        words=query.get("q", "").strip(),
        touchpoint=query.get("touchpoint", "").strip() or None,
        department_id=department,
        emotion=emotion,
        source=source,
        since=datetime.combine(since, time(0), tzinfo=UTC) if since else None,
        until=(
            datetime.combine(until, time(0), tzinfo=UTC) + timedelta(days=1, microseconds=-1)
            if until
            else None
        ),
        page=number,
    )


async def handle_stories(request: web.Request, lead: SignedIn) -> web.Response:
    """GET /dashboard/stories: search and filters, paged, as the lead may see them."""
    core = deps_of(request).core
    query = {k: v for k, v in request.query.items() if k != "page"}
    choices = {
        "emotions": [e.value for e in Emotion],
        "sources": [s.value for s in SourceKind],
    }

    def work() -> tuple[list[Department], StoriesPage | str]:
        with core.sessions() as session:
            departments = list_departments(session=session, workspace_id=lead.workspace_id)
            try:
                found = stories_page(
                    session=session,
                    workspace_id=lead.workspace_id,
                    viewer=Viewer.member(lead.member_id),
                    filters=filters_of(dict(request.query)),
                )
            except SightlineError as exc:
                return departments, str(exc)
            return departments, found

    departments, found = await asyncio.to_thread(work)
    error = found if isinstance(found, str) else None
    return page(
        "stories.html",
        status=400 if error else 200,
        title="Stories",
        nav="stories",
        lead=lead,
        query=query,
        departments=departments,
        found=None if error else found,
        error=error,
        done=DONE.get(request.query.get("done", "")),
        base_query=urlencode(query),
        **choices,
    )


async def handle_story(request: web.Request, lead: SignedIn) -> web.Response:
    """GET /dashboard/stories/{id}: the story, its answers and resonates by department."""
    core = deps_of(request).core
    story_id = int(request.match_info["story_id"])

    def work() -> StoryDetail:
        with core.sessions() as session:
            return story_detail(
                session=session,
                workspace_id=lead.workspace_id,
                viewer=Viewer.member(lead.member_id),
                story_id=story_id,
            )

    try:
        detail = await asyncio.to_thread(work)
    except NotFoundError:
        title, text = NOT_FOUND
        return message(title, text, status=404, lead=lead, nav="stories")
    return page("story.html", title="Story", nav="stories", lead=lead, story=detail)


async def handle_moderate(request: web.Request, lead: SignedIn) -> web.StreamResponse:
    """POST /dashboard/stories/{id}/hide|delete: the change, its audit, then the chat post."""
    deps = deps_of(request)
    core = deps.core
    story_id = int(request.match_info["story_id"])
    action = request.match_info["action"]
    change = hide_story if action == "hide" else delete_as_lead
    if action == "delete" and (await request.post()).get("confirm") != "yes":
        return message(
            "Nothing was deleted",
            "Tick “Yes, delete this story for good” to delete it.",
            status=400,
            lead=lead,
            nav="stories",
        )

    def work() -> Followed:
        with core.sessions() as session:
            return change(
                session=session,
                clock=core.clock,
                workspace_id=lead.workspace_id,
                lead_member_id=lead.member_id,
                story_id=story_id,
            )

    try:
        followed = await asyncio.to_thread(work)
    except NotFoundError:
        title, text = NOT_FOUND
        return message(title, text, status=404, lead=lead, nav="stories")
    if followed.effects and deps.follow_posts is not None:
        await deps.follow_posts(followed.platform, followed.workspace, followed.effects)
    done = "hidden" if action == "hide" else "deleted"
    return web.Response(status=303, headers={"Location": f"/dashboard/stories?done={done}"})
