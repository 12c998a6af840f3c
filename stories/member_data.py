"""One member's data (GDPR article 15): finding them, and everything stored about them.

A member is named by their Sightline id, their chat user id, or their display name when
only one member of the workspace has it (also members created by `stories import` with an
``author``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from stories.errors import NotFoundError, SightlineError
from stories.models import (
    AuditEvent,
    Department,
    DepartmentMember,
    Engagement,
    Member,
    MemberPreference,
    PromptAnswer,
    PromptDelivery,
    PromptTemplate,
    Story,
    StoryFeedback,
    Workspace,
)
from stories.records import story_records

EXPORT_SCHEMA = 1


class AmbiguousMemberError(SightlineError):
    def __init__(self, *, name: str, ids: list[int]) -> None:
        listed = ", ".join(str(i) for i in ids)
        super().__init__(f"Several members are called {name!r} (ids {listed}): name one by id.")


def find_member(*, session: Session, workspace_id: int, key: str) -> Member:
    """The member ``key`` names: an id, a chat user id, or a unique display name.

    Raises:
        NotFoundError: nobody in the workspace matches.
        AmbiguousMemberError: the display name belongs to several members.
    """
    base = select(Member).where(col(Member.workspace_id) == workspace_id)
    if key.isdigit():
        found = session.exec(base.where(col(Member.id) == int(key))).first()
        if found is not None:
            return found
    found = session.exec(base.where(col(Member.platform_user_id) == key)).first()
    if found is not None:
        return found
    named = [m for m in session.exec(base) if m.display_name.casefold() == key.casefold()]
    if len(named) == 1:
        return named[0]
    if named:
        raise AmbiguousMemberError(name=key, ids=sorted(m.id or 0 for m in named))
    raise NotFoundError(kind="member", key=key)


def export_member(*, session: Session, member: Member) -> dict[str, Any]:
    """Every row about ``member``, as one JSON-ready document (stable ``schema``)."""
    member_id = member.id or 0
    workspace = session.get(Workspace, member.workspace_id)
    department = session.get(Department, member.department_id or 0)
    told = _all(session, select(Story).where(col(Story.author_member_id) == member_id))
    saved = _all(
        session,
        select(Story).where(
            col(Story.captured_by_member_id) == member_id,
            col(Story.author_member_id) != member_id,
        ),
    )
    return {
        "schema": EXPORT_SCHEMA,
        "member": {
            "id": member_id,
            "user_id": member.platform_user_id,
            "display_name": member.display_name,
            "department": department.name if department else None,
            "is_cx_lead": member.is_cx_lead,
            "created_at": _iso(member.created_at),
        },
        "workspace": {
            "platform": workspace.platform.value if workspace else None,
            "external_id": workspace.external_id if workspace else None,
            "name": workspace.name if workspace else None,
        },
        "stories_told": story_records(session=session, stories=told),
        "stories_saved_for_others": story_records(session=session, stories=saved),
        "answers": _answers(session, member_id),
        "engagement": _engagement(session, member_id),
        "not_relevant_marks": _feedback(session, member_id),
        "preferences": _preferences(session, member_id),
        "department_memberships": _memberships(session, member_id),
        "audit_events": _audit(session, member_id),
    }


def export_json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=2, default=str).encode("utf-8")


def _all(session: Session, query: Any) -> list[Any]:
    return list(session.exec(query))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _answers(session: Session, member_id: int) -> list[dict[str, Any]]:
    rows = session.exec(
        select(PromptAnswer, PromptDelivery, PromptTemplate)
        .join(PromptDelivery, col(PromptDelivery.id) == col(PromptAnswer.delivery_id))
        .join(
            PromptTemplate, col(PromptTemplate.id) == col(PromptDelivery.template_id), isouter=True
        )
        .where(col(PromptAnswer.member_id) == member_id)
        .order_by(col(PromptAnswer.id))
    )
    return [
        {
            "id": answer.id,
            "answered_at": _iso(answer.created_at),
            "answer": answer.text,
            "question": template.text if template else None,
            "story_id": answer.story_id,
            "prompt_sent_at": _iso(delivery.sent_at),
        }
        for answer, delivery, template in rows
    ]


def _engagement(session: Session, member_id: int) -> list[dict[str, Any]]:
    rows = session.exec(
        select(Engagement)
        .where(col(Engagement.member_id) == member_id)
        .order_by(col(Engagement.id))
    )
    return [{"kind": e.kind.value, "story_id": e.story_id, "at": _iso(e.created_at)} for e in rows]


def _feedback(session: Session, member_id: int) -> list[dict[str, Any]]:
    rows = session.exec(select(StoryFeedback).where(col(StoryFeedback.member_id) == member_id))
    return [
        {
            "kind": f.kind,
            "story_id": f.story_id,
            "department_id": f.department_id,
            "at": _iso(f.created_at),
        }
        for f in rows
    ]


def _preferences(session: Session, member_id: int) -> dict[str, Any] | None:
    found = session.exec(
        select(MemberPreference).where(col(MemberPreference.member_id) == member_id)
    ).first()
    if found is None:
        return None
    return {
        "author_notifications": found.author_notifications,
        "updated_at": _iso(found.updated_at),
    }


def _memberships(session: Session, member_id: int) -> list[dict[str, Any]]:
    rows = session.exec(
        select(DepartmentMember, Department)
        .join(Department, col(Department.id) == col(DepartmentMember.department_id))
        .where(col(DepartmentMember.member_id) == member_id)
    )
    return [
        {"department": d.name, "in_channel": m.in_channel, "override": m.override} for m, d in rows
    ]


def _audit(session: Session, member_id: int) -> list[dict[str, Any]]:
    rows = session.exec(
        select(AuditEvent)
        .where(col(AuditEvent.actor_member_id) == member_id)
        .order_by(col(AuditEvent.id))
    )
    return [
        {
            "action": e.action,
            "subject": f"{e.subject_type}:{e.subject_id}",
            "detail": e.detail,
            "at": _iso(e.created_at),
        }
        for e in rows
    ]
