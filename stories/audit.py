"""Audit trail: who changed what, kept beside the data it describes."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from stories.clock import Clock
from stories.models import AuditEvent


def record(
    *,
    session: Session,
    clock: Clock,
    workspace_id: int,
    action: str,
    subject_type: str,
    subject_id: int | None,
    actor_member_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the session; the caller's commit stores it with the change."""
    event = AuditEvent(
        workspace_id=workspace_id,
        actor_member_id=actor_member_id,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        detail=detail or {},
        created_at=clock.now(),
    )
    session.add(event)
    return event
