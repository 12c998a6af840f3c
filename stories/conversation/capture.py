"""Capturing, editing and deleting stories from chat, decided once for both platforms."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from stories.capture import (
    MAX_LABEL_LENGTH,
    CaptureResult,
    StoryChanges,
    StoryDraft,
    capture_story,
    delete_story,
    edit_story,
    ensure_may_change,
    get_story,
    normalise_touchpoint,
    validate_text,
)
from stories.conversation import prompt_texts, texts
from stories.conversation.context import Actor, ChatContext, CoreEnv, resolve_actor
from stories.conversation.leads import LeadEvidence, NeedsEvidence, is_lead
from stories.conversation.present import fresh_view, may_change, story_view
from stories.conversation.views import (
    CaptureForm,
    Effect,
    FormInput,
    Notice,
    Outcome,
    RefreshPost,
    RetractPost,
    ShareStory,
    StoryAction,
    StoryReply,
    StoryView,
    Tone,
)
from stories.errors import ValidationError
from stories.harvest import harvest_department, record_harvest_story
from stories.models import Department, Emotion, Member, SourceKind, Story
from stories.workspace_settings import Channel, channel_of
from stories.workspaces import ensure_member

MANAGE = (StoryAction.EDIT, StoryAction.DELETE)


@dataclass(frozen=True, kw_only=True)
class Teller:
    """Who told a story saved from someone else's message."""

    user: str  # platform user id
    name: str | None = None


@dataclass(frozen=True, kw_only=True)
class CaptureRequest:
    """A story as a platform hands it over.

    ``source_ref`` makes the capture idempotent: the command's trigger, the message the story
    came from, or the form's submission. The same source never stores a second story.
    """

    text: str
    source: SourceKind
    source_ref: str | None = None
    teller: Teller | None = None  # None: the person asking told it
    customer_label: str | None = None
    touchpoint: str | None = None
    emotion: Emotion | None = None
    share: bool | None = None  # None: the place decides (public places share)
    permalink: str | None = None
    harvest: int | None = None  # told from this story-harvest prompt: credited to its department


def capture(*, env: CoreEnv, ctx: ChatContext, request: CaptureRequest) -> Outcome[StoryReply]:
    """Save a story told in chat; answer the teller, and share it if it may be shared.

    Raises:
        ValidationError: the story or a field was rejected; nothing was stored.
    """
    with env.sessions() as session:
        actor = resolve_actor(session, env.clock, ctx)
        teller = actor.member
        if request.teller is not None and request.teller.user != ctx.user:
            teller = ensure_member(
                session=session,
                clock=env.clock,
                workspace_id=actor.workspace_id,
                platform_user_id=request.teller.user,
                display_name=request.teller.name,
            )
        shared = ctx.shares_by_default if request.share is None else request.share
        department = _credited(session, actor.workspace_id, teller.department_id, request)
        session.commit()  # end the reads here: the write lock is not held while redacting
        draft = _draft(ctx, actor, teller, request, shared=shared)
        result = _observed(
            env,
            request,
            lambda: capture_story(
                session=session, clock=env.clock, redactor=env.redactor, draft=draft
            ),
        )
        story = result.story
        if result.created and request.harvest is not None and department is not None:
            record_harvest_story(
                session=session,
                clock=env.clock,
                delivery_id=request.harvest,
                story=story,
                department=department,
            )
        if result.created:
            name = department.name if department else None
            view = fresh_view(story, teller, name, actions=MANAGE)
        else:
            view = story_view(session, story, actions=MANAGE)
        heading = texts.captured(created=result.created, redactions=story.redaction_count)
        effects = _share(env, ctx, session, story, view) if result.created else ()
        return Outcome(StoryReply(heading=heading, story=view, created=result.created), effects)


def _draft(
    ctx: ChatContext, actor: Actor, teller: Member, request: CaptureRequest, *, shared: bool
) -> StoryDraft:
    return StoryDraft(
        workspace_id=actor.workspace_id,
        text=request.text,
        source_kind=request.source,
        source_ref=request.source_ref,
        author_member_id=teller.id,
        captured_by_member_id=actor.member_id,
        customer_label=request.customer_label,
        touchpoint=request.touchpoint,
        emotion=request.emotion,
        permalink=request.permalink,
        channel_id=ctx.conversation,
        channel_private=not ctx.shares_by_default,
        shared=shared,
    )


