"""Finding and reading stories in chat: search, random, one story, the Home view, resonates.

Every surface filters with :mod:`stories.visibility` for the viewer the request's place
implies, so a story told privately never reaches anyone else.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from stories.capture import get_story, list_stories, random_story
from stories.conversation import texts
from stories.conversation.context import Actor, ChatContext, CoreEnv, resolve_actor, viewer_for
from stories.conversation.present import ActionsFor, manage_actions, story_view, story_views
from stories.conversation.views import (
    Effect,
    HomeView,
    Notice,
    Outcome,
    PromptRecap,
    RefreshPost,
    ResonateReply,
    SearchReply,
    StoryAction,
    StoryReply,
    StoryView,
)
from stories.engagement import record_resonates
from stories.errors import PermissionDeniedError
from stories.models import Department, PromptAnswer, PromptDelivery, PromptTemplate, Story
from stories.search import search_stories
from stories.visibility import Viewer, may_see

HOME_STORIES = 10
HOME_PROMPTS = 5
HOME_ANSWERS = 5
QUERY_SHOWN = 200  # characters of the query repeated back


def search(*, env: CoreEnv, ctx: ChatContext, query: str, offset: int = 0) -> SearchReply:
    """One page of the stories the asker's place may see, best matches first.

    Raises:
        InvalidSearchError: nothing to search for.
    """
    size = env.config.page_size
    with env.sessions() as session:
        actor = resolve_actor(session, env.clock, ctx)
        page = search_stories(
            session=session,
            workspace_id=actor.workspace_id,
            query=query,
            limit=size,
            offset=offset,
            viewer=viewer_for(ctx, actor),
        )
        views = story_views(session, [hit.story for hit in page.hits], actions=_resonate(actor))
    shown = " ".join(query.split())[:QUERY_SHOWN]
    if not views:
        empty = texts.search_empty(shown, first_page=offset == 0)
        return SearchReply(query=query, heading=empty, stories=(), empty=empty)
    return SearchReply(
        query=query,
        heading=texts.search_heading(shown, offset + 1, offset + len(views)),
        stories=tuple(views),
        next_offset=offset + size if page.has_more else None,
    )


def _resonate(actor: Actor) -> ActionsFor:
    """ "This resonates" on other people's stories (one's own story is no news to oneself)."""

    def actions(story: Story) -> tuple[StoryAction, ...]:
        return () if story.author_member_id == actor.member_id else (StoryAction.RESONATE,)

    return actions


def pick_random(*, env: CoreEnv, ctx: ChatContext) -> StoryReply | Notice:
    """One story the asker's place may see, or a notice when there is none."""
    with env.sessions() as session:
        actor = resolve_actor(session, env.clock, ctx)
        story = random_story(
            session=session, workspace_id=actor.workspace_id, viewer=viewer_for(ctx, actor)
        )
        if story is None:
            return Notice(text=texts.no_stories(texts.syntax_for(ctx.platform.value)))
        view = story_views(session, [story], actions=_resonate(actor))[0]
        return StoryReply(heading=texts.RANDOM, story=view)


def read_story(*, env: CoreEnv, ctx: ChatContext, story_id: int) -> StoryView:
    """Every word of one story, for someone its place lets read it.

    Raises:
        NotFoundError: no such story in this workspace.
        PermissionDeniedError: a private story, and the reader is not its teller.
    """
    with env.sessions() as session:
        actor = resolve_actor(session, env.clock, ctx)
        story = get_story(session=session, workspace_id=actor.workspace_id, story_id=story_id)
        if not may_see(story, viewer_for(ctx, actor)):
            raise PermissionDeniedError("read this private story")
        return story_views(session, [story], actions=_resonate(actor))[0]


def home(*, env: CoreEnv, ctx: ChatContext) -> HomeView:
    """A member's own stories, the latest they may read, and their department's prompts."""
    syntax = texts.syntax_for(ctx.platform.value)
    with env.sessions() as session:
        actor = resolve_actor(session, env.clock, ctx)
        own = list_stories(
            session=session,
            workspace_id=actor.workspace_id,
            author_member_id=actor.member_id,
            limit=HOME_STORIES,
        )
        latest = list_stories(
            session=session,
            workspace_id=actor.workspace_id,
            limit=HOME_STORIES,
            viewer=Viewer.member(actor.member_id),
        )
        department, prompts = _department_prompts(session, actor)
        return HomeView(
            intro=texts.home_intro(syntax),
            own=tuple(story_views(session, own, actions=manage_actions(actor.member))),
            own_empty=texts.HOME_OWN_EMPTY,
            latest=tuple(story_views(session, latest, actions=_resonate(actor))),
            latest_empty=texts.HOME_LATEST_EMPTY,
            department=department,
            prompts=prompts,
            prompts_empty=texts.HOME_PROMPTS_EMPTY,
        )


def _department_prompts(
    session: Session, actor: Actor
) -> tuple[str | None, tuple[PromptRecap, ...]]:
    department = actor.member.department_id
    if department is None:
        return None, ()
    row = session.get(Department, department)
    if row is None:
        return None, ()
    deliveries = session.exec(
        select(PromptDelivery, PromptTemplate)
        .join(PromptTemplate, col(PromptTemplate.id) == col(PromptDelivery.template_id))
        .where(PromptDelivery.department_id == department)
        .order_by(col(PromptDelivery.occurrence_at).desc())
        .limit(HOME_PROMPTS)
    ).all()
    recaps = []
    for delivery, template in deliveries:
        answers = session.exec(
            select(PromptAnswer.text)
            .where(PromptAnswer.delivery_id == delivery.id)
            .order_by(col(PromptAnswer.created_at))
            .limit(HOME_ANSWERS)
        ).all()
        recaps.append(PromptRecap(question=template.text, answers=tuple(answers)))
    return row.name, tuple(recaps)


def resonate(*, env: CoreEnv, ctx: ChatContext, story_id: int) -> Outcome[ResonateReply]:
    """Count "This resonates" once per person; the story's shared post shows the new tally.

    Raises:
        NotFoundError: no such story in this workspace.
        PermissionDeniedError: a private story someone else told.
    """
    with env.sessions() as session:
        actor = resolve_actor(session, env.clock, ctx)
        story = get_story(session=session, workspace_id=actor.workspace_id, story_id=story_id)
        if not may_see(story, Viewer.member(actor.member_id)):
            raise PermissionDeniedError("read this private story")
        counted = record_resonates(
            session=session, clock=env.clock, story=story, member=actor.member
        )
        view = story_view(session, story, actions=(StoryAction.RESONATE,), tally=True)
    effects: tuple[Effect, ...] = ()
    if counted and story.channel_post_ref:
        effects = (RefreshPost(ref=story.channel_post_ref, story=view),)
    text = texts.RESONATED if counted else texts.ALREADY_RESONATED
    return Outcome(ResonateReply(story=view, counted=counted, text=text), effects)
