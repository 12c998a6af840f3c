"""A person's rights over their own data, from chat and from the command line: their export
(``my-data``) and their erasure (``forget-me``, after a confirmation), with what follows in
chat: the bot's posts that carried their words deleted or redacted.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from stories.conversation import rights_texts, texts
from stories.conversation.context import ChatContext, CoreEnv, resolve_actor
from stories.conversation.present import story_view
from stories.conversation.views import (
    DeletePost,
    Effect,
    Notice,
    Outcome,
    RefreshPost,
    RetractPost,
    Tone,
)
from stories.erasure import Erasure, erase_member
from stories.member_data import export_json, export_member
from stories.models import Member, MemberPost, Story


@dataclass(frozen=True, kw_only=True)
class MyData:
    """A person's own export, for their private place only."""

    file_name: str
    content: bytes
    text: str
    comment: str


def my_data(*, env: CoreEnv, ctx: ChatContext) -> MyData:
    """Everything stored about the person asking, as a JSON file for their private place."""
    with env.sessions() as session:
        actor = resolve_actor(session, env.clock, ctx)
        document = export_member(session=session, member=actor.member)
    stamp = env.clock.now().strftime("%Y-%m-%d")
    return MyData(
        file_name=f"sightline-my-data-{stamp}.json",
        content=export_json(document),
        text=rights_texts.MY_DATA_SENT,
        comment=rights_texts.MY_DATA_COMMENT,
    )


def forget_me(*, env: CoreEnv, ctx: ChatContext, confirmed: bool) -> Outcome[Notice]:
    """Without ``confirmed``: what erasure does and how to confirm. With it: erase the person
    asking, and the bot's posts to change."""
    syntax = texts.syntax_for(ctx.platform.value)
    if not confirmed:
        return Outcome(Notice(text=rights_texts.forget_me_confirm(syntax), tone=Tone.WARNING))
    with env.sessions() as session:
        actor = resolve_actor(session, env.clock, ctx)
        erasure = erase_member(session=session, clock=env.clock, member=actor.member)
        effects = erasure_effects(session, erasure)
    reply = rights_texts.erased(stories_kept=erasure.stories_kept > 0)
    return Outcome(Notice(text=reply, tone=Tone.SUCCESS), effects)


def erase(*, env: CoreEnv, member: Member) -> tuple[Erasure, tuple[Effect, ...]]:
    """Erase a member named by the data steward (the command line)."""
    with env.sessions() as session:
        erasure = erase_member(session=session, clock=env.clock, member=member)
        return erasure, erasure_effects(session, erasure)


def erasure_effects(session: Session, erasure: Erasure) -> tuple[Effect, ...]:
    """The bot's posts to change once a member is erased: their stories' posts and the
    prompt cards that quoted those stories redacted, posts of kept stories redrawn without
    them, their answers in prompt threads and the notices sent to them deleted."""
    posts = erasure.posts
    effects: list[Effect] = [
        RetractPost(ref=ref, text=rights_texts.RETRACTED_STORY) for ref in posts.retract_story_posts
    ]
    effects += [
        RetractPost(ref=ref, text=rights_texts.RETRACTED_PROMPT)
        for ref in posts.retract_prompt_cards
    ]
    for story_id in posts.refresh_stories:
        story = session.get(Story, story_id)
        if story is not None and story.channel_post_ref:
            effects.append(
                RefreshPost(ref=story.channel_post_ref, story=story_view(session, story))
            )
    effects += [DeletePost(ref=ref) for ref in posts.delete_posts]
    return tuple(effects)


def record_member_post(*, env: CoreEnv, member_id: int, ref: str) -> None:
    """Remember a post of the bot's that carries this member's words (an answer)."""
    with env.sessions() as session:
        member = session.get(Member, member_id)
        if member is None:  # erased meanwhile: nothing to keep
            return
        session.add(
            MemberPost(
                workspace_id=member.workspace_id,
                member_id=member_id,
                ref=ref,
                created_at=env.clock.now(),
            )
        )
        session.commit()


def record_reply(*, env: CoreEnv, ctx: ChatContext, ref: str, kind: str) -> None:
    """Remember a reply of the bot's that stays in the chat and carries the asker's words
    (a story card in Teams, their my-data file in Slack), so erasing them removes it too."""
    with env.sessions() as session:
        actor = resolve_actor(session, env.clock, ctx)
        session.add(
            MemberPost(
                workspace_id=actor.workspace_id,
                member_id=actor.member_id,
                kind=kind,
                ref=ref,
                created_at=env.clock.now(),
            )
        )
        session.commit()
