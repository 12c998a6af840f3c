"""Stored stories into :class:`StoryView` models, in bulk, with the actions a viewer gets."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlmodel import Session

from stories.conversation.views import StoryAction, StoryView
from stories.engagement import resonance
from stories.models import Emotion, Member, Story
from stories.records import story_records

ActionsFor = Callable[[Story], tuple[StoryAction, ...]]


def no_actions(_story: Story) -> tuple[StoryAction, ...]:
    return ()


def may_change(story: Story, member: Member | None) -> bool:
    """The teller, whoever saved the story, or a CX lead may edit or delete it."""
    if member is None:
        return False
    return member.is_cx_lead or member.id in (story.author_member_id, story.captured_by_member_id)


def manage_actions(member: Member) -> ActionsFor:
    """Edit and Delete where this member may use them."""

    def actions(story: Story) -> tuple[StoryAction, ...]:
        return (StoryAction.EDIT, StoryAction.DELETE) if may_change(story, member) else ()

    return actions


def story_views(
    session: Session,
    stories: Sequence[Story],
    *,
    actions: ActionsFor = no_actions,
    tally: bool = False,
) -> list[StoryView]:
    """Views of ``stories`` in order; ``tally`` adds which departments resonated (one query
    per story, so only for the one or two stories a message shows)."""
    records = story_records(session=session, stories=stories)
    views = []
    for story, record in zip(stories, records, strict=True):
        resonated_with: tuple[tuple[str, int], ...] = ()
        count = record["resonates"]
        if tally and story.id is not None:
            counted = resonance(session=session, story_id=story.id)
            count = counted.total
            resonated_with = tuple(
                sorted(counted.by_department.items(), key=lambda item: (-item[1], item[0]))
            )
        views.append(
            StoryView(
                id=record["id"],
                text=story.text,
                customer_label=story.customer_label,
                touchpoint=story.touchpoint,
                emotion=Emotion(record["emotion"]) if record["emotion"] else None,
                permalink=story.permalink,
                teller_id=record["author_id"],
                teller_name=record["author"],
                department=record["department"],
                created_at=story.created_at,
                redactions=story.redaction_count,
                resonates=count,
                resonated_with=resonated_with,
                actions=actions(story),
            )
        )
    return views


def fresh_view(
    story: Story,
    teller: Member,
    department: str | None,
    *,
    actions: tuple[StoryAction, ...] = (),
) -> StoryView:
    """The view of a story saved just now, built without another query: nobody can have
    resonated with it yet, and its teller and department are already at hand."""
    assert story.id is not None
    return StoryView(
        id=story.id,
        text=story.text,
        customer_label=story.customer_label,
        touchpoint=story.touchpoint,
        emotion=story.emotion,
        permalink=story.permalink,
        teller_id=teller.platform_user_id,
        teller_name=teller.display_name or teller.platform_user_id,
        department=department,
        created_at=story.created_at,
        redactions=story.redaction_count,
        actions=actions,
    )


def story_view(
    session: Session,
    story: Story,
    *,
    actions: tuple[StoryAction, ...] = (),
    tally: bool = False,
) -> StoryView:
    return story_views(session, [story], actions=lambda _s: actions, tally=tally)[0]
