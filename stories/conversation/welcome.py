"""The welcome said once when Sightline is installed: in a personal chat (what Sightline is,
three things to try) and in a team (how a lead links a department, how anyone shares a
story). Decided here for every platform; a platform renders :class:`WelcomeView`.

The claim is a database row per conversation, so two replicas receiving the install (Teams
sends both an installation update and a members-added update) say hello once, and removing
and re-adding the app within a day says nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from stories.clock import Clock
from stories.conversation import texts
from stories.conversation import workspace_texts as words
from stories.conversation.context import ChatContext, CoreEnv, Place, resolve_actor
from stories.models import ChatWelcome
from stories.workspace_settings import name_if_unnamed

QUIET = timedelta(days=1)  # a re-add within this long after a welcome gets none


@dataclass(frozen=True)
class WelcomeView:
    title: str
    intro: str
    tips: tuple[tuple[str, str], ...]  # (what to type or do, what it does)
    footer: str


def welcome(
    *, env: CoreEnv, ctx: ChatContext, bot_name: str = "Sightline", team_name: str | None = None
) -> WelcomeView | None:
    """The welcome for the conversation Sightline was just installed in, or None when this
    install was already welcomed (by another replica, or less than a day ago).

    Args:
        team_name: the team it was added to, where the platform says; a workspace known only
            by its id (a Teams tenant) takes it as its display name.
    """
    if not ctx.conversation:
        return None
    with env.sessions() as session:
        actor = resolve_actor(session, env.clock, ctx)
        if team_name:
            name_if_unnamed(session=session, workspace=actor.workspace, name=team_name)
        claimed = claim_welcome(
            session=session,
            clock=env.clock,
            workspace_id=actor.workspace_id,
            conversation_id=ctx.conversation,
        )
    if not claimed:
        return None
    syntax = texts.syntax_for(ctx.platform.value)
    if ctx.place == Place.PERSONAL:
        return personal_welcome(syntax)
    return team_welcome(syntax, bot_name)


def claim_welcome(
    *, session: Session, clock: Clock, workspace_id: int, conversation_id: str
) -> bool:
    """Whether this caller says the welcome: the first for the conversation, or the first
    after the quiet day (one atomic update, so replicas never both win). Commits."""
    now = clock.now()
    try:
        with session.begin_nested():
            session.add(
                ChatWelcome(workspace_id=workspace_id, conversation_id=conversation_id, sent_at=now)
            )
        session.commit()
        return True
    except IntegrityError:
        pass  # welcomed before: only again once the quiet day is over
    renewed = session.execute(
        update(ChatWelcome)
        .where(
            col(ChatWelcome.workspace_id) == workspace_id,
            col(ChatWelcome.conversation_id) == conversation_id,
            col(ChatWelcome.sent_at) <= now - QUIET,
        )
        .values(sent_at=now)
    )
    session.commit()
    return bool(getattr(renewed, "rowcount", 0) == 1)


def personal_welcome(syntax: texts.Syntax) -> WelcomeView:
    return WelcomeView(
        title=words.WELCOME_TITLE,
        intro=words.WELCOME_INTRO,
        tips=(
            (syntax.tell(), words.TRY_TELL),
            (syntax.member_command("search refund"), words.TRY_SEARCH),
            (syntax.member_command("home"), words.TRY_HOME),
        ),
        footer=words.welcome_footer(syntax.member_command("help")),
    )


def team_welcome(syntax: texts.Syntax, bot_name: str) -> WelcomeView:
    mention = "" if syntax.channel_mentions else f"@{bot_name} "  # Slack: slash commands
    return WelcomeView(
        title=words.team_title(bot_name),
        intro=words.TEAM_INTRO,
        tips=(
            (f"“{mention}{syntax.lead}department link Finance”", words.TEAM_LINK),
            (f"“{mention}{syntax.capture}<what happened>”", words.TEAM_TELL),
            (f"More actions → {texts.SAVE_MESSAGE}", words.TEAM_SAVE),
        ),
        footer=words.TEAM_FOOTER,
    )