def _observed(
    env: CoreEnv, request: CaptureRequest, work: Callable[[], CaptureResult]
) -> CaptureResult:
    """Run the capture, telling ``env.on_capture`` how it ended (for the metrics)."""
    source = request.source.value
    try:
        result = work()
    except ValidationError as exc:
        if env.on_capture is not None:
            env.on_capture(source, str(getattr(exc, "field", "") or type(exc).__name__))
        raise
    if env.on_capture is not None:
        env.on_capture(source, "stored" if result.created else "duplicate")
    return result


def _credited(
    session: Session, workspace_id: int, teller_department: int | None, request: CaptureRequest
) -> Department | None:
    """The department a story counts for: the harvest prompt's it answers, else the
    teller's."""
    if request.harvest is not None:
        return harvest_department(
            session=session, workspace_id=workspace_id, delivery_id=request.harvest
        )
    return session.get(Department, teller_department) if teller_department else None


def _share(
    env: CoreEnv, ctx: ChatContext, session: Session, story: Story, view: StoryView
) -> tuple[Effect, ...]:
    """Post to the workspace's stories channel (its own, else the installation's default):
    shareable, not posted yet, not told in that channel."""
    destination = channel_of(
        session=session,
        workspace_id=story.workspace_id,
        channel=Channel.STORIES,
        default=env.config.stories_channels.get(ctx.platform.value),
    )
    if not destination or not story.shared or story.channel_post_ref:
        return ()
    if ctx.conversation == destination:
        return ()  # told in the stories channel itself: it is already there
    shared = StoryView(**{**view.__dict__, "actions": (StoryAction.RESONATE,)})
    return (ShareStory(story=shared, destination=destination),)


def record_post(*, env: CoreEnv, story_id: int, ref: str) -> None:
    """Remember where a story was posted, so edits and deletes can follow it."""
    with env.sessions() as session:
        story = session.get(Story, story_id)
        if story is not None:
            story.channel_post_ref = ref
            session.add(story)
            session.commit()


# --- the form ----------------------------------------------------------------------------------


def capture_form(
    *,
    text: str = "",
    share: bool = False,
    source: dict[str, Any] | None = None,
    from_message: bool = False,
) -> CaptureForm:
    """The empty form, or one pre-filled with a message being saved as a story."""
    return CaptureForm(
        title=texts.SAVE_MESSAGE if from_message else texts.FORM_TITLE,
        submit=texts.FORM_SUBMIT,
        text=text,
        share=share,
        source=source or {},
    )


def harvest_form(*, env: CoreEnv, ctx: ChatContext, delivery_id: int) -> CaptureForm:
    """The capture form opened from a story-harvest prompt, labelled with its department.

    Raises:
        NotFoundError: no such harvest prompt in the asker's workspace.
    """
    with env.sessions() as session:
        actor = resolve_actor(session, env.clock, ctx)
        department = harvest_department(
            session=session, workspace_id=actor.workspace_id, delivery_id=delivery_id
        )
        session.commit()
    return CaptureForm(
        title=prompt_texts.harvest_form_title(department.name),
        submit=texts.FORM_SUBMIT,
        share=ctx.shares_by_default,
        source={"harvest": delivery_id},
    )


def edit_form(
    *, env: CoreEnv, ctx: ChatContext, story_id: int, evidence: LeadEvidence | None = None
) -> CaptureForm | NeedsEvidence:
    """The form filled with a story, for someone who may change it.

    Raises:
        NotFoundError: no such story in this workspace.
        PermissionDeniedError: only the teller, whoever saved it, or a CX lead may.
    """
    with env.sessions() as session:
        acting = _acting(env, ctx, session, story_id, evidence)
        if isinstance(acting, NeedsEvidence):
            return acting
        actor, as_lead = acting
        story = get_story(session=session, workspace_id=actor.workspace_id, story_id=story_id)
        ensure_may_change(story, actor.member, "edit this story", as_lead=as_lead)
        return CaptureForm(
            title=texts.EDIT_TITLE,
            submit=texts.FORM_SUBMIT,
            story_id=story.id,
            text=story.text,
            customer_label=story.customer_label or "",
            touchpoint=story.touchpoint or "",
            emotion=story.emotion,
            share=story.shared,
        )


