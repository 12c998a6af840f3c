"""Capturing, editing and deleting stories."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from stories import audit
from stories.clock import Clock
from stories.errors import (
    EmptyStoryError,
    InvalidFieldError,
    NotFoundError,
    PermissionDeniedError,
    StoryTooLongError,
    StoryTooShortError,
)
from stories.models import Emotion, Member, SourceKind, Story
from stories.redaction import Redactor
from stories.visibility import Viewer, visible_clause

MIN_STORY_LENGTH = 20
MAX_STORY_LENGTH = 4000
MAX_LABEL_LENGTH = 120
MAX_TOUCHPOINT_LENGTH = 60
_TOUCHPOINT_JUNK = re.compile(r"[^a-z0-9]+")
# Stories a person types (not saved from a message): the same words from the same teller
# within a day are a retry, not a second story (a person told "try again" tries again).
TYPED_SOURCES = frozenset(
    {SourceKind.SLASH, SourceKind.MODAL, SourceKind.TEAMS_MESSAGE, SourceKind.TEAMS_FORM}
)
RETRY_WINDOW = timedelta(days=1)
RETRY_LOOKBACK = 5  # the teller's latest stories a retry is compared with


@dataclass(frozen=True, kw_only=True)
class StoryDraft:
    """A story as a platform hands it over, before validation and redaction."""

    workspace_id: int
    text: str
    source_kind: SourceKind
    source_ref: str | None = None
    author_member_id: int | None = None
    captured_by_member_id: int | None = None
    customer_label: str | None = None
    touchpoint: str | None = None
    emotion: Emotion | None = None
    permalink: str | None = None
    channel_id: str | None = None
    channel_private: bool = False
    shared: bool = False
    created_at: datetime | None = None  # imports keep their original date


@dataclass(frozen=True)
class CaptureResult:
    story: Story
    created: bool  # False when the same source was captured before


@dataclass(frozen=True, kw_only=True)
class StoryChanges:
    text: str | None = None
    customer_label: str | None = None
    touchpoint: str | None = None
    emotion: Emotion | None = None
    shared: bool | None = None


def normalise_touchpoint(raw: str | None) -> str | None:
    """Lower-case slug ("Refunds & Billing" -> "refunds-billing"), or None when blank."""
    if raw is None or not raw.strip():
        return None
    slug = _TOUCHPOINT_JUNK.sub("-", raw.strip().lower()).strip("-")
    if not slug:
        raise InvalidFieldError(field="touchpoint", reason="use letters or digits, e.g. `billing`")
    if len(slug) > MAX_TOUCHPOINT_LENGTH:
        raise InvalidFieldError(
            field="touchpoint", reason=f"keep it under {MAX_TOUCHPOINT_LENGTH} characters"
        )
    return slug


def validate_text(text: str) -> str:
    """Return the trimmed story text or raise the error a person should see."""
    cleaned = text.strip()
    if not cleaned:
        raise EmptyStoryError()
    if len(cleaned) > MAX_STORY_LENGTH:
        raise StoryTooLongError(length=len(cleaned), maximum=MAX_STORY_LENGTH)
    if len(cleaned) < MIN_STORY_LENGTH:
        raise StoryTooShortError(minimum=MIN_STORY_LENGTH)
    return cleaned


def _clean_label(label: str | None, redactor: Redactor) -> tuple[str | None, int]:
    if label is None or not label.strip():
        return None, 0
    if len(label.strip()) > MAX_LABEL_LENGTH:
        raise InvalidFieldError(
            field="customer label", reason=f"keep it under {MAX_LABEL_LENGTH} characters"
        )
    result = redactor.redact(label.strip())
    return result.text, result.count


def capture_story(
    *, session: Session, clock: Clock, redactor: Redactor, draft: StoryDraft
) -> CaptureResult:
    """Validate, redact, de-duplicate and store a story.

    Args:
        session: database session; committed on success.
        clock: source of the capture time.
        redactor: masks personal data before anything is stored.
        draft: the story as the platform handed it over.

    Returns:
        The stored story, and whether it is new (False for a repeat of the same source).

    Raises:
        ValidationError: empty, too short, too long or malformed fields; nothing is stored.
    """
    text = validate_text(draft.text)
    touchpoint = normalise_touchpoint(draft.touchpoint)
    label, label_redactions = _clean_label(draft.customer_label, redactor)
    # Redaction is the costly part; done before the first query, it runs outside the
    # transaction (on SQLite, outside the write lock other captures wait for).
    redacted = redactor.redact(text)
    if draft.source_ref is not None and (existing := _by_source(session, draft)) is not None:
        return CaptureResult(existing, created=False)
    if (retried := _retold(session, clock, draft, redacted.text)) is not None:
        return CaptureResult(retried, created=False)
    story = _new_story(session, clock, draft, redacted.text, touchpoint, label)
    story.redaction_count = redacted.count + label_redactions
    try:
        with session.begin_nested():
            session.add(story)
            session.flush()
            audit.record(
                session=session,
                clock=clock,
                workspace_id=draft.workspace_id,
                action="story.captured",
                subject_type="story",
                subject_id=story.id,
                actor_member_id=story.captured_by_member_id,
                detail={
                    "source_kind": draft.source_kind.value,
                    "redactions": story.redaction_count,
                },
            )
    except IntegrityError:
        # A concurrent capture of the same source won the race; theirs is the story.
        existing = _by_source(session, draft)
        if existing is None:
            raise
        return CaptureResult(existing, created=False)
    session.commit()  # every field is set here, so no refresh round trip is needed
    return CaptureResult(story, created=True)


def _new_story(
    session: Session,
    clock: Clock,
    draft: StoryDraft,
    text: str,
    touchpoint: str | None,
    label: str | None,
) -> Story:
    """The row for a validated, redacted draft, with its teller's department of the day."""
    department_id = None
    if draft.author_member_id is not None:
        author = session.get(Member, draft.author_member_id)
        department_id = author.department_id if author else None
    return Story(
        workspace_id=draft.workspace_id,
        text=text,
        customer_label=label,
        touchpoint=touchpoint,
        emotion=draft.emotion,
        source_kind=draft.source_kind,
        source_ref=draft.source_ref,
        permalink=draft.permalink,
        author_member_id=draft.author_member_id,
        captured_by_member_id=draft.captured_by_member_id or draft.author_member_id,
        department_id=department_id,
        channel_id=draft.channel_id,
        channel_private=draft.channel_private,
        shared=draft.shared,
        created_at=draft.created_at or clock.now(),
    )


