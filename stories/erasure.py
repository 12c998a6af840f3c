"""Erasing one member (GDPR article 17): their answers, engagement, marks and member record,
and the stories they told, deleted or kept anonymously as their workspace chose.

Everything happens in one transaction. The summary rollups are kept by database triggers on
every row deleted here (migration 0009), so summaries stay exact. What the bot posted that
carried the member's words is returned as :class:`PostChanges` for the platforms to delete
or redact; the audit trail keeps one event with counts and nothing about the person.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine, delete, or_, text
from sqlmodel import Session, col, select

from stories import audit
from stories.clock import Clock
from stories.models import (
    AuditEvent,
    ChatConversation,
    Engagement,
    ErasedStories,
    Member,
    MemberPost,
    PromptAnswer,
    PromptDelivery,
    Story,
    StoryFeedback,
    StorytellerNotice,
    WorkspaceDataPolicy,
)

ERASED = "(erased)"


@dataclass
class PostChanges:
    """The bot's posts to change in chat once the rows are gone."""

    retract_story_posts: list[str] = field(default_factory=list)  # deleted stories' posts
    retract_prompt_cards: list[str] = field(default_factory=list)  # cards that quoted them
    refresh_stories: list[int] = field(default_factory=list)  # kept stories, now anonymous
    delete_posts: list[str] = field(default_factory=list)  # their answers; notices to them


@dataclass(frozen=True)
class Erasure:
    """What erasing a member did (counts only)."""

    workspace_id: int
    stories_deleted: int
    stories_kept: int
    answers: int
    engagement: int
    feedback: int
    posts: PostChanges


def erased_stories_choice(session: Session, workspace_id: int) -> ErasedStories:
    """The workspace's choice for a teller's stories (default: keep shared ones anonymously)."""
    policy = session.get(WorkspaceDataPolicy, workspace_id)
    return policy.erased_stories if policy is not None else ErasedStories.KEEP_SHARED


def erase_member(*, session: Session, clock: Clock, member: Member) -> Erasure:
    """Erase ``member`` and what they contributed, in one transaction.

    Args:
        session: database session.
        clock: stamps the audit event.
        member: the member to erase (found with :func:`stories.member_data.find_member`).
    """
    member_id, workspace_id = member.id or 0, member.workspace_id
    choice = erased_stories_choice(session, workspace_id)
    told = list(session.exec(select(Story).where(col(Story.author_member_id) == member_id)))
    kept = [s for s in told if s.shared and choice == ErasedStories.KEEP_SHARED]
    gone = [s for s in told if s not in kept]
    gone_ids = [s.id or 0 for s in gone]
    posts = _posts(session, member_id, gone_ids, kept)
    answers = _delete(session, PromptAnswer, col(PromptAnswer.member_id) == member_id)
    engagement = _delete(session, Engagement, col(Engagement.member_id) == member_id)
    feedback = _delete(session, StoryFeedback, col(StoryFeedback.member_id) == member_id)
    about_gone = select(PromptDelivery.id).where(col(PromptDelivery.story_id).in_(gone_ids))
    _delete(session, StorytellerNotice, col(StorytellerNotice.delivery_id).in_(about_gone))
    for story in gone:
        session.delete(story)
    for story in kept:
        story.author_member_id = None
        story.permalink = None  # a link to their own message
        story.source_ref = None
        if story.captured_by_member_id == member_id:
            story.captured_by_member_id = None
        session.add(story)
    _scrub_audit(session, workspace_id, member.platform_user_id)
    _scrub_conversations(session, workspace_id, member.platform_user_id)
    session.delete(member)  # its roster rows, preferences and post records cascade
    audit.record(
        session=session,
        clock=clock,
        workspace_id=workspace_id,
        action="member.erased",
        subject_type="member",
        subject_id=None,
        detail={
            "stories_deleted": len(gone),
            "stories_kept_anonymously": len(kept),
            "answers": answers,
            "engagement": engagement,
            "feedback": feedback,
        },
    )
    session.commit()
    forget_on_disk(session)
    return Erasure(workspace_id, len(gone), len(kept), answers, engagement, feedback, posts)


def forget_on_disk(session: Session) -> None:
    """SQLite: leave no copy of deleted text in the file. Deleted pages are zeroed already
    (``secure_delete``, bot/database.py); this merges the search index's segments (deleted
    words linger in old ones) and empties the write-ahead log, which holds earlier page
    images. PostgreSQL keeps dead rows until VACUUM reclaims them (README)."""
    bind = session.get_bind()
    if bind.dialect.name != "sqlite" or not isinstance(bind, Engine):
        return
    session.execute(text("INSERT INTO story_fts(story_fts) VALUES ('optimize')"))
    session.commit()
    session.close()  # end this session's transaction: a checkpoint waits for none
    with bind.connect() as connection:
        outside = connection.execution_options(isolation_level="AUTOCOMMIT")
        outside.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _posts(session: Session, member_id: int, gone: list[int], kept: list[Story]) -> PostChanges:
    changes = PostChanges()
    if gone:
        deleted = select(Story.channel_post_ref).where(col(Story.id).in_(gone))
        changes.retract_story_posts = [ref for ref in session.exec(deleted) if ref]
        cards = select(PromptDelivery.message_ref).where(col(PromptDelivery.story_id).in_(gone))
        changes.retract_prompt_cards = [ref for ref in session.exec(cards) if ref]
        notices = (
            select(StorytellerNotice.message_ref)
            .join(PromptDelivery, col(PromptDelivery.id) == col(StorytellerNotice.delivery_id))
            .where(col(PromptDelivery.story_id).in_(gone))
        )
        changes.delete_posts = [ref for ref in session.exec(notices) if ref]
    changes.refresh_stories = [s.id or 0 for s in kept if s.channel_post_ref]
    answered = select(MemberPost.ref).where(col(MemberPost.member_id) == member_id)
    changes.delete_posts += list(session.exec(answered))
    return changes


def _delete(session: Session, model: type, condition: object) -> int:
    result = session.execute(delete(model).where(condition))  # type: ignore[arg-type]
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _scrub_audit(session: Session, workspace_id: int, platform_user_id: str) -> None:
    """Audit details that name the member by platform id (roster overrides) lose the name."""
    events = session.exec(
        select(AuditEvent).where(
            col(AuditEvent.workspace_id) == workspace_id,
            or_(
                col(AuditEvent.subject_type) == "department",
                col(AuditEvent.subject_type) == "member",
            ),
        )
    )
    for event in events:
        if event.detail.get("member") == platform_user_id:
            event.detail = {**event.detail, "member": ERASED}
            session.add(event)


def _scrub_conversations(session: Session, workspace_id: int, platform_user_id: str) -> None:
    """A saved Teams reference names the person it was saved from: the name goes, the
    conversation stays reachable (the bot still deletes its own posts there)."""
    rows = session.exec(
        select(ChatConversation).where(col(ChatConversation.workspace_id) == workspace_id)
    )
    for row in rows:
        user = row.reference.get("user") or {}
        if platform_user_id in (user.get("aadObjectId"), user.get("id")):
            row.reference = {k: v for k, v in row.reference.items() if k != "user"}
            session.add(row)
