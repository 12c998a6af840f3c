"""The departments page: schedules, next and last prompts; pause, resume and prompt now."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

from aiohttp import web

from handlers.web.auth import deps_of
from handlers.web.render import message, page
from handlers.web.texts import NOT_FOUND
from stories.conversation import lead_texts
from stories.conversation.leads import prompt_now_result
from stories.dashboard.departments import DepartmentCard, department_cards
from stories.dashboard.signin import SignedIn
from stories.departments import get_department, set_paused
from stories.errors import NotFoundError
from stories.models import Department


async def handle_departments(request: web.Request, lead: SignedIn) -> web.Response:
    """GET /dashboard/departments."""
    core = deps_of(request).core

    def work() -> list[DepartmentCard]:
        with core.sessions() as session:
            return department_cards(
                session=session, workspace_id=lead.workspace_id, now=core.clock.now()
            )

    cards = await asyncio.to_thread(work)
    return page(
        "departments.html",
        title="Departments",
        nav="departments",
        lead=lead,
        cards=cards,
        done=request.query.get("done"),
        tone=request.query.get("tone", "info"),
    )


def _back(text: str, tone: str = "info") -> web.Response:
    query = urlencode({"done": text, "tone": tone})
    return web.Response(status=303, headers={"Location": f"/dashboard/departments?{query}"})


async def handle_department_action(request: web.Request, lead: SignedIn) -> web.Response:
    """POST /dashboard/departments/{id}/pause|resume|prompt."""
    deps = deps_of(request)
    core = deps.core
    key, action = request.match_info["department_id"], request.match_info["action"]

    def work() -> Department:
        with core.sessions() as session:
            if action == "prompt":
                return get_department(session=session, workspace_id=lead.workspace_id, name=key)
            return set_paused(
                session=session,
                clock=core.clock,
                workspace_id=lead.workspace_id,
                name=key,
                paused=action == "pause",
            )

    try:
        department = await asyncio.to_thread(work)
    except NotFoundError:
        title, text = NOT_FOUND
        return message(title, text, status=404, lead=lead, nav="departments")
    if action != "prompt":
        return _back(lead_texts.paused(department.name, paused=action == "pause"))
    if deps.prompt_now is None:
        return _back(lead_texts.PROMPTS_OFF, "warning")
    if not (department.slack_channel_id or department.teams_conversation_id):
        return _back(f"{department.name} has no channel yet, so no prompt was sent.", "warning")
    status, reason = await deps.prompt_now(department.id or 0)
    notice = prompt_now_result(name=department.name, status=status, reason=reason)
    return _back(notice.text, notice.tone.value)