def _retold(session: Session, clock: Clock, draft: StoryDraft, text: str) -> Story | None:
    """The same typed story from the same teller, saved within the retry window.

    A retry comes straight after the first try, so the teller's latest few stories are all
    there is to read (one walk down their index, whatever the size of the table).
    """
    if draft.source_kind not in TYPED_SOURCES or draft.author_member_id is None:
        return None
    since = clock.now() - RETRY_WINDOW
    latest = session.exec(
        select(Story.id, Story.text, Story.created_at)
        .where(
            Story.workspace_id == draft.workspace_id,
            Story.author_member_id == draft.author_member_id,
        )
        .order_by(col(Story.id).desc())
        .limit(RETRY_LOOKBACK)
    ).all()
    same = next((i for i, t, at in latest if t == text and at >= since), None)
    return session.get(Story, same) if same is not None else None


def _by_source(session: Session, draft: StoryDraft) -> Story | None:
    return session.exec(
        select(Story).where(
            Story.workspace_id == draft.workspace_id, Story.source_ref == draft.source_ref
        )
    ).first()


def get_story(*, session: Session, workspace_id: int, story_id: int) -> Story:
    """Return one story of the workspace, or raise NotFoundError."""
    story = session.get(Story, story_id)
    if story is None or story.workspace_id != workspace_id:
        raise NotFoundError(kind="story", key=story_id)
    return story