def check_form(form: FormInput) -> dict[str, str]:
    """What is wrong with a submitted form, per field ("text", "customer_label",
    "touchpoint"); empty when it can be saved. Pure, so a platform can answer at once."""
    errors: dict[str, str] = {}
    try:
        validate_text(form.text)
    except ValidationError as exc:
        errors["text"] = str(exc)
    try:
        normalise_touchpoint(form.touchpoint)
    except ValidationError as exc:
        errors["touchpoint"] = str(exc)
    if form.customer_label and len(form.customer_label.strip()) > MAX_LABEL_LENGTH:
        errors["customer_label"] = f"Keep it under {MAX_LABEL_LENGTH} characters."
    return errors


# --- edit and delete ----------------------------------------------------------------------------


def edit(
    *,
    env: CoreEnv,
    ctx: ChatContext,
    story_id: int,
    form: FormInput,
    evidence: LeadEvidence | None = None,
) -> Outcome[StoryReply] | NeedsEvidence:
    """Change a story from the form; its stories-channel post follows the change.

    Raises:
        SightlineError: no such story, not allowed, or a field was rejected.
    """
    with env.sessions() as session:
        acting = _acting(env, ctx, session, story_id, evidence)
        if isinstance(acting, NeedsEvidence):
            return acting
        actor, as_lead = acting
        story = edit_story(
            session=session,
            clock=env.clock,
            redactor=env.redactor,
            workspace_id=actor.workspace_id,
            story_id=story_id,
            actor=actor.member,
            changes=StoryChanges(
                text=form.text,
                customer_label=form.customer_label or "",
                touchpoint=form.touchpoint or "",
                emotion=form.emotion,
                shared=form.share,
            ),
            as_lead=as_lead,
        )
        effects = _follow_post(env, ctx, session, actor, story)
        view = story_view(session, story, actions=MANAGE, tally=True)
        return Outcome(StoryReply(heading=texts.UPDATED, story=view), effects)


def _acting(
    env: CoreEnv,
    ctx: ChatContext,
    session: Session,
    story_id: int,
    evidence: LeadEvidence | None,
) -> tuple[Actor, bool] | NeedsEvidence:
    """Who is changing the story, and whether as a CX lead (someone else's story: the
    teller and whoever saved it need no lead check)."""
    actor = resolve_actor(session, env.clock, ctx)
    story = get_story(session=session, workspace_id=actor.workspace_id, story_id=story_id)
    if may_change(story, actor.member):
        return actor, False
    lead = is_lead(env, ctx, actor, evidence, session)
    return lead if isinstance(lead, NeedsEvidence) else (actor, lead)


def _follow_post(
    env: CoreEnv, ctx: ChatContext, session: Session, actor: Actor, story: Story
) -> tuple[Effect, ...]:
    if story.channel_post_ref and not story.shared:
        ref, story.channel_post_ref = story.channel_post_ref, None
        session.add(story)
        session.commit()
        return (RetractPost(ref=ref, text=texts.UNSHARED_POST),)
    if story.channel_post_ref:
        view = story_view(session, story, actions=(StoryAction.RESONATE,), tally=True)
        return (RefreshPost(ref=story.channel_post_ref, story=view),)
    view = story_view(session, story)
    return _share(env, ctx, session, story, view)


def delete(
    *, env: CoreEnv, ctx: ChatContext, story_id: int, evidence: LeadEvidence | None = None
) -> Outcome[Notice] | NeedsEvidence:
    """Delete a story for good (teller, whoever saved it, or a CX lead).

    Raises:
        SightlineError: no such story, or not allowed.
    """
    with env.sessions() as session:
        acting = _acting(env, ctx, session, story_id, evidence)
        if isinstance(acting, NeedsEvidence):
            return acting
        actor, as_lead = acting
        story = delete_story(
            session=session,
            clock=env.clock,
            workspace_id=actor.workspace_id,
            story_id=story_id,
            actor=actor.member,
            as_lead=as_lead,
        )
    effects: tuple[Effect, ...] = ()
    if story.channel_post_ref:
        effects = (RetractPost(ref=story.channel_post_ref, text=texts.DELETED_POST),)
    return Outcome(Notice(text=texts.DELETED, tone=Tone.SUCCESS), effects)
