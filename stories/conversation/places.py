"""Conversations the bot may post into unprompted (Teams needs a saved reference to send a
proactive message): kept fresh on every turn, retired when the bot is removed."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from stories.conversation import installs
from stories.conversation.context import ChatContext, CoreEnv, resolve_actor
from stories.conversations import (
    find_conversation,
    forget_conversation,
    forget_team,
    remember_conversation,
)
from stories.models import ChatConversation, Platform, Workspace

TEAM_KEY = "sightlineTeamId"  # the team of a channel conversation, kept beside its reference


def remember(
    *,
    env: CoreEnv,
    ctx: ChatContext,
    key: str,
    kind: str,
    reference: dict[str, Any],
    installed: bool = False,
) -> None:
    """Save or refresh where this conversation can be reached; ``installed`` when the app
    was just added here (a removed workspace becomes active again).

    Raises:
        WorkspaceInactiveError: the app was removed from the workspace and not added back.
    """
    if installed:
        installs.installed(env=env, platform=ctx.platform, workspace=ctx.workspace)
    with env.sessions() as session:
        actor = resolve_actor(session, env.clock, ctx)
        remember_conversation(
            session=session,
            clock=env.clock,
            workspace_id=actor.workspace_id,
            conversation_id=key,
            kind=kind,
            reference=reference,
        )


def forget(*, env: CoreEnv, key: str, team: str | None, ctx: ChatContext | None = None) -> None:
    """The bot was removed: this conversation (and every channel of its team) is retired;
    with the last one, the workspace (``ctx``'s) is removed (stories/installs.py)."""
    with env.sessions() as session:
        forget_conversation(session=session, clock=env.clock, conversation_id=key)
        if team:
            forget_team(session=session, clock=env.clock, team_id=team, key=TEAM_KEY)
    if ctx is not None:
        installs.removed_everywhere(env=env, platform=ctx.platform, workspace=ctx.workspace)


def reference_of(*, env: CoreEnv, key: str) -> dict[str, Any] | None:
    """The saved reference of an active conversation, if the bot has one."""
    with env.sessions() as session:
        found = find_conversation(session=session, conversation_id=key)
        return dict(found.reference) if found is not None else None


def personal_chat(*, env: CoreEnv, platform: Platform, workspace: str, user: str) -> str | None:
    """The key of a person's one-to-one chat with the bot, if they ever opened one."""
    with env.sessions() as session:
        rows = session.exec(
            select(ChatConversation)
            .join(Workspace, col(Workspace.id) == col(ChatConversation.workspace_id))
            .where(
                Workspace.platform == platform,
                Workspace.external_id == workspace,
                ChatConversation.kind == "personal",
                col(ChatConversation.active).is_(True),
            )
        ).all()
    for row in rows:
        who = row.reference.get("user") or {}
        if user in (who.get("aadObjectId"), who.get("id")):
            return row.conversation_id
    return None
