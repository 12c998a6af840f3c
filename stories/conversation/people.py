"""A lead's say over which department a person counts for (``member <person> department
<name>``): their choice wins over the primary-department rule of stories.primary_department."""

from __future__ import annotations

from sqlmodel import Session

from stories.conversation import lead_texts
from stories.conversation.commands import LeadCommand
from stories.conversation.context import Actor, CoreEnv
from stories.conversation.views import Notice, Tone
from stories.departments import get_department
from stories.primary_department import find_member, set_primary_department


def member_department(session: Session, env: CoreEnv, actor: Actor, command: LeadCommand) -> Notice:
    """``member <person> department <name>``: a lead's choice over the primary rule."""
    member = find_member(
        session=session, workspace_id=actor.workspace_id, person=command.person or ""
    )
    department = get_department(session=session, workspace_id=actor.workspace_id, name=command.name)
    set_primary_department(
        session=session,
        clock=env.clock,
        member=member,
        department=department,
        actor_member_id=actor.member.id,
    )
    who = member.display_name or command.person or member.platform_user_id
    return Notice(text=lead_texts.member_department(who, department.name), tone=Tone.SUCCESS)
