"""Roster refresh: each linked channel's members, read into its department's roster daily."""

from __future__ import annotations

import logging

from sqlmodel import Session, select

from bot.scheduler.context import SchedulerContext, failure_reason
from stories.models import Department, Workspace
from stories.prompt_members import refresh_roster
from stories.prompts import destination_for

logger = logging.getLogger(__name__)


async def refresh_rosters(
    ctx: SchedulerContext, *, department_id: int | None = None
) -> dict[str, bool]:
    """Read each linked channel's members into its department's roster.

    Args:
        ctx: the scheduler's shared state.
        department_id: only this department; None for every department with a channel.

    Returns:
        Department name -> whether its channel could be read. A channel that cannot be
        read keeps its last known members and is flagged with the reason.
    """
    results: dict[str, bool] = {}
    targets = await ctx.runtime.run(lambda session: _targets(ctx, session, department_id))
    for department, platform, destination, external_id in targets:
        reader = getattr(ctx.senders[platform], "channel_members", None)
        if reader is None:
            continue  # this platform cannot list members yet; overrides still apply
        members: list[str] | None
        try:
            members, error = (
                await reader(workspace_external_id=external_id, destination=destination),
                None,
            )
        except Exception as exc:  # any refusal flags the roster with its reason
            logger.exception("could not read the members of %s", destination)
            members, error = None, failure_reason(exc)
        await ctx.runtime.run(
            lambda session, d=department, m=members, e=error: refresh_roster(  # type: ignore[misc]
                session=session,
                clock=ctx.runtime.clock,
                department=d,
                platform_user_ids=m,
                error=e,
            )
        )
        results[department.name] = members is not None
    return results


def _targets(
    ctx: SchedulerContext, session: Session, department_id: int | None
) -> list[tuple[Department, str, str, str]]:
    """(department, platform, channel, workspace external id) for each channel to read."""
    found = []
    # Every linked channel, customer-facing ones included: everyone has a department.
    query = select(Department)
    if department_id is not None:
        query = query.where(Department.id == department_id)
    for department in session.exec(query):
        workspace = session.get(Workspace, department.workspace_id)
        route = destination_for(workspace, department, ctx.senders) if workspace else None
        if workspace is not None and workspace.active and route is not None:
            found.append((department, route[0], route[1], workspace.external_id))
    return found
