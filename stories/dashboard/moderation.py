"""A lead hides or deletes a story from the dashboard: audited, and its chat post follows.

Hiding takes a story out of every shared place (it becomes private to its teller: search by
others, prompts, the stories channel); its post in the stories channel is replaced by a line
saying so, through the same effects as an edit in chat. Deleting is chat's delete, as a lead.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from stories import audit
from stories.capture import delete_story, get_story
from stories.clock import Clock
from stories.conversation import texts
from stories.conversation.views import Effect, RetractPost
from stories.models import Member, Workspace


@dataclass(frozen=True)
class Followed:
    """What to carry out in chat after the change: on which platform, in which workspace."""

    platform: str
    workspace: str  # the platform's own workspace id
    effects: tuple[Effect, ...]


def _followed(session: Session, workspace_id: int, effects: tuple[Effect, ...]) -> Followed:
    workspace = session.get(Workspace, workspace_id)
    assert workspace is not None
    return Followed(workspace.platform.value, workspace.external_id, effects)


def hide_story(
    *, session: Session, clock: Clock, workspace_id: int, lead_member_id: int, story_id: int
) -> Followed:
    """Make a story private to its teller; its stories-channel post says it is no longer shared.

    Raises:
        NotFoundError: no such story in this workspace.
    """
    story = get_story(session=session, workspace_id=workspace_id, story_id=story_id)
    ref = story.channel_post_ref
    story.shared, story.channel_post_ref = False, None
    session.add(story)
    audit.record(
        session=session,
        clock=clock,
        workspace_id=workspace_id,
        action="story.hidden",
        subject_type="story",
        subject_id=story.id,
        actor_member_id=lead_member_id,
        detail={"channel_post_ref": ref, "via": "dashboard"},
    )
    session.commit()
    effects: tuple[Effect, ...] = (RetractPost(ref=ref, text=texts.UNSHARED_POST),) if ref else ()
    return _followed(session, workspace_id, effects)


def delete_as_lead(
    *, session: Session, clock: Clock, workspace_id: int, lead_member_id: int, story_id: int
) -> Followed:
    """Delete a story for good, as a CX lead (audited by :func:`delete_story`).

    Raises:
        NotFoundError: no such story in this workspace.
    """
    lead = session.get(Member, lead_member_id)
    story = delete_story(
        session=session,
        clock=clock,
        workspace_id=workspace_id,
        story_id=story_id,
        actor=lead,
        as_lead=True,
    )
    ref = story.channel_post_ref
    effects: tuple[Effect, ...] = (RetractPost(ref=ref, text=texts.DELETED_POST),) if ref else ()
    return _followed(session, workspace_id, effects)
