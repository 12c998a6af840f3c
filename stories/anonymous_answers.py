"""Anonymous answers per department: stored under a pseudonym, never the member.

A department whose answers are anonymous (`sightline prompts answers Finance
--anonymous-answers`) stores each answer and "not relevant" mark under a pseudonymous member
of that department: ``anon:<department>:<HMAC-SHA256(department salt, platform user id)>``,
shown as "someone in Finance". The salt is random, made when anonymity is first switched on,
and kept with the department's settings. So:

- the answer has no link to the member: the thread, the storyteller's message, exports and
  summaries show "someone in Finance", never a name or an id;
- counts stay exact: one person is always the same pseudonym in that department, so "one
  answer per person per prompt" (answering again edits it), participation (distinct people
  who answered) and reminders (only to those who have not responded) work as before;
- the limit, stated plainly: someone with the database (salt included) and the member list
  can recompute every member's pseudonym. The protection is against readers of chat,
  exports and summaries, not against the database's administrators.

Answers given before the switch keep the member they were stored with.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlmodel import Session, select

from stories.clock import Clock
from stories.models import Department, DepartmentPromptSettings, Member, PromptDelivery
from stories.workspaces import ensure_member

PREFIX = "anon:"


def is_pseudonym(member: Member | None) -> bool:
    """Whether ``member`` is an anonymous department's pseudonym, not a person's account."""
    return member is not None and member.platform_user_id.startswith(PREFIX)


def anonymity_of(session: Session, department_id: int | None) -> tuple[bool, str | None]:
    """(anonymous, salt) for a department."""
    row = session.exec(
        select(DepartmentPromptSettings).where(
            DepartmentPromptSettings.department_id == department_id
        )
    ).first()
    if row is None or not row.anonymous_answers:
        return False, None
    return True, row.anonymous_salt


def set_anonymous_answers(
    *, session: Session, clock: Clock, department: Department, anonymous: bool
) -> DepartmentPromptSettings:
    """Switch a department's answers to anonymous (or back to named, for new answers)."""
    row = session.exec(
        select(DepartmentPromptSettings).where(
            DepartmentPromptSettings.department_id == department.id
        )
    ).first() or DepartmentPromptSettings(department_id=department.id or 0, updated_at=clock.now())
    row.anonymous_answers, row.updated_at = anonymous, clock.now()
    if anonymous and not row.anonymous_salt:
        row.anonymous_salt = secrets.token_hex(32)
    session.add(row)
    session.commit()
    return row


def pseudonym_of(department_id: int, salt: str, platform_user_id: str) -> str:
    """The platform id a member's answers carry in an anonymous department."""
    digest = hmac.new(salt.encode(), platform_user_id.encode(), hashlib.sha256).hexdigest()
    return f"{PREFIX}{department_id}:{digest[:32]}"


def answering_as(
    *, session: Session, clock: Clock, delivery: PromptDelivery, member: Member
) -> Member:
    """Who an answer (or a "not relevant" mark) is stored under: the member, or in an
    anonymous department their pseudonym there."""
    anonymous, salt = anonymity_of(session, delivery.department_id)
    department = session.get(Department, delivery.department_id) if anonymous else None
    if department is None or salt is None or is_pseudonym(member):
        return member
    pseudonym = ensure_member(
        session=session,
        clock=clock,
        workspace_id=member.workspace_id,
        platform_user_id=pseudonym_of(department.id or 0, salt, member.platform_user_id),
        display_name=f"someone in {department.name}",
    )
    if pseudonym.department_id != department.id:
        pseudonym.department_id = department.id  # counts for the department it answers for
        session.add(pseudonym)
    return pseudonym


def pseudonyms(
    *, session: Session, department_id: int | None, members: list[Member]
) -> dict[int, str]:
    """Member id -> the platform id their answers carry (their own when not anonymous)."""
    anonymous, salt = anonymity_of(session, department_id)
    if not anonymous or salt is None:
        return {m.id or 0: m.platform_user_id for m in members}
    return {m.id or 0: pseudonym_of(department_id or 0, salt, m.platform_user_id) for m in members}
