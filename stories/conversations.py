"""Conversations the bot may post into unprompted (Teams proactive messages)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from stories.clock import Clock
from stories.models import ChatConversation


def remember_conversation(
    *,
    session: Session,
    clock: Clock,
    workspace_id: int,
    conversation_id: str,
    kind: str,
    reference: dict[str, Any],
) -> ChatConversation:
    """Save or refresh a conversation's reference (its service URL may change)."""
    query = select(ChatConversation).where(
        ChatConversation.workspace_id == workspace_id,
        ChatConversation.conversation_id == conversation_id,
    )
    row = session.exec(query).first()
    if row is None:
        row = ChatConversation(
            workspace_id=workspace_id,
            conversation_id=conversation_id,
            kind=kind,
            reference=reference,
            updated_at=clock.now(),
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:  # another replica saved it first; refresh theirs
            row = session.exec(query).one()
    if row.reference != reference or not row.active or row.kind != kind:
        row.reference, row.active, row.kind = reference, True, kind
        row.updated_at = clock.now()
        session.add(row)
    session.commit()
    return row


def forget_conversation(*, session: Session, clock: Clock, conversation_id: str) -> int:
    """Mark a conversation unusable (the bot was removed); returns how many were marked."""
    rows = session.exec(
        select(ChatConversation).where(ChatConversation.conversation_id == conversation_id)
    ).all()
    for row in rows:
        row.active = False
        row.updated_at = clock.now()
        session.add(row)
    session.commit()
    return len(rows)


def forget_team(*, session: Session, clock: Clock, team_id: str, key: str) -> int:
    """Mark every saved channel of a team unusable (the app was removed from the team).

    ``key`` names the reference field the platform layer stored the team id in; channels
    are few per workspace, so they are filtered here rather than by a JSON query.
    """
    rows = [
        row
        for row in session.exec(
            select(ChatConversation).where(
                ChatConversation.kind == "channel",
                ChatConversation.active == True,  # noqa: E712  (SQL comparison)
            )
        )
        if row.reference.get(key) == team_id
    ]
    for row in rows:
        row.active = False
        row.updated_at = clock.now()
        session.add(row)
    session.commit()
    return len(rows)


def find_conversation(*, session: Session, conversation_id: str) -> ChatConversation | None:
    """The active saved reference for a conversation id, if the bot has one."""
    return session.exec(
        select(ChatConversation).where(
            ChatConversation.conversation_id == conversation_id,
            ChatConversation.active == True,  # noqa: E712  (SQL comparison)
        )
    ).first()