def list_stories(
    *,
    session: Session,
    workspace_id: int,
    limit: int = 20,
    offset: int = 0,
    author_member_id: int | None = None,
    touchpoint: str | None = None,
    viewer: Viewer | None = None,
) -> list[Story]:
    """Newest stories first, optionally by one author or touchpoint, and only those
    ``viewer`` may read (every story when no viewer is given: the command line's operator)."""
    query = select(Story).where(
        Story.workspace_id == workspace_id, visible_clause(viewer or Viewer.steward())
    )
    if author_member_id is not None:
        query = query.where(Story.author_member_id == author_member_id)
    if touchpoint is not None:
        query = query.where(Story.touchpoint == normalise_touchpoint(touchpoint))
    query = query.order_by(col(Story.created_at).desc(), col(Story.id).desc())
    return list(session.exec(query.offset(offset).limit(limit)))


def random_story(*, session: Session, workspace_id: int, viewer: Viewer) -> Story | None:
    """One story the viewer may read, at random."""
    query = (
        select(Story)
        .where(Story.workspace_id == workspace_id, visible_clause(viewer))
        .order_by(func.random())
        .limit(1)
    )
    return session.exec(query).first()


def ensure_may_change(
    story: Story, actor: Member | None, action: str, *, as_lead: bool = False
) -> None:
    """Raise PermissionDeniedError unless the actor wrote or saved the story or is a lead.

    ``as_lead``: the caller has established that the actor is a CX lead (a lead may be one by
    settings or by the platform without being marked in the database).
    """
    # actor None is the operator at the command line, who owns the installation.
    if actor is None or actor.is_cx_lead or as_lead:
        return
    if actor.id in (story.author_member_id, story.captured_by_member_id):
        return
    raise PermissionDeniedError(action)


def edit_story(
    *,
    session: Session,
    clock: Clock,
    redactor: Redactor,
    workspace_id: int,
    story_id: int,
    actor: Member | None,
    changes: StoryChanges,
    as_lead: bool = False,
) -> Story:
    """Change a story's fields (the author, whoever captured it, or a CX lead may)."""
    story = get_story(session=session, workspace_id=workspace_id, story_id=story_id)
    ensure_may_change(story, actor, "edit this story", as_lead=as_lead)
    changed: list[str] = []
    if changes.text is not None:
        redacted = redactor.redact(validate_text(changes.text))
        story.text = redacted.text
        label_count = redactor.redact(story.customer_label).count if story.customer_label else 0
        story.redaction_count = redacted.count + label_count
        changed.append("text")
    if changes.customer_label is not None:
        story.customer_label, _ = _clean_label(changes.customer_label, redactor)
        changed.append("customer_label")
    if changes.touchpoint is not None:
        story.touchpoint = normalise_touchpoint(changes.touchpoint)
        changed.append("touchpoint")
    if changes.emotion is not None:
        story.emotion = changes.emotion
        changed.append("emotion")
    if changes.shared is not None:
        story.shared = changes.shared
        changed.append("shared")
    story.updated_at = clock.now()
    audit.record(
        session=session,
        clock=clock,
        workspace_id=workspace_id,
        action="story.edited",
        subject_type="story",
        subject_id=story.id,
        actor_member_id=actor.id if actor else None,
        detail={"fields": changed},
    )
    session.add(story)
    session.commit()
    session.refresh(story)
    return story


def delete_story(
    *,
    session: Session,
    clock: Clock,
    workspace_id: int,
    story_id: int,
    actor: Member | None,
    as_lead: bool = False,
) -> Story:
    """Delete a story for good: gone from search, summaries and prompts.

    Returns:
        The deleted story (detached), so callers can update where it was posted.
    """
    story = get_story(session=session, workspace_id=workspace_id, story_id=story_id)
    ensure_may_change(story, actor, "delete this story", as_lead=as_lead)
    audit.record(
        session=session,
        clock=clock,
        workspace_id=workspace_id,
        action="story.deleted",
        subject_type="story",
        subject_id=story.id,
        actor_member_id=actor.id if actor else None,
        detail={"channel_post_ref": story.channel_post_ref},
    )
    session.delete(story)
    session.commit()
    return story
